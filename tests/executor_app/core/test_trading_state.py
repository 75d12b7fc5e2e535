"""The kill switch: latches, who may clear them, daily loss and disconnect policy."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import msgspec

from executor_app.core.limits import Limits
from executor_app.core.trading_state import TradingStateMachine, trading_day
from fx_protocol.vocabulary import TradingState

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def machine(**limits: object) -> TradingStateMachine:
    return TradingStateMachine(msgspec.structs.replace(Limits(), **limits), UTC)


def test_local_stop_halts_cancels_and_optionally_flattens() -> None:
    """The emergency stop halts at once, always cancels orders, flattens only when asked."""
    sm = machine()
    effects = sm.emergency_stop(flatten=False)
    assert sm.state is TradingState.HALTED
    assert effects.changed
    assert effects.cancel_orders
    assert not effects.flatten
    assert sm.emergency_stop(flatten=True).flatten


def test_brain_resume_cannot_clear_a_local_stop() -> None:
    """Only a local action lifts a local stop."""
    sm = machine()
    sm.emergency_stop(flatten=False)
    sm.brain_halt(flatten=False, reason="remote")
    sm.brain_resume()
    assert sm.state is TradingState.HALTED
    assert sm.reason == "local emergency stop"
    sm.resume()
    assert sm.state is TradingState.ACTIVE


def test_brain_halt_cleared_by_brain_resume() -> None:
    """A brain HALT is lifted by a brain RESUME."""
    sm = machine()
    effects = sm.brain_halt(flatten=True, reason="risk desk")
    assert effects.flatten
    assert sm.state is TradingState.HALTED
    assert sm.reason == "risk desk"
    assert sm.brain_resume().changed
    assert sm.state is TradingState.ACTIVE
    assert sm.reason == ""


def test_latches_survive_a_restart() -> None:
    """The persisted record restores the same state."""
    sm = machine()
    sm.emergency_stop(flatten=False)
    restored = TradingStateMachine(Limits(), UTC, sm.record())
    assert restored.state is TradingState.HALTED


def test_daily_loss_moves_to_reducing_until_next_day() -> None:
    """Equity below start-of-day minus the limit → REDUCING; the next trading day resets it."""
    sm = machine(daily_loss_limit=100.0)
    sm.on_equity(NOW, 10_000.0)
    assert not sm.on_equity(NOW, 9_950.0).changed
    assert sm.on_equity(NOW, 9_900.0).changed
    assert sm.state is TradingState.REDUCING
    # Recovery within the day does not unlatch.
    sm.on_equity(NOW, 10_500.0)
    assert sm.state is TradingState.REDUCING
    sm.on_equity(NOW + timedelta(days=1), 9_900.0)
    assert sm.state is TradingState.ACTIVE
    assert sm.latches.day_start_equity == 9_900.0


def test_trading_day_follows_reset_time_and_zone() -> None:
    """A 17:00 New York reset puts 21:30 UTC in winter on the next trading day."""
    zone = ZoneInfo("America/New_York")
    before = datetime(2026, 1, 5, 21, 30, tzinfo=UTC)  # 16:30 New York
    after = datetime(2026, 1, 5, 22, 30, tzinfo=UTC)  # 17:30 New York
    assert trading_day(before, time(17), zone).isoformat() == "2026-01-04"
    assert trading_day(after, time(17), zone).isoformat() == "2026-01-05"


def test_disconnect_halt_after_grace_and_lift_on_reconnect() -> None:
    """on_brain_disconnect = halt applies only after the grace period and lifts on reconnect."""
    sm = machine(on_brain_disconnect="halt", disconnect_grace_seconds=30)
    sm.brain_disconnected(NOW)
    assert not sm.on_clock(NOW + timedelta(seconds=29)).changed
    effects = sm.on_clock(NOW + timedelta(seconds=30))
    assert effects.changed
    assert effects.cancel_orders
    assert not effects.flatten
    assert sm.state is TradingState.HALTED
    assert sm.brain_connected().changed
    assert sm.state is TradingState.ACTIVE


def test_disconnect_flatten_and_keep() -> None:
    """flatten asks to flatten once; keep never changes anything."""
    sm = machine(on_brain_disconnect="flatten", disconnect_grace_seconds=1)
    sm.brain_disconnected(NOW)
    assert sm.on_clock(NOW + timedelta(seconds=2)).flatten
    assert not sm.on_clock(NOW + timedelta(seconds=3)).flatten
    keep = machine(on_brain_disconnect="keep", disconnect_grace_seconds=0)
    keep.brain_disconnected(NOW)
    assert not keep.on_clock(NOW + timedelta(hours=1)).changed
    assert keep.state is TradingState.ACTIVE


def test_reconnect_keeps_a_local_stop() -> None:
    """A reconnect lifts the disconnect halt but not the operator's stop."""
    sm = machine(on_brain_disconnect="halt", disconnect_grace_seconds=0)
    sm.brain_disconnected(NOW)
    sm.on_clock(NOW)
    sm.emergency_stop(flatten=False)
    sm.brain_connected()
    assert sm.state is TradingState.HALTED
