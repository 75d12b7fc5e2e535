"""The promises, checked against the terminal's own deal ledger and the brain's store.

Pure functions over plain rows (no I/O): the harness reads the simulator's deals
(``fx-mt5sim deals --json``) and the brain's ``commands``/``results``/``fills`` tables and
passes them in. The executor's own journal is never consulted: it is the thing under test.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from fx_demo.chaos.workload import DEAD_ON_ARRIVAL_MS, Planned

FINAL = frozenset({"executed", "rejected", "expired", "cancelled"})
PROTECTIVE = frozenset({"SL", "TP", "SO"})
#: a command sent just before its deadline trades a little after it (loopback hop + queue)
EXPIRY_SLACK_MS = 1000
#: safety checks that run before the limits and may legitimately answer first
EARLIER = frozenset({"TERMINAL_UNAVAILABLE", "NOT_RECONCILED", "TRADING_HALTED"})
#: an order sent just before the halt latched may still fill this long after
HALT_SLACK_MS = 500


@dataclass(frozen=True)
class Violation:
    """One broken promise, with what is needed to find it in the logs."""

    rule: str
    detail: str
    command_id: str | None = None
    deal: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ClockSegment:
    """From ``wall_ms`` on, the simulator's clock ran ``offset_ms`` ahead of the wall clock."""

    wall_ms: int
    offset_ms: int


@dataclass(frozen=True)
class Evidence:
    """Everything the checks read."""

    commands: Sequence[dict[str, Any]]  # brain: id, action, status, reason, expires_ms, ...
    fills: Sequence[dict[str, Any]]  # brain: deal, symbol, entry, volume, price, command_id
    deals: Sequence[dict[str, Any]]  # terminal: fx-mt5sim deals --json
    planned: Sequence[Planned]
    halt_windows: Sequence[tuple[int, int]] = ()
    clock: Sequence[ClockSegment] = ()
    allowed_symbols: frozenset[str] = frozenset({"EURUSD", "XAUUSD"})
    max_volume: float = 1.0


def check(ev: Evidence) -> list[Violation]:
    """Every rule; an empty list means every promise held."""
    out: list[Violation] = []
    commands = {c["id"]: c for c in ev.commands}
    by_comment: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for deal in ev.deals:
        by_comment[str(deal.get("comment") or "")].append(deal)
    out += _submitted(ev.planned, commands)
    out += _final(commands)
    out += _deals_per_command(commands, by_comment)
    out += _orphan_deals(ev.deals, commands)
    out += _fills(ev.fills, ev.deals)
    out += _expiry(commands, by_comment, ev.clock)
    out += _halted(ev, commands, by_comment)
    out += _limits(ev, commands)
    return out


def _submitted(planned: Iterable[Planned], commands: dict[str, dict[str, Any]]) -> list[Violation]:
    """A 202 means stored: every accepted submission is in the brain; resubmits are one."""
    out = []
    for p in planned:
        if p.command_id not in commands:
            out.append(Violation("lost-command", f"accepted #{p.index} missing", p.command_id))
        if p.same_as is not None and p.command_id != p.same_as:
            out.append(
                Violation(
                    "idempotency",
                    f"key {p.key} resubmitted gave {p.command_id}, first was {p.same_as}",
                    p.command_id,
                )
            )
    return out


def _final(commands: dict[str, dict[str, Any]]) -> list[Violation]:
    return [
        Violation("not-final", f"status {c['status']} after settling", c["id"])
        for c in commands.values()
        if c["status"] not in FINAL
    ]


def _deals_per_command(
    commands: dict[str, dict[str, Any]], by_comment: dict[str, list[dict[str, Any]]]
) -> list[Violation]:
    """Executed opens/closes have exactly one deal of their own; anything else none."""
    out = []
    for cid, c in commands.items():
        mine = [d for d in by_comment.get(cid, []) if d.get("reason") not in PROTECTIVE]
        tickets = [d["ticket"] for d in mine]
        action, status = c["action"], c["status"]
        if status != "executed":
            if mine:
                out.append(
                    Violation(
                        "deal-without-execution", f"{action} {status} has deals {tickets}", cid
                    )
                )
            continue
        if action == "OPEN_POSITION":
            opening = [d for d in mine if d.get("entry") == "IN"]
            if len(opening) != 1 or len(mine) != 1:
                out.append(Violation("not-exactly-once", f"{action} deals {tickets}", cid))
        elif action == "CLOSE_POSITION":
            if len(mine) != 1:
                out.append(Violation("not-exactly-once", f"{action} deals {tickets}", cid))
        elif action == "PLACE_ORDER":
            if len(mine) > 1:
                out.append(Violation("not-exactly-once", f"pending order filled {tickets}", cid))
        elif action in ("MODIFY_POSITION", "CANCEL_ORDER") and mine:
            out.append(Violation("deal-without-execution", f"{action} has deals {tickets}", cid))
    return out


def _orphan_deals(
    deals: Sequence[dict[str, Any]], commands: dict[str, dict[str, Any]]
) -> list[Violation]:
    """A deal is either a command's, or SL/TP/stop-out of a position a command opened."""
    opened_by_command = {
        d["positionId"] for d in deals if d.get("entry") == "IN" and d.get("comment") in commands
    }
    out = []
    for d in deals:
        if d.get("comment") in commands:
            continue
        if d.get("reason") in PROTECTIVE and d.get("positionId") in opened_by_command:
            continue
        out.append(
            Violation("deal-without-command", f"{d}", d.get("comment") or None, d.get("ticket"))
        )
    return out


def _fills(fills: Sequence[dict[str, Any]], deals: Sequence[dict[str, Any]]) -> list[Violation]:
    """Every terminal deal is a brain fill exactly once, with the same figures."""
    out = []
    counts = Counter(f["deal"] for f in fills)
    for ticket, n in counts.items():
        if n > 1:
            out.append(Violation("fill-duplicated", f"{n} fills", deal=ticket))
    by_ticket = {f["deal"]: f for f in fills}
    ledger = {d["ticket"]: d for d in deals}
    for ticket, d in ledger.items():
        f = by_ticket.get(ticket)
        if f is None:
            out.append(Violation("fill-lost", f"{d}", d.get("comment") or None, ticket))
            continue
        same = (
            f["symbol"] == d["symbol"]
            and f["entry"] == d["entry"]
            and abs(f["volume"] - d["volume"]) < 1e-9
            and abs(f["price"] - d["price"]) < 1e-9
            and f["position_id"] == d["positionId"]
        )
        if not same:
            out.append(Violation("fill-mismatch", f"brain {f} vs terminal {d}", deal=ticket))
    for ticket in by_ticket.keys() - ledger.keys():
        out.append(Violation("fill-without-deal", f"{by_ticket[ticket]}", deal=ticket))
    return out


def wall_time(sim_ms: int, clock: Sequence[ClockSegment], not_before: int | None = None) -> int:
    """The wall time a simulator timestamp stands for, given the clock jumps.

    Several offsets can explain one timestamp (restarts reset the offset to 0). A deal
    cannot precede its command's creation (``not_before``, the brain's ``created_ms``)
    and offsets differ by at least a minute, so the earliest explanation not before the
    command was created is the true one.
    """
    if not clock:
        return sim_ms
    candidates = []
    for i, seg in enumerate(clock):
        end = clock[i + 1].wall_ms if i + 1 < len(clock) else None
        wall = sim_ms - seg.offset_ms
        if wall >= seg.wall_ms - 2000 and (end is None or wall <= end + 2000):
            candidates.append(wall)
    if not_before is not None:
        plausible = [w for w in candidates if w >= not_before - 1000]
        candidates = plausible or candidates
    return min(candidates) if candidates else sim_ms


def _expiry(
    commands: dict[str, dict[str, Any]],
    by_comment: dict[str, list[dict[str, Any]]],
    clock: Sequence[ClockSegment],
) -> list[Violation]:
    out = []
    for cid, c in commands.items():
        expires = c.get("expires_ms")
        if expires is None or c["action"] != "OPEN_POSITION":
            continue
        mine = [d for d in by_comment.get(cid, []) if d.get("entry") == "IN"]
        if c.get("expiry_ms") == DEAD_ON_ARRIVAL_MS and (mine or c["status"] == "executed"):
            out.append(Violation("executed-after-expiry", f"expiry 1 ms, deals {mine}", cid))
            continue
        for d in mine:
            late = wall_time(int(d["timeMsc"]), clock, c.get("created_ms")) - int(expires)
            if late > EXPIRY_SLACK_MS:
                out.append(
                    Violation(
                        "executed-after-expiry", f"deal {late} ms after expiry", cid, d["ticket"]
                    )
                )
    return out


def _halted(
    ev: Evidence,
    commands: dict[str, dict[str, Any]],
    by_comment: dict[str, list[dict[str, Any]]],
) -> list[Violation]:
    out = []
    for p in ev.planned:
        c = commands.get(p.command_id)
        risky = c is not None and c["action"] in ("OPEN_POSITION", "PLACE_ORDER")
        ran = c is not None and (c["status"] == "executed" or bool(by_comment.get(p.command_id)))
        if p.halted and risky and ran and c is not None:
            out.append(Violation("executed-while-halted", f"status {c['status']}", p.command_id))
    for d in ev.deals:
        c = commands.get(str(d.get("comment")))
        if c is None or c["action"] != "OPEN_POSITION" or d.get("entry") != "IN":
            continue
        at = wall_time(int(d["timeMsc"]), ev.clock, c.get("created_ms"))
        for start, end in ev.halt_windows:
            if start + HALT_SLACK_MS < at < end:
                out.append(
                    Violation("executed-while-halted", f"deal at {at}", c["id"], d["ticket"])
                )
    return out


def _limits(ev: Evidence, commands: dict[str, dict[str, Any]]) -> list[Violation]:
    out = []
    for d in ev.deals:
        if d["symbol"] not in ev.allowed_symbols:
            out.append(
                Violation("past-limit", f"symbol {d['symbol']}", d.get("comment"), d["ticket"])
            )
        opening = d.get("entry") == "IN" and d.get("reason") not in PROTECTIVE
        if opening and d["volume"] > ev.max_volume + 1e-9:
            out.append(
                Violation("past-limit", f"volume {d['volume']}", d.get("comment"), d["ticket"])
            )
    for p in ev.planned:
        c = commands.get(p.command_id)
        if p.must_reject is None or c is None:
            continue
        if c["status"] == "executed":
            out.append(Violation("past-limit", f"{p.must_reject} executed", p.command_id))
        elif c["status"] == "rejected" and c.get("reason") not in {p.must_reject, *EARLIER}:
            out.append(
                Violation(
                    "wrong-reject",
                    f"expected {p.must_reject}, got {c.get('reason')} ({c.get('source')})",
                    p.command_id,
                )
            )
    return out
