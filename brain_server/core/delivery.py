"""What to send to an executor, in which order, and what has expired.

Delivery order (``docs/brain.md`` § Delivery): first every command already
sent on an earlier session and never answered (resent with
``possibleDuplicate``), in the order it was first sent; then pending commands
by priority rank (highest first), then age (oldest first), then id. A pending
command whose deadline has passed becomes ``expired`` and is never sent; a
sent one is left to the executor, which refuses stale commands itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class QueuedCommand:
    """The delivery-relevant facts about one command."""

    command_id: str
    priority_rank: int
    created_ms: int
    expires_ms: int | None
    sent_ms: int | None = None


@dataclass(frozen=True, slots=True)
class Delivery:
    command_id: str
    possible_duplicate: bool


@dataclass(frozen=True, slots=True)
class DeliveryPlan:
    send: tuple[Delivery, ...]
    expire: tuple[str, ...]


def is_expired(expires_ms: int | None, now_ms: int) -> bool:
    """A deadline at or before now has passed."""
    return expires_ms is not None and expires_ms <= now_ms


def expires_at(created_ms: int, expiry_ms: int | None) -> int | None:
    """The absolute deadline of a command submitted with a time-to-live (None: never)."""
    if expiry_ms is None or expiry_ms <= 0:
        return None
    return created_ms + expiry_ms


def pending_order_key(command: QueuedCommand) -> tuple[int, int, str]:
    return (-command.priority_rank, command.created_ms, command.command_id)


def plan_delivery(
    unanswered: Iterable[QueuedCommand],
    pending: Iterable[QueuedCommand],
    now_ms: int,
) -> DeliveryPlan:
    """Decide the next sends for a session; ``unanswered`` only on a fresh session."""
    resend = sorted(unanswered, key=lambda c: (c.sent_ms or 0, c.created_ms, c.command_id))
    send = [Delivery(c.command_id, possible_duplicate=True) for c in resend]
    expire: list[str] = []
    for command in sorted(pending, key=pending_order_key):
        if is_expired(command.expires_ms, now_ms):
            expire.append(command.command_id)
        else:
            send.append(Delivery(command.command_id, possible_duplicate=False))
    return DeliveryPlan(send=tuple(send), expire=tuple(expire))
