"""The kill switch: ACTIVE / REDUCING / HALTED, latched, with who set it.

Four independent latches decide the state (``docs/executor.md`` § Trading state):

- ``local_stop``: the operator's emergency stop. Only a local ``resume()``
  clears it; nothing the brain sends can.
- ``brain_halt``: a ``HALT`` from the brain. A brain ``RESUME`` or a local
  ``resume()`` clears it.
- ``disconnect_halt``: ``on_brain_disconnect = halt | flatten`` fired after
  the grace period. Cleared when the brain session is back.
- ``daily_loss``: the daily loss limit was reached. Cleared at the next
  daily reset (or by a local ``resume()``).

Any halt latch → HALTED; otherwise ``daily_loss`` → REDUCING; else ACTIVE.
Each operation returns the :class:`Effects` the runtime must carry out
(cancel pending orders, flatten positions). The caller persists
:meth:`TradingStateMachine.record` after every change.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, tzinfo

import msgspec

from executor_app.core.limits import Limits
from fx_protocol.vocabulary import TradingState


class Latches(msgspec.Struct, kw_only=True):
    """What is persisted; the state is derived from it."""

    local_stop: bool = False
    brain_halt: bool = False
    disconnect_halt: bool = False
    daily_loss: bool = False
    reason: str = ""
    #: the trading day the daily figures belong to (ISO date)
    trading_day: str = ""
    day_start_equity: float | None = None


class Effects(msgspec.Struct, frozen=True, kw_only=True):
    """What the runtime must do after a transition."""

    changed: bool = False
    cancel_orders: bool = False
    flatten: bool = False


NOTHING = Effects()


def trading_day(now: datetime, reset_at: time, zone: tzinfo) -> date:
    """The trading day ``now`` belongs to, given a daily reset at ``reset_at`` in ``zone``."""
    local = now.astimezone(zone)
    reset = datetime.combine(local.date(), reset_at, tzinfo=zone)
    return local.date() if local >= reset else local.date() - timedelta(days=1)


class TradingStateMachine:
    """Latched trading state with the disconnect policy and the daily loss rule."""

    def __init__(self, limits: Limits, zone: tzinfo, latches: Latches | None = None) -> None:
        self.limits = limits
        self.zone = zone
        self.latches = latches or Latches()
        self._disconnected_since: datetime | None = None

    # ---------------------------------------------------------------- reading

    @property
    def state(self) -> TradingState:
        latch = self.latches
        if latch.local_stop or latch.brain_halt or latch.disconnect_halt:
            return TradingState.HALTED
        if latch.daily_loss:
            return TradingState.REDUCING
        return TradingState.ACTIVE

    @property
    def reason(self) -> str:
        return self.latches.reason if self.state is not TradingState.ACTIVE else ""

    def record(self) -> Latches:
        return msgspec.structs.replace(self.latches)

    # ---------------------------------------------------------------- local operator

    def emergency_stop(self, flatten: bool, reason: str = "local emergency stop") -> Effects:
        """Halt new risk at once and cancel pending orders; flatten if asked."""
        before = self.state
        self.latches.local_stop = True
        self.latches.reason = reason
        return Effects(changed=before is not self.state, cancel_orders=True, flatten=flatten)

    def resume(self) -> Effects:
        """The operator lifts every halt (local, brain, disconnect) and the daily-loss latch."""
        before = self.state
        self.latches.local_stop = False
        self.latches.brain_halt = False
        self.latches.disconnect_halt = False
        self.latches.daily_loss = False
        self.latches.reason = ""
        return Effects(changed=before is not self.state)

    # ---------------------------------------------------------------- brain

    def brain_halt(self, flatten: bool, reason: str) -> Effects:
        before = self.state
        self.latches.brain_halt = True
        if not self.latches.local_stop:
            self.latches.reason = reason or "halted by the brain"
        return Effects(changed=before is not self.state, cancel_orders=True, flatten=flatten)

    def brain_resume(self) -> Effects:
        """Clears only the brain's halt: a local stop stays until the operator lifts it."""
        before = self.state
        self.latches.brain_halt = False
        self.latches.disconnect_halt = False
        self._refresh_reason()
        return Effects(changed=before is not self.state)

    def brain_disconnected(self, now: datetime) -> None:
        if self._disconnected_since is None:
            self._disconnected_since = now

    def brain_connected(self) -> Effects:
        """The session is back: the disconnect halt (if any) lifts."""
        self._disconnected_since = None
        if not self.latches.disconnect_halt:
            return NOTHING
        before = self.state
        self.latches.disconnect_halt = False
        self._refresh_reason()
        return Effects(changed=before is not self.state)

    # ---------------------------------------------------------------- time and equity

    def on_clock(self, now: datetime) -> Effects:
        """Apply ``on_brain_disconnect`` once the grace period has passed."""
        since = self._disconnected_since
        policy = self.limits.on_brain_disconnect
        if since is None or policy == "keep" or self.latches.disconnect_halt:
            return NOTHING
        if now - since < timedelta(seconds=self.limits.disconnect_grace_seconds):
            return NOTHING
        before = self.state
        self.latches.disconnect_halt = True
        if not (self.latches.local_stop or self.latches.brain_halt):
            self.latches.reason = f"brain unreachable (on_brain_disconnect = {policy})"
        return Effects(
            changed=before is not self.state, cancel_orders=True, flatten=policy == "flatten"
        )

    def on_equity(self, now: datetime, equity: float) -> Effects:
        """Track start-of-day equity; latch REDUCING when the daily loss limit is reached."""
        before = self.state
        day = trading_day(now, self.limits.daily_reset_time, self.zone).isoformat()
        if day != self.latches.trading_day or self.latches.day_start_equity is None:
            self.latches.trading_day = day
            self.latches.day_start_equity = equity
            self.latches.daily_loss = False
            self._refresh_reason()
        start = self.latches.day_start_equity
        limit = self.limits.daily_loss_limit
        if limit and not self.latches.daily_loss and start - equity >= limit:
            self.latches.daily_loss = True
            if self.state is TradingState.REDUCING:
                self.latches.reason = f"daily loss {start - equity:.2f} reached {limit:.2f}"
        return Effects(changed=before is not self.state)

    def set_limits(self, limits: Limits) -> None:
        self.limits = limits

    def _refresh_reason(self) -> None:
        latch = self.latches
        if latch.local_stop:
            return
        if latch.brain_halt:
            latch.reason = latch.reason or "halted by the brain"
        elif latch.disconnect_halt:
            return
        elif latch.daily_loss:
            latch.reason = "daily loss limit reached"
        else:
            latch.reason = ""
