"""The admin's pages (GET): overview, executor, commands, command detail, order form.

Each handler gathers what its page shows from the running :class:`Brain`
(live sessions) and the store (on the database thread), and renders a
template. Live updates re-fetch the same URL and swap the marked regions,
so a page always looks the same whether it was loaded or kept up to date.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any

from litestar import Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, QueryParameter

from brain_server.admin.order_form import ACTIONS, PRIORITIES, TYPES, OrderForm
from brain_server.admin.render import render
from brain_server.api import brain_of, command_view, executor_view
from brain_server.brain import Brain
from brain_server.clock import now_ms
from fx_protocol.brain_wire import FillReport
from fx_protocol.strategy_events import CommandView, ExecutorView
from fx_protocol.vocabulary import CommandStatus, TradingState

STATUSES = [s.value for s in CommandStatus]


@dataclass
class ExecutorLine:
    """One executor as the overview shows it: live view plus today's figures."""

    view: ExecutorView
    executed: int = 0
    rejected: int = 0
    pnl_today: float | None = None
    ticks: list[dict[str, Any]] = field(default_factory=list)

    @property
    def success_rate(self) -> float | None:
        done = self.executed + self.rejected
        return None if done == 0 else 100.0 * self.executed / done


def start_of_day_ms(now: int) -> int:
    moment = datetime.fromtimestamp(now / 1000, tz=UTC)
    return int(moment.replace(hour=0, minute=0, second=0, microsecond=0).timestamp() * 1000)


def pnl_today(view: ExecutorView, realized: float | None) -> float | None:
    """Equity against start-of-day equity when the executor reports it (closed and open
    trades alike), else the profit of today's deals."""
    account = view.account
    if account is not None and account.day_start_equity is not None:
        return account.equity - account.day_start_equity
    return realized


async def executor_lines(brain: Brain, include_revoked: bool = False) -> list[ExecutorLine]:
    store = brain.db.store
    rows = await brain.db.call(store.list_executors, include_revoked)
    pending = await brain.db.call(store.pending_counts)
    since = start_of_day_ms(now_ms())
    stats = await brain.db.call(store.command_stats, since)
    realized = await brain.db.call(store.realized_profit, since)
    lines = []
    for row in rows:
        view = await executor_view(brain, row, pending.get(row.id, 0))
        counts = stats.get(row.id, {})
        lines.append(
            ExecutorLine(
                view=view,
                executed=counts.get("executed", 0),
                rejected=counts.get("rejected", 0),
                pnl_today=pnl_today(view, realized.get(row.id)),
                ticks=await brain.db.call(store.latest_ticks, row.id),
            )
        )
    return lines


@dataclass(frozen=True)
class Totals:
    online: int
    executors: int
    halted: int
    queue_depth: int
    success_rate: float | None
    pnl_today: float | None


def totals(lines: list[ExecutorLine]) -> Totals:
    executed = sum(line.executed for line in lines)
    done = executed + sum(line.rejected for line in lines)
    pnls = [line.pnl_today for line in lines if line.pnl_today is not None]
    return Totals(
        online=sum(line.view.online for line in lines),
        executors=len(lines),
        halted=sum(line.view.trading_state is TradingState.HALTED for line in lines),
        queue_depth=sum(line.view.pending_commands for line in lines),
        success_rate=None if done == 0 else 100.0 * executed / done,
        pnl_today=sum(pnls) if pnls else None,
    )


async def names_of(brain: Brain) -> dict[str, str]:
    rows = await brain.db.call(brain.db.store.list_executors)
    return {r.id: r.name for r in rows}


@get("/", name="admin_overview")
async def overview(request: Request[Any, Any, Any]) -> Response[str]:
    brain = brain_of(request)
    lines = await executor_lines(brain)
    fills: list[tuple[str, FillReport]] = await brain.db.call(brain.db.store.recent_fills, None, 12)
    rows = await brain.db.call(brain.db.store.list_commands, None, None, 12)
    return render(
        request,
        "overview.html",
        lines=lines,
        totals=totals(lines),
        fills=fills,
        commands=[command_view(r) for r in rows],
        names={line.view.executor_id: line.view.name for line in lines},
        notice=request.query_params.get("notice"),
    )


@get("/executors/{executor_id:str}", name="admin_executor")
async def executor_page(
    executor_id: FromPath[str], request: Request[Any, Any, Any]
) -> Response[str]:
    brain = brain_of(request)
    store = brain.db.store
    row = await brain.db.call(store.get_executor, executor_id)
    if row is None:
        raise NotFoundException(f"no executor {executor_id!r}")
    pending = await brain.db.call(store.pending_counts)
    view = await executor_view(brain, row, pending.get(executor_id, 0))
    since = start_of_day_ms(now_ms())
    counts = (await brain.db.call(store.command_stats, since)).get(executor_id, {})
    realized = (await brain.db.call(store.realized_profit, since)).get(executor_id)
    line = ExecutorLine(
        view=view,
        executed=counts.get("executed", 0),
        rejected=counts.get("rejected", 0),
        pnl_today=pnl_today(view, realized),
        ticks=await brain.db.call(store.latest_ticks, executor_id),
    )
    commands = await brain.db.call(store.list_commands, executor_id, None, 15)
    return render(
        request,
        "executor.html",
        line=line,
        ex=view,
        halt_request=row.halt_request,
        halt_flatten=row.halt_flatten,
        sessions=await brain.db.call(store.executor_sessions, executor_id, 10),
        commands=[command_view(r) for r in commands],
        fills=await brain.db.call(store.recent_fills, executor_id, 10),
        names={executor_id: view.name},
        notice=request.query_params.get("notice"),
        new_key=None,
    )


@get("/commands", name="admin_commands")
async def commands_page(
    request: Request[Any, Any, Any],
    executor: Annotated[str | None, QueryParameter(name="executor")] = None,
    status: Annotated[str | None, QueryParameter(name="status")] = None,
) -> Response[str]:
    brain = brain_of(request)
    names = await names_of(brain)
    wanted_executor = executor if executor in names else None
    wanted_status = CommandStatus(status) if status in STATUSES else None
    rows = await brain.db.call(brain.db.store.list_commands, wanted_executor, wanted_status, 100)
    return render(
        request,
        "commands.html",
        commands=[command_view(r) for r in rows],
        names=names,
        statuses=STATUSES,
        executor=wanted_executor or "",
        status=wanted_status.value if wanted_status else "",
    )


@dataclass(frozen=True)
class Step:
    label: str
    at: datetime | None
    state: str  # done | current | failed | waiting
    detail: str = ""


def timeline(view: CommandView) -> list[Step]:
    """created → sent → acknowledged → executed, or the end it came to instead."""
    status = view.status
    steps = [Step("created", view.created_at, "done", f"by {view.origin}")]
    resent = f"resent {view.retry_count} times" if view.retry_count else ""
    steps.append(Step("sent", view.sent_at, "done" if view.sent_at else "waiting", resent))
    steps.append(
        Step("acknowledged", view.acknowledged_at, "done" if view.acknowledged_at else "waiting")
    )
    why = " · ".join(
        part
        for part in (view.reason, view.source.value if view.source else None, view.message)
        if part
    )
    if status is CommandStatus.EXECUTED:
        steps.append(Step("executed", view.executed_at, "done"))
    elif status in (CommandStatus.REJECTED, CommandStatus.EXPIRED, CommandStatus.CANCELLED):
        steps.append(Step(status.value, view.completed_at, "failed", why))
    elif status is CommandStatus.UNKNOWN:
        steps.append(Step("unknown", view.updated_at, "current", why or "outcome being reconciled"))
    else:
        steps.append(Step("executed", None, "waiting"))
    # the first step not reached yet is where the command is now
    for index, step in enumerate(steps):
        if step.state == "waiting" and not status.is_final and status is not CommandStatus.UNKNOWN:
            steps[index] = Step(step.label, None, "current", step.detail)
            break
    if status.is_final or status is CommandStatus.UNKNOWN:
        steps = [s for s in steps if s.state != "waiting"]
    return steps


@get("/commands/{command_id:str}", name="admin_command")
async def command_page(command_id: FromPath[str], request: Request[Any, Any, Any]) -> Response[str]:
    brain = brain_of(request)
    row = await brain.db.call(brain.db.store.get_command, command_id)
    if row is None:
        raise NotFoundException(f"no command {command_id!r}")
    view = command_view(row)
    return render(
        request,
        "command.html",
        c=view,
        steps=timeline(view),
        fills=await brain.db.call(brain.db.store.list_fills, None, command_id, 20),
        names=await names_of(brain),
        notice=request.query_params.get("notice"),
    )


def blank_order(executor: str | None) -> OrderForm:
    return OrderForm(
        values={
            "executor": executor or "",
            "action": "OPEN_POSITION",
            "type": "BUY",
            "priority": "NORMAL",
            "idempotency_key": "admin-" + secrets.token_hex(12),
        }
    )


async def order_page(
    request: Request[Any, Any, Any], form: OrderForm, status_code: int = 200
) -> Response[str]:
    brain = brain_of(request)
    rows = await brain.db.call(brain.db.store.list_executors, False)
    return render(
        request,
        "order.html",
        status_code=status_code,
        form=form,
        executors=[(r.id, r.name) for r in rows],
        actions=ACTIONS,
        types=TYPES,
        priorities=PRIORITIES,
    )


@get("/orders/new", name="admin_order_form")
async def order_form(
    request: Request[Any, Any, Any],
    executor: Annotated[str | None, QueryParameter(name="executor")] = None,
) -> Response[str]:
    return await order_page(request, blank_order(executor))
