"""All SQL of the brain: one SQLite database in WAL mode, migrations in code, one writer.

Every method runs on the single database thread of :class:`brain_server.database.Database`
(or directly, in the CLI and tests), so transactions never interleave. Times are
epoch milliseconds. Status changes go through :func:`brain_server.core.lifecycle.can_transition`,
so a command's status only ever moves forward, whatever arrives in whatever order.
"""

from __future__ import annotations

from brain_server.store.executor_messages import ExecutorMessageQueries
from brain_server.store.halts import HaltQueries
from brain_server.store.rows import (
    STATUS_TIME_COLUMN,
    AdminSessionRow,
    Applied,
    Claim,
    CommandRow,
    ExecutorRow,
    NewCommand,
    Outgoing,
    Overview,
    StatusChange,
    StoreError,
    Webhook,
)
from brain_server.store.statistics import StatisticsQueries

__all__ = [
    "STATUS_TIME_COLUMN",
    "AdminSessionRow",
    "Applied",
    "Claim",
    "CommandRow",
    "ExecutorRow",
    "NewCommand",
    "Outgoing",
    "Overview",
    "StatusChange",
    "Store",
    "StoreError",
    "Webhook",
]


class Store(ExecutorMessageQueries, HaltQueries, StatisticsQueries):
    """The brain database. Not thread-safe by design: one thread owns it.

    One class over one connection, its queries grouped by subject in the modules of
    this package; all SQL of the brain lives here.
    """
