"""TradingView-style alerts: ``POST /api/v1/webhooks/tradingview/{secret}`` (``docs/webhooks.md``).

TradingView cannot send headers, so the secret in the path is the credential
(its hash is stored; an unknown secret is a plain 404). The alert body is
JSON (sent as ``text/plain`` by TradingView), normalised so alert
placeholders work: ``"action": "{{strategy.order.action}}"`` gives ``buy`` or
``sell``; numbers may arrive as strings.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import msgspec
from litestar import Request, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from loguru import logger

from brain_server.api import brain_of
from fx_protocol.commands import Magic, Price, Symbol, Ticket, TradeCommand, Volume
from fx_protocol.errors import ProtocolError
from fx_protocol.strategy_events import ExpiryMs, IdempotencyKey, StrategyId, Submitted
from fx_protocol.vocabulary import Action, OrderType, Priority, ReasonCode


class TradingViewAlert(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    """The accepted alert body; see docs/webhooks.md for examples."""

    action: Action
    symbol: Symbol | None = None
    type: OrderType | None = None
    volume: Volume | None = None
    price: Price | None = None
    stop_loss: Price | None = None
    take_profit: Price | None = None
    ticket: Ticket | None = None
    magic_number: Magic | None = None
    comment: Annotated[str, msgspec.Meta(max_length=64)] | None = None
    priority: Priority = Priority.NORMAL
    expiry: ExpiryMs | None = None
    strategy_id: StrategyId | None = None
    idempotency_key: IdempotencyKey | None = None


_SHORTCUTS = {
    "buy": ("OPEN_POSITION", "BUY"),
    "sell": ("OPEN_POSITION", "SELL"),
    "close": ("CLOSE_ALL", None),
}


def parse_alert(body: bytes) -> TradingViewAlert:
    """Decode and normalise an alert body; raises ProtocolError naming the field."""
    try:
        raw = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise ProtocolError(ReasonCode.INVALID_COMMAND, "alert body is not JSON") from None
    if not isinstance(raw, dict):
        raise ProtocolError(ReasonCode.INVALID_COMMAND, "alert body must be a JSON object")
    action = str(raw.get("action", "")).strip()
    if action.lower() in _SHORTCUTS:
        raw["action"], implied_type = _SHORTCUTS[action.lower()]
        if implied_type is not None:
            raw.setdefault("type", implied_type)
    elif action:
        raw["action"] = action.upper()
    for key in ("type", "priority"):
        if isinstance(raw.get(key), str):
            raw[key] = raw[key].strip().upper()
    for key in ("symbol",):
        if isinstance(raw.get(key), str):
            # TradingView tickers may carry the exchange prefix: "OANDA:EURUSD".
            raw[key] = raw[key].split(":")[-1].strip()
    try:
        return msgspec.convert(raw, TradingViewAlert, strict=False)
    except msgspec.ValidationError as exc:
        text = str(exc)
        field = text.rsplit("`", 2)[-2] if "`$" in text else None
        raise ProtocolError(ReasonCode.INVALID_COMMAND, text.split(" - at ")[0], field) from None


@post("/api/v1/webhooks/tradingview/{secret:str}", status_code=202, summary="TradingView alert")
async def tradingview_webhook(secret: FromPath[str], request: Request[Any, Any, Any]) -> Submitted:
    brain = brain_of(request)
    hook = await brain.db.call(brain.db.store.webhook_by_secret, secret)
    if hook is None:
        brain.metrics.auth_failures += 1
        logger.warning("webhook call with an unknown secret from {}", request.client)
        raise NotFoundException("no such webhook")
    alert = parse_alert(await request.body())
    fields = msgspec.structs.asdict(alert)
    command = TradeCommand(
        **{
            k: v
            for k, v in fields.items()
            if k not in ("priority", "expiry", "strategy_id", "idempotency_key")
        }
    )
    row, created = await brain.submit(
        executor_id=hook.executor_id,
        command=command,
        priority=alert.priority,
        expiry_ms=alert.expiry,
        strategy_id=alert.strategy_id or f"webhook:{hook.name}",
        idempotency_key=alert.idempotency_key,
        origin=f"webhook:{hook.name}",
    )
    return Submitted(command_id=row.id, status=row.status, duplicate=not created)
