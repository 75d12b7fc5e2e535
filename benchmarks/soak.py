"""Long fault drill: the real brain, simulated terminal and executor under seeded faults.

    uv run python benchmarks/soak.py --commands 100000 --faults 300 --seed 1

Writes ``docs/soak/soak-<commands>-<seed>.json`` and ``.md`` (and ``latest.*``) with the
figures and every violation; exits 1 if any invariant broke. See docs/reliability.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fx_demo.chaos.evidence import BrainReader
from fx_demo.chaos.harness import Harness, RunConfig
from fx_demo.chaos.invariants import ClockSegment, Evidence, check
from fx_demo.chaos.report import markdown
from fx_demo.chaos.workload import Planned

OUT = Path(__file__).resolve().parent.parent / "docs" / "soak"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commands", type=int, default=100_000, help="commands to submit")
    parser.add_argument("--faults", type=int, default=300, help="faults to inject")
    parser.add_argument("--seed", type=int, default=1, help="seed of workload and faults")
    parser.add_argument("--concurrency", type=int, default=8, help="REST submissions in flight")
    parser.add_argument("--max-outstanding", type=int, default=200, help="non-final cap")
    parser.add_argument("--halt-windows", type=int, default=5, help="HALTED windows")
    parser.add_argument(
        "--max-seconds", type=float, default=0.0, help="stop submitting after this long"
    )
    parser.add_argument("--out", type=Path, default=OUT, help="report directory")
    parser.add_argument("--keep", type=Path, default=None, help="keep logs and data here")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    parser.add_argument(
        "--recheck",
        type=Path,
        default=None,
        help="re-run the invariants on a finished run: its JSON report (needs --keep DIR)",
    )
    args = parser.parse_args(argv)
    if args.recheck is not None:
        if args.keep is None:
            parser.error("--recheck needs --keep DIR (the run's data)")
        report = recheck(json.loads(args.recheck.read_text("utf-8")), args.keep)
        write(report, args.out, f"soak-{report['submitted']}-{report['config']['seed']}")
        print(f"recheck: {len(report['violations'])} violations")
        return 1 if report["violations"] else 0
    if args.commands < 1 or args.faults < 0:
        parser.error("--commands must be >= 1 and --faults >= 0")
    config = RunConfig(
        commands=args.commands,
        faults=args.faults,
        seed=args.seed,
        concurrency=args.concurrency,
        max_outstanding=args.max_outstanding,
        halt_windows=args.halt_windows,
        settle_timeout=600.0,
        max_seconds=args.max_seconds,
        root=args.keep,
        keep=args.keep is not None,
        verbose=not args.quiet,
    )
    # SIGTERM unwinds like Ctrl-C so the stack's programs are stopped, not orphaned.
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    report = asyncio.run(Harness(config).run())
    write(report, args.out, f"soak-{args.commands}-{args.seed}")
    print(
        f"soak: {report['submitted']} commands, {len(report['faults'])} faults, "
        f"{len(report['violations'])} violations, {report['wall_seconds']} s -> {args.out}"
    )
    return 1 if report["violations"] else 0


def write(report: dict[str, Any], out: Path, stem: str) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name in (stem, "latest"):
        (out / f"{name}.json").write_text(json.dumps(report, indent=1) + "\n", "utf-8")
        (out / f"{name}.md").write_text(markdown(report), "utf-8")


RESETS = {"sim_restart", "sim_kill9", "sim_crash_after_trade", "sim_crash_before_trade"}


def recheck(report: dict[str, Any], keep: Path) -> dict[str, Any]:
    """The invariants again, from the kept databases, the planned list and the fault log.

    The terminal's clock segments are rebuilt from the fault log (jumps add, terminal
    restarts reset), each starting when its drill started.
    """
    started = datetime.strptime(report["started"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    t0 = int(started.timestamp() * 1000)
    clock, offset = [ClockSegment(0, 0)], 0
    for fault in report["faults"]:
        if fault["kind"] == "clock_jump":
            offset += int(fault["detail"].split("+")[1].rstrip("s")) * 1000
        elif fault["kind"] in RESETS:
            offset = 0
        else:
            continue
        clock.append(ClockSegment(t0 + int(fault["started_s"] * 1000), offset))
    planned = [
        Planned(**json.loads(line))
        for line in (keep / "planned.jsonl").read_text("utf-8").splitlines()
    ]
    reader = BrainReader(keep / "brain" / "brain.sqlite3")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mt5_simulator.cli",
            "deals",
            "--state-dir",
            str(keep / "mt5sim"),
            "--json",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    deals = json.loads(done.stdout)
    evidence = Evidence(
        commands=reader.commands(),
        fills=reader.fills(),
        deals=deals,
        planned=planned,
        halt_windows=[(h["start_ms"], h["end_ms"]) for h in report["halt_windows"]],
        clock=clock,
    )
    violations = check(evidence)
    reader.close()
    return {
        **report,
        "violations": [v.as_dict() for v in violations],
        "rechecked": {
            "violations_at_run_time": len(report["violations"]),
            "rules_at_run_time": sorted({v["rule"] for v in report["violations"]}),
            "why": "invariant checker fixed after the run (clock-offset disambiguation); "
            "same data, kept in --keep",
        },
    }


if __name__ == "__main__":
    sys.exit(main())
