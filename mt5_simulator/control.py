"""``SIM_CONTROL``: the simulator-only request that tests use to steer it.

Sent on the same ROUTER socket as the EA protocol, one JSON frame:
``{"type": "SIM_CONTROL", "requestId": "...", <any fields below>}``. Every
field is optional; the reply is ``SIM_CONTROL_REPLY`` with the resulting
state. A real EA does not know this message and answers it with an
``ERROR`` reply, which is how the conformance suite tells the two apart
(``docs/simulator.md`` § SIM_CONTROL). It is deliberately not part of
``fx_protocol``: the product never sends it.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from fx_protocol.codec import BoundedDecoder
from fx_protocol.terminal_wire import MAX_REQUEST_BYTES, RequestId, TerminalRequest


class _Body(msgspec.Struct, frozen=True, kw_only=True, rename="camel", omit_defaults=True):
    pass


class QuoteSetting(_Body, frozen=True, kw_only=True):
    """Publish this quote now (and fire any SL/TP/pending it reaches)."""

    symbol: str
    bid: Annotated[float, msgspec.Meta(gt=0)]
    ask: Annotated[float, msgspec.Meta(gt=0)]


class SymbolSetting(_Body, frozen=True, kw_only=True):
    """Change one symbol's specification or state."""

    symbol: str
    trade_mode: Literal["FULL", "LONGONLY", "SHORTONLY", "CLOSEONLY", "DISABLED"] | None = None
    #: False closes the market for this symbol (10018) until set True again
    market_open: bool | None = None
    filling_modes: Annotated[int, msgspec.Meta(ge=0, le=3)] | None = None
    stops_level: Annotated[int, msgspec.Meta(ge=0)] | None = None
    freeze_level: Annotated[int, msgspec.Meta(ge=0)] | None = None
    #: forget the symbol's price: 10021 PRICE_OFF until its next tick
    clear_quote: bool | None = None


class TerminalSetting(_Body, frozen=True, kw_only=True):
    connected: bool | None = None
    trade_allowed: bool | None = None
    ea_trade_allowed: bool | None = None
    account_trade_allowed: bool | None = None


class SimControl(
    msgspec.Struct,
    frozen=True,
    kw_only=True,
    rename="camel",
    tag="SIM_CONTROL",
    tag_field="type",
    omit_defaults=True,
):
    request_id: RequestId
    set_quote: QuoteSetting | None = None
    #: True stops the random walk (quotes change only by setQuote); False resumes it
    pause_market: bool | None = None
    set_symbol: SymbolSetting | None = None
    terminal: TerminalSetting | None = None
    slippage_points: Annotated[int, msgspec.Meta(ge=0)] | None = None
    max_trades_per_second: Annotated[int, msgspec.Meta(ge=0)] | None = None
    max_positions: Annotated[int, msgspec.Meta(ge=0)] | None = None
    max_orders: Annotated[int, msgspec.Meta(ge=0)] | None = None
    #: margin level in % below which positions are stopped out (0 = never)
    stop_out_level: Annotated[float, msgspec.Meta(ge=0)] | None = None
    commission_per_lot: Annotated[float, msgspec.Meta(ge=0)] | None = None
    #: moves the simulator's clock forward (pending-order expiration, event times)
    advance_clock_ms: Annotated[int, msgspec.Meta(ge=0)] | None = None
    # faults (docs/simulator.md § Faults)
    reply_delay_ms: Annotated[int, msgspec.Meta(ge=0)] | None = None
    drop_trade_replies: Annotated[int, msgspec.Meta(ge=0)] | None = None
    reject_next: Annotated[int, msgspec.Meta(ge=0)] | None = None
    reject_retcode: int | None = None
    heartbeats: bool | None = None
    crash_after_trades: Annotated[int, msgspec.Meta(ge=0)] | None = None
    crash_before_trade: Annotated[int, msgspec.Meta(ge=0)] | None = None
    #: exit at once with os._exit(70), no reply: a terminal crash
    crash: bool = False


class ControlState(_Body, frozen=True, kw_only=True):
    paused: bool
    reply_delay_ms: int
    drop_trade_replies: int
    reject_next: int
    reject_retcode: int
    heartbeats: bool
    crash_after_trades: int
    crash_before_trade: int
    clock_offset_ms: int


class SimControlReply(
    msgspec.Struct,
    frozen=True,
    kw_only=True,
    rename="camel",
    tag="SIM_CONTROL_REPLY",
    tag_field="type",
    omit_defaults=True,
):
    request_id: str
    state: ControlState


#: the EA protocol's requests plus SIM_CONTROL, decoded once at the edge
decode_sim_request: BoundedDecoder[TerminalRequest | SimControl] = BoundedDecoder(
    TerminalRequest | SimControl, MAX_REQUEST_BYTES
)
decode_sim_reply = msgspec.json.Decoder(SimControlReply)
