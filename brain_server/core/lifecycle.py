"""Which command status may follow which (``docs/brain.md`` § Command lifecycle).

Status only moves forward::

    pending ─▶ sent ─▶ acknowledged ─▶ executed
       │         │          │      └──▶ rejected (broker)
       │         │          └───────▶ unknown ─▶ executed | rejected
       │         ├─▶ rejected (validation/safety at the executor), unknown, executed
       ├─▶ cancelled (only before it is sent)
       └─▶ expired   (only before it is sent; once sent, the executor decides)

``fx_protocol.vocabulary`` has no transition table, so it lives here.
"""

from __future__ import annotations

from fx_protocol.vocabulary import CommandStatus

_S = CommandStatus

_ALLOWED: dict[CommandStatus, frozenset[CommandStatus]] = {
    _S.PENDING: frozenset({_S.SENT, _S.CANCELLED, _S.EXPIRED}),
    # A lost COMMAND_ACK cannot happen (executor messages are reliable and ordered),
    # but a result may still arrive for a command the brain only knows as sent.
    _S.SENT: frozenset({_S.ACKNOWLEDGED, _S.REJECTED, _S.UNKNOWN, _S.EXECUTED}),
    _S.ACKNOWLEDGED: frozenset({_S.EXECUTED, _S.REJECTED, _S.UNKNOWN}),
    _S.UNKNOWN: frozenset({_S.EXECUTED, _S.REJECTED}),
    _S.EXECUTED: frozenset(),
    _S.REJECTED: frozenset(),
    _S.EXPIRED: frozenset(),
    _S.CANCELLED: frozenset(),
}


def can_transition(current: CommandStatus, target: CommandStatus) -> bool:
    """True when ``target`` is a legal next status after ``current``."""
    return target in _ALLOWED[current]


def is_open(status: CommandStatus) -> bool:
    """A command that still waits for something (delivery, an answer, a result)."""
    return status in (_S.PENDING, _S.SENT, _S.ACKNOWLEDGED, _S.UNKNOWN)


def is_terminal(status: CommandStatus) -> bool:
    """No status can follow this one."""
    return not _ALLOWED[status]
