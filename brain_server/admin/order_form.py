"""The manual order form: form fields in, a validated ``TradeCommand`` or field errors out.

Validation is the API's own: the fields are converted with msgspec into
``fx_protocol.commands.TradeCommand`` (same types and bounds as a JSON body)
and checked with ``validate_command``; the field an error names is where the
page shows it. No I/O here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import msgspec

from fx_protocol.commands import TradeCommand, validate_command
from fx_protocol.errors import ProtocolError
from fx_protocol.vocabulary import Action, OrderType, Priority

#: form field -> TradeCommand field (camelCase, as in the API) and how to read it
FIELDS: dict[str, tuple[str, type]] = {
    "symbol": ("symbol", str),
    "type": ("type", str),
    "volume": ("volume", float),
    "price": ("price", float),
    "stop_loss": ("stopLoss", float),
    "take_profit": ("takeProfit", float),
    "ticket": ("ticket", int),
    "magic_number": ("magicNumber", int),
    "comment": ("comment", str),
    "deviation": ("deviation", int),
}
_BY_CAMEL = {camel: name for name, (camel, _) in FIELDS.items()}

ACTIONS = [a.value for a in Action]
TYPES = [t.value for t in OrderType]
PRIORITIES = [p.value for p in Priority]


@dataclass
class OrderForm:
    """What the operator typed (kept to refill the form) and what was wrong with it."""

    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)
    command: TradeCommand | None = None
    priority: Priority = Priority.NORMAL
    expiry_ms: int | None = None

    @property
    def ok(self) -> bool:
        return self.command is not None and not self.errors


def parse_order(form: Mapping[str, Any]) -> OrderForm:
    values = {k: str(v).strip() for k, v in form.items() if isinstance(v, str)}
    result = OrderForm(values=values)
    if not values.get("executor"):
        result.errors["executor"] = "choose an executor"
    action = values.get("action", "")
    if action not in ACTIONS:
        result.errors["action"] = "choose an action"
    raw: dict[str, Any] = {"action": action}
    for name, (camel, kind) in FIELDS.items():
        text = values.get(name, "")
        if not text:
            continue
        if kind is str:
            raw[camel] = text.upper() if name in ("symbol", "type") else text
            continue
        try:
            raw[camel] = kind(text)
        except ValueError:
            result.errors[name] = "must be a whole number" if kind is int else "must be a number"
    try:
        result.priority = Priority(values.get("priority") or Priority.NORMAL.value)
    except ValueError:
        result.errors["priority"] = "choose a priority"
    expiry = values.get("expiry_seconds", "")
    if expiry:
        try:
            seconds = float(expiry)
            if not 1 <= seconds <= 30 * 24 * 3600:
                raise ValueError
            result.expiry_ms = int(seconds * 1000)
        except ValueError:
            result.errors["expiry_seconds"] = "seconds between 1 and 2592000"
    if result.errors:
        return result
    try:
        command = msgspec.convert(raw, TradeCommand)
        validate_command(command)
    except msgspec.ValidationError as exc:
        message, _, where = str(exc).partition(" - at `$.")
        name = _BY_CAMEL.get(where.rstrip("`"), "action")
        result.errors[name] = message
        return result
    except ProtocolError as exc:
        camel = (exc.field or "").removeprefix("$.command.")
        result.errors[_BY_CAMEL.get(camel, "action")] = exc.message
        return result
    result.command = command
    return result
