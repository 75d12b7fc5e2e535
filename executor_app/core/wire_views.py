"""Translations between the two wires: what the EA reports → what the brain is told.

Pure functions (``docs/protocol.md`` § Snapshots): terminal positions, orders,
account and deals become the brain's ``Position``, ``OpenOrder``, ``Account``
and ``FillReport``; a brain ``TradeCommand`` becomes the EA's ``TRADE``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from fx_protocol.brain_wire import Account, FillReport, OpenOrder, Position
from fx_protocol.commands import TradeCommand
from fx_protocol.terminal_wire import (
    GetDeals,
    TerminalAccount,
    TerminalDeal,
    TerminalOrder,
    TerminalPosition,
    Trade,
)

#: ids of commands the executor makes itself (emergency cancel/flatten) start with this
LOCAL_PREFIX = "x"


def ms_to_datetime(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000.0, UTC)


def position_view(p: TerminalPosition) -> Position:
    return Position(
        ticket=p.ticket,
        symbol=p.symbol,
        type=p.side,
        volume=p.volume,
        open_price=p.price_open,
        current_price=p.price_current,
        stop_loss=p.sl or None,
        take_profit=p.tp or None,
        profit=p.profit,
        swap=p.swap,
        magic=p.magic,
        comment=p.comment,
        open_time=ms_to_datetime(p.time_msc),
    )


def order_view(o: TerminalOrder) -> OpenOrder:
    return OpenOrder(
        ticket=o.ticket,
        symbol=o.symbol,
        type=o.order_type,
        volume=o.volume,
        price=o.price_open,
        stop_loss=o.sl or None,
        take_profit=o.tp or None,
        magic=o.magic,
        comment=o.comment,
        expiration=ms_to_datetime(o.expiration_msc) if o.expiration_msc else None,
        setup_time=ms_to_datetime(o.time_setup_msc),
    )


def account_view(a: TerminalAccount, day_start_equity: float | None) -> Account:
    return Account(
        login=a.login,
        server=a.server,
        currency=a.currency,
        balance=a.balance,
        equity=a.equity,
        margin=a.margin,
        free_margin=a.free_margin,
        margin_level=a.margin_level or None,
        leverage=a.leverage,
        profit=a.profit,
        mode=a.margin_mode,
        day_start_equity=day_start_equity,
    )


def fill_report(deal: TerminalDeal, command_id: str | None) -> FillReport | None:
    """A trade deal as a FILL; None for balance/credit entries, which are not fills.

    ``command_id`` is reported only for the brain's own commands, never for the
    executor's local ones.
    """
    if deal.side not in ("BUY", "SELL"):
        return None
    side: Literal["BUY", "SELL"] = "BUY" if deal.side == "BUY" else "SELL"
    brain_command = command_id if command_id and not command_id.startswith(LOCAL_PREFIX) else None
    return FillReport(
        deal=deal.ticket,
        order=deal.order,
        position_id=deal.position_id,
        symbol=deal.symbol,
        side=side,
        entry=deal.entry,
        volume=deal.volume,
        price=deal.price,
        profit=deal.profit,
        commission=deal.commission,
        swap=deal.swap,
        magic=deal.magic,
        comment=deal.comment,
        reason=deal.reason,
        time=ms_to_datetime(deal.time_msc),
        command_id=brain_command,
    )


def to_trade(request_id: str, command_id: str, command: TradeCommand) -> Trade:
    """The EA's TRADE request for a brain command (``commandId`` becomes the comment)."""
    return Trade(
        request_id=request_id,
        command_id=command_id,
        action=command.action,
        symbol=command.symbol,
        order_type=command.type.value if command.type is not None else None,
        volume=command.volume,
        price=command.price,
        sl=command.stop_loss,
        tp=command.take_profit,
        ticket=command.ticket,
        magic=command.magic_number,
        deviation=command.deviation if command.deviation is not None else 10,
        expiration_msc=command.expiration or 0,
    )


def get_deals(after: int, request_id: str) -> GetDeals:
    return GetDeals(request_id=request_id, after_ticket=after, limit=1000)
