"""A bounded mutational fuzzer for the wire decoders (no coverage guidance).

Seeds are valid encoded messages; each round takes one, applies a few random
mutations (bytes, JSON values, tags, splices) and feeds the decoder. The
decoder must return a message or raise ``ProtocolError``; what it returns
must survive encode → decode unchanged (signatures rely on that, see
``fx_protocol.signing``). Deterministic for a given ``seed``.
"""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from fx_protocol.codec import BoundedDecoder, encode
from fx_protocol.errors import ProtocolError

INTERESTING: list[Any] = [
    0,
    -1,
    2**63 - 1,
    2**63,
    -(2**63) - 1,
    10**30,
    1e308,
    -0.0,
    "",
    "A" * 300,
    "\ud800",
    "1970-01-01T00:00:00",
    "2026-13-45T99:99:99Z",
    None,
    True,
    [],
    {},
    [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]],
    "EURUSD\n",
    "../../etc",
]
RAW: list[bytes] = [b"NaN", b"Infinity", b"1e999", b"-", b'"\\u0000"', b"\x00", b"\xff\xfe"]


@dataclass
class Findings:
    """What a run saw: how many inputs, how many decoded, and the crashes (input, error)."""

    runs: int = 0
    accepted: int = 0
    crashes: list[tuple[bytes, str]] = field(default_factory=list)


def _interesting(rng: random.Random) -> Any:
    return copy.deepcopy(rng.choice(INTERESTING))  # never share (and grow) the constants


def _mutate_json(rng: random.Random, data: Any, tags: Sequence[str], depth: int = 0) -> Any:
    if depth > 8:
        return _interesting(rng)
    if isinstance(data, dict) and data:
        key = rng.choice(list(data))
        roll = rng.random()
        if roll < 0.15:
            del data[key]
        elif roll < 0.3 and key == "type":
            data[key] = rng.choice(tags)
        elif roll < 0.6:
            data[key] = _interesting(rng)
        elif roll < 0.7:
            data[rng.choice(["extra", key.upper(), "__proto__"])] = _interesting(rng)
        else:
            data[key] = _mutate_json(rng, data[key], tags, depth + 1)
    elif isinstance(data, list) and data:
        index = rng.randrange(len(data))
        data[index] = _mutate_json(rng, data[index], tags, depth + 1)
    else:
        return _interesting(rng)
    return data


def _mutate_bytes(rng: random.Random, data: bytes, seeds: Sequence[bytes]) -> bytes:
    buf = bytearray(data)
    roll = rng.random()
    if roll < 0.25 and buf:
        buf[rng.randrange(len(buf))] ^= 1 << rng.randrange(8)
    elif roll < 0.45 and buf:
        del buf[rng.randrange(len(buf)) :]
    elif roll < 0.6:
        at = rng.randrange(len(buf) + 1)
        buf[at:at] = rng.choice(RAW)
    elif roll < 0.75:
        other = rng.choice(seeds)
        cut = rng.randrange(len(other) + 1)
        buf = buf[: rng.randrange(len(buf) + 1)] + bytearray(other[cut:])
    elif buf:
        start = rng.randrange(len(buf))
        del buf[start : start + rng.randrange(1, 8)]
    return bytes(buf)


def fuzz(
    decoder: BoundedDecoder[Any],
    seeds: Sequence[bytes],
    iterations: int,
    seed: int = 0,
    on_accept: Callable[[Any], None] | None = None,
) -> Findings:
    """Run ``iterations`` mutated inputs through ``decoder``; collect crashes."""
    rng = random.Random(seed)
    tags = sorted({json.loads(s).get("type", "") for s in seeds if s.startswith(b"{")})
    found = Findings()
    for _ in range(iterations):
        base = rng.choice(seeds)
        if rng.random() < 0.5:
            value = json.loads(base)
            for _ in range(rng.randint(1, 3)):
                value = _mutate_json(rng, value, tags)
            try:
                data = json.dumps(value, ensure_ascii=rng.random() < 0.5).encode(
                    "utf-8", "surrogatepass"
                )
            except ValueError:
                continue
        else:
            data = base
            for _ in range(rng.randint(1, 4)):
                data = _mutate_bytes(rng, data, seeds)
        found.runs += 1
        try:
            message = decoder(data)
        except ProtocolError:
            continue
        except Exception as exc:  # the bug the fuzzer is here to find
            found.crashes.append((data, f"{type(exc).__name__}: {exc}"))
            continue
        found.accepted += 1
        try:
            again = decoder(encode(message))
            if again != message:
                found.crashes.append((data, "re-encoded message decodes differently"))
            if on_accept is not None:
                on_accept(message)
        except Exception as exc:
            found.crashes.append((data, f"after accept: {type(exc).__name__}: {exc}"))
    return found
