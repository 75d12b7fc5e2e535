"""The invariant checks catch each kind of broken promise (so a clean run means something)."""

from __future__ import annotations

from typing import Any

from fx_demo.chaos.invariants import ClockSegment, Evidence, check, wall_time
from fx_demo.chaos.workload import Planned

T = 1_800_000_000_000


def command(cid: str, action: str = "OPEN_POSITION", status: str = "executed", **kw: Any) -> dict:
    return {
        "id": cid,
        "action": action,
        "status": status,
        "reason": None,
        "source": None,
        "expiry_ms": None,
        "expires_ms": None,
        **kw,
    }


def deal(ticket: int, comment: str, entry: str = "IN", **kw: Any) -> dict:
    base = {
        "ticket": ticket,
        "symbol": "EURUSD",
        "type": "BUY",
        "volume": 0.01,
        "price": 1.1,
        "comment": comment,
        "entry": entry,
        "positionId": ticket - 1,
        "reason": "EXPERT",
        "timeMsc": T,
    }
    return {**base, **kw}


def fill(d: dict) -> dict:
    return {
        "deal": d["ticket"],
        "symbol": d["symbol"],
        "entry": d["entry"],
        "volume": d["volume"],
        "price": d["price"],
        "position_id": d["positionId"],
        "command_id": d["comment"],
    }


def planned(cid: str, **kw: Any) -> Planned:
    return Planned(index=0, kind="open", body={}, key="k", command_id=cid, **kw)


def rules(
    commands: list[dict],
    deals: list[dict],
    fills: list[dict] | None = None,
    plans: list[Planned] | None = None,
    **kw: Any,
) -> set[str]:
    fills = [fill(d) for d in deals] if fills is None else fills
    plans = [planned(c["id"]) for c in commands] if plans is None else plans
    return {v.rule for v in check(Evidence(commands, fills, deals, plans, **kw))}


def test_clean_history_has_no_violation() -> None:
    """An open, its close, an SL deal of a command's position, a rejected command: clean."""
    deals = [
        deal(2, "a"),
        deal(4, "b", "OUT", positionId=1),
        deal(6, "c"),
        deal(8, "[sl 1.09]", "OUT", positionId=5, reason="SL"),
    ]
    commands = [
        command("a"),
        command("b", "CLOSE_POSITION"),
        command("c"),
        command("r", status="rejected", reason="SYMBOL_NOT_ALLOWED"),
    ]
    assert rules(commands, deals) == set()


def test_double_execution_is_caught() -> None:
    """Two opening deals for one command."""
    assert "not-exactly-once" in rules([command("a")], [deal(2, "a"), deal(4, "a")])


def test_executed_without_deal_is_caught() -> None:
    """The brain says executed, the terminal has no deal."""
    assert "not-exactly-once" in rules([command("a")], [])


def test_deal_of_a_rejected_command_is_caught() -> None:
    """Rejected at the brain, but the terminal traded it."""
    found = rules([command("a", status="rejected")], [deal(2, "a")])
    assert "deal-without-execution" in found


def test_orphan_deal_is_caught() -> None:
    """A deal no command explains (not SL/TP of a command's position)."""
    assert "deal-without-command" in rules([], [deal(2, "stranger")])


def test_lost_and_duplicated_fill_is_caught() -> None:
    """A deal the brain never got; a fill recorded twice; a fill with no deal."""
    d = deal(2, "a")
    assert "fill-lost" in rules([command("a")], [d], fills=[])
    assert "fill-duplicated" in rules([command("a")], [d], fills=[fill(d), fill(d)])
    ghost = fill(deal(9, "a"))
    assert "fill-without-deal" in rules([command("a")], [d], fills=[fill(d), ghost])


def test_not_final_and_lost_command_are_caught() -> None:
    """A command left unknown; an accepted submission the brain does not have."""
    assert "not-final" in rules([command("a", status="unknown")], [])
    assert "lost-command" in rules([], [], plans=[planned("zz")])


def test_resubmission_with_new_id_is_caught() -> None:
    """The same idempotency key answered with a different command id."""
    plans = [planned("b", same_as="a")]
    assert "idempotency" in rules(
        [command("a", status="rejected"), command("b", status="rejected")], [], plans=plans
    )


def test_execution_after_expiry_is_caught() -> None:
    """Dead on arrival but executed; executed long after its deadline."""
    doa = command("a", expiry_ms=1, expires_ms=T - 5000)
    assert "executed-after-expiry" in rules([doa], [deal(2, "a")])
    late = command("b", expiry_ms=500, expires_ms=T - 5000)
    assert "executed-after-expiry" in rules([late], [deal(2, "b")])
    in_time = command("c", expiry_ms=500, expires_ms=T + 10)
    assert rules([in_time], [deal(2, "c")]) == set()


def test_clock_jump_is_undone_before_comparing() -> None:
    """A deal stamped by a terminal clock one hour ahead is compared at its wall time."""
    clock = [ClockSegment(T - 10_000, 0), ClockSegment(T - 5_000, 3_600_000)]
    assert wall_time(T + 3_600_000, clock) == T
    c = command("a", expiry_ms=500, expires_ms=T + 10)
    assert rules([c], [deal(2, "a", timeMsc=T + 3_600_000)], clock=clock) == set()


def test_offset_reset_by_a_restart_is_not_mistaken_for_a_jump() -> None:
    """After a restart resets the terminal clock, a deal is not read with an old offset."""
    hour = 3_600_000
    clock = [
        ClockSegment(T - 10_000, 0),
        ClockSegment(T - 9_000, 600_000),
        ClockSegment(T - 8_000, 0),
    ]
    # Stamped T + 600 s by a reset clock: with the old offset it would fall at T.
    c = command("a", created_ms=T + 600_000 - 50)
    window = [(T - 1000, T + 1000)]
    d = deal(2, "a", timeMsc=T + 600_000)
    assert rules([c], [d], clock=clock, halt_windows=window) == set()
    assert wall_time(T + hour, clock, not_before=T + hour - 10) == T + hour


def test_execution_while_halted_is_caught() -> None:
    """An open submitted inside a HALTED window executed; a deal inside the window."""
    plans = [planned("a", halted=True)]
    assert "executed-while-halted" in rules([command("a")], [deal(2, "a")], plans=plans)
    found = rules([command("b")], [deal(2, "b")], halt_windows=[(T - 5000, T + 5000)])
    assert "executed-while-halted" in found


def test_limit_breach_is_caught() -> None:
    """A forbidden symbol or an oversized volume traded; a limit reject with another reason."""
    assert "past-limit" in rules([command("a")], [deal(2, "a", symbol="GBPUSD")])
    assert "past-limit" in rules([command("a")], [deal(2, "a", volume=2.0)])
    plans = [planned("a", must_reject="VOLUME_TOO_LARGE")]
    wrong = command("a", status="rejected", reason="RATE_LIMIT")
    assert "wrong-reject" in rules([wrong], [], plans=plans)
