"""Python client for strategies: submit commands to the brain, wait for results, stream events.

    from fx_client import BrainClient

    async with BrainClient("http://127.0.0.1:8080", token) as brain:
        submitted = await brain.submit(executor_id, {"action": "OPEN_POSITION", ...})
        view = await brain.wait_for_result(submitted.command_id, timeout=30)

See ``docs/strategy-client.md``.
"""

from fx_client.client import FINAL_STATUSES, BrainClient, BrainError
from fx_protocol.commands import TradeCommand
from fx_protocol.strategy_events import (
    CancelResult,
    CommandStatusEvent,
    CommandView,
    ExecutorStatusEvent,
    ExecutorView,
    FillEvent,
    HaltAccepted,
    StrategyEvent,
    Submitted,
    TickEvent,
)
from fx_protocol.vocabulary import Action, CommandStatus, OrderType, Priority

__all__ = [
    "FINAL_STATUSES",
    "Action",
    "BrainClient",
    "BrainError",
    "CancelResult",
    "CommandStatus",
    "CommandStatusEvent",
    "CommandView",
    "ExecutorStatusEvent",
    "ExecutorView",
    "FillEvent",
    "HaltAccepted",
    "OrderType",
    "Priority",
    "StrategyEvent",
    "Submitted",
    "TickEvent",
    "TradeCommand",
]
