"""A seeded mix of trade commands, each with what the invariants expect of it.

No I/O here: the harness passes in what it knows (open tickets, quotes) and submits what
this module builds. Every command carries an idempotency key so a submission whose 202
was lost (brain killed mid-request) can be retried without creating a second command.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

ALLOWED = ("EURUSD", "XAUUSD")
FORBIDDEN_SYMBOL = "GBPUSD"
MAX_VOLUME = 1.0
#: expiry (ms) so short that the command is dead before any executor could see it
DEAD_ON_ARRIVAL_MS = 1

WEIGHTS = {
    "open": 30,
    "close": 18,
    "place": 10,
    "cancel": 7,
    "modify": 8,
    "violate": 8,
    "expire": 9,
    "resubmit": 5,
    "close_all": 1,
}


@dataclass
class Planned:
    """One submission and the expectations attached to it."""

    index: int
    kind: str
    body: dict[str, Any]
    key: str
    #: the reject reason a limit-violating command must get
    must_reject: str | None = None
    #: the expiry given (ms), if any
    expiry: int | None = None
    #: the command id a resubmission must get back
    same_as: str | None = None
    #: submitted while the executor was confirmed HALTED
    halted: bool = False
    command_id: str = ""
    submitted_ms: int = 0


@dataclass
class Book:
    """What the workload knows of the account, fed by the harness from the brain's results."""

    positions: dict[int, tuple[str, str, float]] = field(default_factory=dict)
    orders: list[int] = field(default_factory=list)
    quotes: dict[str, tuple[float, float]] = field(default_factory=dict)
    done: list[Planned] = field(default_factory=list)


class Workload:
    """Builds the ``index``-th command from the seeded RNG and the current :class:`Book`."""

    def __init__(self, seed: int, executor_id: str, run_tag: str) -> None:
        self.rng = random.Random(seed)
        self.executor_id = executor_id
        self.run_tag = run_tag
        self._kinds = list(WEIGHTS)
        self._weights = list(WEIGHTS.values())

    def next(self, index: int, book: Book, halted: bool = False) -> Planned:
        rng = self.rng
        kind = "open" if halted else rng.choices(self._kinds, self._weights)[0]
        key = f"{self.run_tag}-{index}"
        expiry: int | None = None
        must_reject: str | None = None
        if kind == "resubmit" and book.done:
            first = rng.choice(book.done[-500:])
            return Planned(
                index,
                kind,
                first.body,
                first.key,
                expiry=first.expiry,
                must_reject=first.must_reject,
                same_as=first.command_id,
            )
        if kind == "close" and book.positions:
            ticket = rng.choice(list(book.positions))
            book.positions.pop(ticket)
            command: dict[str, Any] = {"action": "CLOSE_POSITION", "ticket": ticket}
        elif kind == "modify" and book.positions:
            ticket = rng.choice(list(book.positions))
            symbol, side, price = book.positions[ticket]
            step = price * 0.004
            sign = 1 if side == "BUY" else -1
            command = {
                "action": "MODIFY_POSITION",
                "ticket": ticket,
                "stopLoss": _round(symbol, price - sign * step),
                "takeProfit": _round(symbol, price + sign * step * rng.uniform(0.05, 1.0)),
            }
        elif kind == "cancel" and book.orders:
            ticket = book.orders.pop(rng.randrange(len(book.orders)))
            command = {"action": "CANCEL_ORDER", "ticket": ticket}
        elif kind == "place" and book.quotes:
            symbol = rng.choice([s for s in ALLOWED if s in book.quotes] or list(book.quotes))
            bid, ask = book.quotes[symbol]
            order_type = rng.choice(["BUY_LIMIT", "SELL_LIMIT", "BUY_STOP", "SELL_STOP"])
            gap = rng.uniform(0.0005, 0.003)
            below = order_type in ("BUY_LIMIT", "SELL_STOP")
            reference = ask if order_type.startswith("BUY") else bid
            price = reference * (1 - gap if below else 1 + gap)
            command = {
                "action": "PLACE_ORDER",
                "symbol": symbol,
                "type": order_type,
                "volume": _volume(rng),
                "price": _round(symbol, price),
            }
        elif kind == "violate":
            if rng.random() < 0.5:
                command = _open(rng, FORBIDDEN_SYMBOL)
                must_reject = "SYMBOL_NOT_ALLOWED"
            else:
                command = _open(rng, rng.choice(ALLOWED))
                command["volume"] = round(rng.uniform(MAX_VOLUME + 0.01, 5.0), 2)
                must_reject = "VOLUME_TOO_LARGE"
        elif kind == "close_all":
            command = {"action": "CLOSE_ALL", "symbol": rng.choice(ALLOWED)}
        else:
            if kind == "expire":
                expiry = DEAD_ON_ARRIVAL_MS if rng.random() < 0.5 else rng.randint(50, 3000)
            else:
                kind = "open"
            command = _open(rng, rng.choice(ALLOWED))
        body: dict[str, Any] = {"executorId": self.executor_id, "command": command}
        body["idempotencyKey"] = key
        if expiry is not None:
            body["expiry"] = expiry
        return Planned(index, kind, body, key, must_reject=must_reject, expiry=expiry)


def _volume(rng: random.Random) -> float:
    return round(rng.choice([0.01, 0.01, 0.02, 0.03, 0.05]), 2)


def _open(rng: random.Random, symbol: str) -> dict[str, Any]:
    return {
        "action": "OPEN_POSITION",
        "symbol": symbol,
        "type": rng.choice(["BUY", "SELL"]),
        "volume": _volume(rng),
    }


def _round(symbol: str, price: float) -> float:
    return round(price, 2 if symbol == "XAUUSD" else 5)
