"""Names shared by every program: actions, order types, statuses, reason codes.

Values are the strings that travel on the wire and are stored in databases,
so they never change; new members are only ever added (``docs/protocol.md``
§ Vocabulary).
"""

from __future__ import annotations

from enum import StrEnum


class Action(StrEnum):
    """What a trade command asks the terminal to do."""

    OPEN_POSITION = "OPEN_POSITION"
    CLOSE_POSITION = "CLOSE_POSITION"
    MODIFY_POSITION = "MODIFY_POSITION"
    PLACE_ORDER = "PLACE_ORDER"
    CANCEL_ORDER = "CANCEL_ORDER"
    CLOSE_ALL = "CLOSE_ALL"

    @property
    def adds_risk(self) -> bool:
        """Whether the action can open or grow exposure (closing and cancelling never can)."""
        return self in _RISK_ACTIONS


class OrderType(StrEnum):
    BUY = "BUY"
    SELL = "SELL"
    BUY_LIMIT = "BUY_LIMIT"
    SELL_LIMIT = "SELL_LIMIT"
    BUY_STOP = "BUY_STOP"
    SELL_STOP = "SELL_STOP"

    @property
    def is_market(self) -> bool:
        return self in _MARKET_TYPES

    @property
    def is_buy(self) -> bool:
        return self in _BUY_TYPES


# Module-level sets rather than tuples built per call: these properties sit on
# the order path (validation, safety), and enum attribute lookups are not free.
_RISK_ACTIONS = frozenset({Action.OPEN_POSITION, Action.PLACE_ORDER})
_MARKET_TYPES = frozenset({OrderType.BUY, OrderType.SELL})
_BUY_TYPES = frozenset({OrderType.BUY, OrderType.BUY_LIMIT, OrderType.BUY_STOP})


class Priority(StrEnum):
    """Delivery priority; higher goes first, then older first."""

    LOW = "LOW"
    NORMAL = "NORMAL"
    HIGH = "HIGH"
    CRITICAL = "CRITICAL"

    @property
    def rank(self) -> int:
        return _PRIORITY_RANK[self]


_PRIORITY_RANK = {Priority.LOW: 0, Priority.NORMAL: 1, Priority.HIGH: 2, Priority.CRITICAL: 3}


class CommandStatus(StrEnum):
    """The lifecycle of a command (``docs/protocol.md`` § Command state machine)."""

    PENDING = "pending"
    SENT = "sent"
    ACKNOWLEDGED = "acknowledged"
    EXECUTED = "executed"
    REJECTED = "rejected"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    UNKNOWN = "unknown"

    @property
    def is_final(self) -> bool:
        return self in _FINAL_STATUSES


_FINAL_STATUSES = frozenset(
    {CommandStatus.EXECUTED, CommandStatus.REJECTED, CommandStatus.EXPIRED, CommandStatus.CANCELLED}
)


class RejectSource(StrEnum):
    """Who refused a command."""

    VALIDATION = "validation"  # malformed or contradictory: refused at the edge
    SAFETY = "safety"  # a local safety limit of the executor
    BROKER = "broker"  # the terminal / trade server answered with a failure retcode


class TradingState(StrEnum):
    """The executor's kill switch (``docs/protocol.md`` § Trading state)."""

    ACTIVE = "ACTIVE"  # everything allowed within limits
    REDUCING = "REDUCING"  # only commands that reduce exposure
    HALTED = "HALTED"  # no new risk; closes and cancels still pass


class ReasonCode(StrEnum):
    """Why a command was refused, or why a session was closed."""

    # safety (contract)
    SYMBOL_NOT_ALLOWED = "SYMBOL_NOT_ALLOWED"
    VOLUME_TOO_LARGE = "VOLUME_TOO_LARGE"
    SYMBOL_VOLUME_LIMIT = "SYMBOL_VOLUME_LIMIT"
    MAX_POSITIONS = "MAX_POSITIONS"
    DAILY_LOSS_LIMIT = "DAILY_LOSS_LIMIT"
    RATE_LIMIT = "RATE_LIMIT"
    TRADING_HALTED = "TRADING_HALTED"
    TRADING_REDUCING = "TRADING_REDUCING"
    EXPIRED = "EXPIRED"
    DUPLICATE = "DUPLICATE"
    STOP_LOSS_REQUIRED = "STOP_LOSS_REQUIRED"
    PRICE_OUT_OF_BAND = "PRICE_OUT_OF_BAND"
    SPREAD_TOO_WIDE = "SPREAD_TOO_WIDE"
    INVALID_COMMAND = "INVALID_COMMAND"
    # executor-side conditions
    NO_PRICE = "NO_PRICE"  # no current tick for the symbol: a band/spread check cannot run
    TERMINAL_UNAVAILABLE = "TERMINAL_UNAVAILABLE"
    NOT_RECONCILED = "NOT_RECONCILED"  # start-up reconciliation has not succeeded yet
    # broker outcome (details in the result's retcode)
    BROKER_REJECTED = "BROKER_REJECTED"
    # authenticity (security)
    BAD_SIGNATURE = "BAD_SIGNATURE"
    STALE_COMMAND = "STALE_COMMAND"
    REPLAYED = "REPLAYED"
    # session
    AUTH_FAILED = "AUTH_FAILED"
    PROTOCOL_VERSION = "PROTOCOL_VERSION"
    SESSION_REPLACED = "SESSION_REPLACED"
    HEARTBEAT_TIMEOUT = "HEARTBEAT_TIMEOUT"
    MESSAGE_TOO_LARGE = "MESSAGE_TOO_LARGE"
    INTERNAL_ERROR = "INTERNAL_ERROR"
    CANCELLED = "CANCELLED"


SAFETY_REASONS = frozenset(
    {
        ReasonCode.SYMBOL_NOT_ALLOWED,
        ReasonCode.VOLUME_TOO_LARGE,
        ReasonCode.SYMBOL_VOLUME_LIMIT,
        ReasonCode.MAX_POSITIONS,
        ReasonCode.DAILY_LOSS_LIMIT,
        ReasonCode.RATE_LIMIT,
        ReasonCode.TRADING_HALTED,
        ReasonCode.TRADING_REDUCING,
        ReasonCode.EXPIRED,
        ReasonCode.DUPLICATE,
        ReasonCode.STOP_LOSS_REQUIRED,
        ReasonCode.PRICE_OUT_OF_BAND,
        ReasonCode.SPREAD_TOO_WIDE,
        ReasonCode.NO_PRICE,
        ReasonCode.TERMINAL_UNAVAILABLE,
        ReasonCode.NOT_RECONCILED,
        ReasonCode.BAD_SIGNATURE,
        ReasonCode.STALE_COMMAND,
        ReasonCode.REPLAYED,
    }
)


# Which status may follow which (``docs/protocol.md`` § Command state machine).
# Forward only. Expiry and cancellation happen only before sending: once sent, the
# executor decides (a late signal comes back as COMMAND_REJECT EXPIRED, so
# "rejected"). "unknown" resolves only into executed or rejected.
_TRANSITIONS: dict[CommandStatus, frozenset[CommandStatus]] = {
    CommandStatus.PENDING: frozenset(
        {CommandStatus.SENT, CommandStatus.CANCELLED, CommandStatus.EXPIRED}
    ),
    # Executor messages are reliable and ordered, so an ACK always precedes the
    # result; a result for a command still "sent" is accepted all the same.
    CommandStatus.SENT: frozenset(
        {
            CommandStatus.ACKNOWLEDGED,
            CommandStatus.EXECUTED,
            CommandStatus.REJECTED,
            CommandStatus.UNKNOWN,
        }
    ),
    CommandStatus.ACKNOWLEDGED: frozenset(
        {CommandStatus.EXECUTED, CommandStatus.REJECTED, CommandStatus.UNKNOWN}
    ),
    CommandStatus.UNKNOWN: frozenset({CommandStatus.EXECUTED, CommandStatus.REJECTED}),
    CommandStatus.EXECUTED: frozenset(),
    CommandStatus.REJECTED: frozenset(),
    CommandStatus.EXPIRED: frozenset(),
    CommandStatus.CANCELLED: frozenset(),
}


def can_transition(old: CommandStatus, new: CommandStatus) -> bool:
    """Whether a command in status ``old`` may move to ``new``.

    Staying put is not a transition (``False``): callers treat a repeated
    status, such as a resent ACK, as a no-op rather than an error.
    """
    return new in _TRANSITIONS[old]
