"""End-to-end fixtures: the real brain, simulator and executor as separate processes."""

from __future__ import annotations

from typing import Any

from fx_demo.stack import Stack


def deals_for(stack: Stack, command_id: str) -> list[dict[str, Any]]:
    """The simulator's own deals whose comment is this command id."""
    return [d for d in stack.deals() if d.get("comment") == command_id]


def assert_rejected(
    stack: Stack, command_id: str, reason: str, statuses: tuple[str, ...] = ("rejected",)
) -> dict[str, Any]:
    """Rejected with this reason, and the terminal never saw the command."""
    view = stack.wait_command(command_id, timeout=15)
    assert view["status"] in statuses, view
    if view["status"] == "rejected":
        assert view["reason"] == reason, view
        assert view["source"] == "safety", view
    assert deals_for(stack, command_id) == []
    return view


def executor_errors(stack: Stack) -> list[str]:
    """ERROR lines (and tracebacks) the executor logged in its current run."""
    lines = stack.programs["executor"].lines
    return [line for line in lines if " ERROR " in line or line.startswith("Traceback")]
