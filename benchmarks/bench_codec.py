"""Encode + decode cost of typical protocol messages, beside the raw JSON floor.

    uv run python benchmarks/bench_codec.py [--iterations N] [--output PATH]

For each message: encode, decode (the real edge decoder: size check, typed
parse, validation) and both together, timed one call at a time with
``time.perf_counter_ns`` after a warm-up; median and p99 in microseconds.
The floor, measured in the same run on the same JSON: ``msgspec.json``
encode/decode of the equivalent plain dict (no types, no validation) and the
standard library's ``json.dumps``/``json.loads``. Results are printed and
written to ``benchmarks/results/codec.json``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec
from report_file import machine, write_report

from fx_protocol import brain_wire, terminal_wire
from fx_protocol.codec import encode
from fx_protocol.commands import TradeCommand
from fx_protocol.vocabulary import Action, OrderType, Priority

RESULTS = Path(__file__).resolve().parent / "results" / "codec.json"
COMMAND_ID = "c01JD1KXA0004HMASW9NF6YY093"
NOW = datetime(2024, 1, 1, tzinfo=UTC)


def typical_messages() -> dict[str, tuple[msgspec.Struct, Callable[[bytes], Any]]]:
    """Name → (message, the decoder its receiver uses)."""
    signal = brain_wire.TradeSignal(
        timestamp=NOW,
        command_id=COMMAND_ID,
        seq=1,
        command=TradeCommand(
            action=Action.OPEN_POSITION,
            symbol="EURUSD",
            type=OrderType.BUY,
            volume=0.01,
            stop_loss=1.095,
            take_profit=1.105,
            magic_number=123456,
            comment="AI_Strategy_001",
        ),
        priority=Priority.HIGH,
        expiry=5000,
        strategy_id="str_abc123",
    )
    result = brain_wire.ExecutionResult(
        timestamp=NOW,
        seq=43,
        command_id=COMMAND_ID,
        executor_id="exec_001",
        result=brain_wire.ExecutionResultBody(
            success=True,
            status="executed",
            ticket=10001234,
            open_price=1.1005,
            execution_time=150.0,
            slippage=0.0002,
            price=1.1005,
            volume=0.01,
            deal=20004567,
            order=10001234,
            retcode=10009,
            retcode_name="DONE",
        ),
    )
    trade = terminal_wire.Trade(
        request_id="r-000131",
        command_id=COMMAND_ID,
        action=Action.OPEN_POSITION,
        symbol="EURUSD",
        order_type="BUY",
        volume=0.01,
        price=1.1002,
        sl=1.095,
        tp=1.105,
        magic=123456,
    )
    reply = terminal_wire.TradeReply(
        request_id="r-000131",
        outcome=terminal_wire.TradeOutcome(
            command_id=COMMAND_ID,
            retcode=10009,
            retcode_name="DONE",
            success=True,
            order=10001234,
            deal=20004567,
            position=10001234,
            volume=0.01,
            price=1.1005,
            bid=1.1,
            ask=1.1002,
            time_msc=1704067201000,
        ),
    )
    return {
        "TRADE_SIGNAL (brain → executor)": (signal, brain_wire.decode_from_brain),
        "EXECUTION_RESULT (executor → brain)": (result, brain_wire.decode_from_executor),
        "TRADE request (executor → EA)": (trade, terminal_wire.decode_request),
        "TRADE_REPLY (EA → executor)": (reply, terminal_wire.decode_reply),
    }


def _time(operation: Callable[[], object], iterations: int) -> dict[str, float]:
    """Median, p99 and mean of single calls, in microseconds."""
    for _ in range(min(iterations // 10, 2000)):  # warm-up: caches, branch predictors
        operation()
    clock = time.perf_counter_ns
    samples = []
    for _ in range(iterations):
        start = clock()
        operation()
        samples.append(clock() - start)
    samples.sort()
    return {
        "median_us": samples[len(samples) // 2] / 1000,
        "p99_us": samples[int(len(samples) * 0.99)] / 1000,
        "mean_us": statistics.fmean(samples) / 1000,
    }


def _clock_overhead(iterations: int) -> dict[str, float]:
    """The cost of the timing itself: an empty call between two clock reads."""
    return _time(lambda: None, iterations)


def measure(name: str, message: msgspec.Struct, decode: Callable[[bytes], Any], n: int) -> Any:
    raw = encode(message)
    plain = msgspec.json.decode(raw)  # the same JSON as an untyped dict
    plain_decoder = msgspec.json.Decoder()
    text = raw.decode()
    assert decode(raw) == message
    return {
        "message": name,
        "bytes": len(raw),
        "protocol": {
            "encode": _time(lambda: encode(message), n),
            "decode": _time(lambda: decode(raw), n),
            "round_trip": _time(lambda: decode(encode(message)), n),
        },
        "floor_msgspec_dict": {
            "encode": _time(lambda: msgspec.json.encode(plain), n),
            "decode": _time(lambda: plain_decoder.decode(raw), n),
            "round_trip": _time(lambda: plain_decoder.decode(msgspec.json.encode(plain)), n),
        },
        "floor_stdlib_json": {
            "encode": _time(lambda: json.dumps(plain), n),
            "decode": _time(lambda: json.loads(text), n),
            "round_trip": _time(lambda: json.loads(json.dumps(plain)), n),
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--iterations", type=int, default=20_000, help="timed calls per figure")
    parser.add_argument("--output", type=Path, default=RESULTS, help="JSON results file")
    args = parser.parse_args(argv)
    if args.iterations < 100:
        parser.error("--iterations must be at least 100")

    rows = [measure(name, m, d, args.iterations) for name, (m, d) in typical_messages().items()]
    report = {
        "benchmark": "codec",
        "unit": "microseconds per call (single calls, perf_counter_ns)",
        "iterations": args.iterations,
        "clock_overhead": _clock_overhead(args.iterations),
        "msgspec": msgspec.__version__,
        "results": rows,
        "machine": machine(),
    }

    header = (
        f"{'message':38} {'bytes':>5}  {'':10} {'protocol':>17} {'msgspec dict':>17} {'json':>17}"
    )
    print(header)
    print(f"{'':46}{'':10} {'median / p99 µs':>17} {'median / p99 µs':>17} {'median / p99 µs':>17}")
    for row in rows:
        for op in ("encode", "decode", "round_trip"):
            cells = [
                f"{row[k][op]['median_us']:7.2f} / {row[k][op]['p99_us']:7.2f}"
                for k in ("protocol", "floor_msgspec_dict", "floor_stdlib_json")
            ]
            label = row["message"] if op == "encode" else ""
            size = str(row["bytes"]) if op == "encode" else ""
            print(f"{label:38} {size:>5}  {op:10} {cells[0]:>17} {cells[1]:>17} {cells[2]:>17}")
    overhead = report["clock_overhead"]
    print(f"(timing overhead per call, included above: {overhead['median_us']:.2f} µs median)")

    write_report(args.output, report, echo=False)  # the table above is the output
    print(f"written to {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
