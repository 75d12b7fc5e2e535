"""The local safety limits: declared once, typed, with defaults and help text.

``executor_app.config`` reads them from the ``[limits]`` table of the TOML
file; the safety engine and the trading state read them from here. The brain
never changes them: it only receives a summary (``LimitsSummary``).
"""

from __future__ import annotations

from datetime import time
from typing import Annotated, Literal

import msgspec

from fx_protocol.brain_wire import LimitsSummary

DisconnectPolicy = Literal["keep", "halt", "flatten"]


def _help(text: str, **constraints: float) -> msgspec.Meta:
    meta: msgspec.Meta = msgspec.Meta(description=text, **constraints)  # type: ignore[call-overload]
    return meta


class Limits(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """``[limits]``: checked on every command before it can reach the terminal."""

    allowed_symbols: Annotated[
        list[str], _help("Symbols new risk may be opened in; an empty list allows none.")
    ] = msgspec.field(default_factory=lambda: ["EURUSD", "XAUUSD"])
    max_volume_per_order: Annotated[
        float, _help("Largest volume of one OPEN_POSITION / PLACE_ORDER, in lots.", gt=0)
    ] = 1.0
    max_total_volume_per_symbol: Annotated[
        float,
        _help("Largest total of open positions plus pending orders per symbol, in lots.", gt=0),
    ] = 5.0
    max_open_positions: Annotated[
        int, _help("Most open positions plus pending orders at once; 0 = no limit.", ge=0)
    ] = 10
    max_orders_per_minute: Annotated[
        int,
        _help("Most risk-adding commands accepted in any 60 s window; 0 = no limit.", ge=0),
    ] = 60
    daily_loss_limit: Annotated[
        float,
        _help(
            "Loss from start-of-day equity (account currency) that moves trading to "
            "REDUCING until the next daily reset; 0 = off.",
            ge=0,
        ),
    ] = 500.0
    require_stop_loss: Annotated[
        bool, _help("Refuse OPEN_POSITION / PLACE_ORDER without a stopLoss.")
    ] = False
    max_price_deviation_pct: Annotated[
        float,
        _help(
            "Largest distance of a command's price from the current tick, in percent; 0 = off.",
            ge=0,
        ),
    ] = 0.5
    max_spread_points: Annotated[
        int, _help("Widest spread, in points, at which new risk is opened; 0 = off.", ge=0)
    ] = 0
    on_brain_disconnect: Annotated[
        DisconnectPolicy,
        _help(
            "What to do once the brain has been unreachable for disconnect_grace_seconds: "
            "keep trading state, halt new risk, or flatten everything."
        ),
    ] = "keep"
    disconnect_grace_seconds: Annotated[
        float, _help("Grace period before on_brain_disconnect applies, in seconds.", ge=0)
    ] = 30.0
    daily_reset_time: Annotated[
        time, _help("Local time of day at which the trading day (and the daily loss) resets.")
    ] = time(0, 0)
    daily_reset_zone: Annotated[
        str, _help('IANA time zone of daily_reset_time, e.g. "Europe/London".')
    ] = "UTC"

    def summary(self) -> LimitsSummary:
        """What the brain is told about the limits in force."""
        return LimitsSummary(
            allowed_symbols=list(self.allowed_symbols),
            max_volume_per_order=self.max_volume_per_order,
            max_total_volume_per_symbol=self.max_total_volume_per_symbol,
            max_open_positions=self.max_open_positions,
            max_orders_per_minute=self.max_orders_per_minute,
            daily_loss_limit=self.daily_loss_limit,
            require_stop_loss=self.require_stop_loss,
            max_price_deviation_pct=self.max_price_deviation_pct,
            max_spread_points=self.max_spread_points,
            on_brain_disconnect=self.on_brain_disconnect,
        )
