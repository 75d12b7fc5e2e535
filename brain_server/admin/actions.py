"""The admin's actions (POST, CSRF-checked by the router): halt, resume, keys, orders.

They go through the same :class:`Brain` methods as the REST API, so a halt or
an order from the admin is stored, delivered and reported exactly like one
from a strategy; the actor recorded is ``admin:NAME``. Each answers with a
303 redirect (post/redirect/get), so reloading a page never repeats an action.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from loguru import logger

from brain_server.admin.order_form import parse_order
from brain_server.admin.pages import order_page
from brain_server.admin.render import render
from brain_server.admin.session import AdminSession
from brain_server.api import brain_of
from brain_server.clock import now_ms
from brain_server.store import StoreError
from fx_protocol.errors import ProtocolError


def redirect(location: str) -> Response[Any]:
    return Response(content="", status_code=303, headers={"Location": location})


def admin_of(request: Request[Any, Any, Any]) -> AdminSession:
    session: AdminSession = request.state.admin
    return session


async def form_of(request: Request[Any, Any, Any]) -> dict[str, str]:
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


def _reason(form: dict[str, str], fallback: str) -> str:
    return (form.get("reason") or fallback).strip()[:200]


@post("/halt-all", name="admin_halt_all")
async def halt_all(request: Request[Any, Any, Any]) -> Response[Any]:
    form = await form_of(request)
    flatten = form.get("flatten") == "on"
    await brain_of(request).halt_all(
        flatten, _reason(form, "halt-all from the web admin"), admin_of(request).actor
    )
    return redirect("/admin?notice=" + ("halt-all-flatten" if flatten else "halt-all"))


@post("/executors/{executor_id:str}/halt", name="admin_halt")
async def halt(executor_id: FromPath[str], request: Request[Any, Any, Any]) -> Response[Any]:
    form = await form_of(request)
    flatten = form.get("flatten") == "on"
    try:
        await brain_of(request).halt(
            executor_id, flatten, _reason(form, "halt from the web admin"), admin_of(request).actor
        )
    except StoreError as exc:
        raise NotFoundException(exc.message) from None
    notice = "halt-flatten" if flatten else "halt"
    return redirect(f"/admin/executors/{executor_id}?notice={notice}")


@post("/executors/{executor_id:str}/resume", name="admin_resume")
async def resume(executor_id: FromPath[str], request: Request[Any, Any, Any]) -> Response[Any]:
    form = await form_of(request)
    try:
        await brain_of(request).resume(
            executor_id, _reason(form, "resume from the web admin"), admin_of(request).actor
        )
    except StoreError as exc:
        raise NotFoundException(exc.message) from None
    return redirect(f"/admin/executors/{executor_id}?notice=resume")


def _end_session(request: Request[Any, Any, Any], executor_id: str) -> None:
    """An executor whose key changed must log in again with the new one."""
    session = brain_of(request).sessions.get(executor_id)
    if session is not None:
        session.finish(4001, "AUTH_FAILED")


@post("/executors/{executor_id:str}/key", name="admin_new_key")
async def new_key(executor_id: FromPath[str], request: Request[Any, Any, Any]) -> Response[Any]:
    """Issue a new API key; it is shown on this one answer and never again."""
    brain = brain_of(request)
    actor = admin_of(request).actor
    try:
        key = await brain.db.call(brain.db.store.rotate_executor_key, executor_id, actor, now_ms())
    except StoreError as exc:
        raise NotFoundException(exc.message) from None
    logger.warning("new API key for executor {} issued by {}", executor_id, actor)
    _end_session(request, executor_id)
    row = await brain.db.call(brain.db.store.get_executor, executor_id)
    return render(
        request, "key.html", executor_id=executor_id, name=row.name if row else "", new_key=key
    )


@post("/executors/{executor_id:str}/revoke", name="admin_revoke")
async def revoke(executor_id: FromPath[str], request: Request[Any, Any, Any]) -> Response[Any]:
    brain = brain_of(request)
    actor = admin_of(request).actor
    if not await brain.db.call(brain.db.store.revoke_executor, executor_id, now_ms(), actor):
        raise NotFoundException(f"no active executor {executor_id!r}")
    logger.warning("API key of executor {} revoked by {}", executor_id, actor)
    _end_session(request, executor_id)
    return redirect(f"/admin/executors/{executor_id}?notice=revoked")


@post("/commands/{command_id:str}/cancel", name="admin_cancel")
async def cancel(command_id: FromPath[str], request: Request[Any, Any, Any]) -> Response[Any]:
    try:
        _, cancelled = await brain_of(request).cancel(command_id, admin_of(request).actor)
    except StoreError as exc:
        raise NotFoundException(exc.message) from None
    notice = "cancelled" if cancelled else "too-late"
    return redirect(f"/admin/commands/{command_id}?notice={notice}")


@post("/orders", name="admin_order_submit")
async def submit_order(request: Request[Any, Any, Any]) -> Response[Any]:
    """Validate like the API; errors go back next to their fields (422), else to the command."""
    form = parse_order(await form_of(request))
    if not form.ok:
        return await order_page(request, form, 422)
    assert form.command is not None
    key = form.values.get("idempotency_key") or None
    try:
        row, _ = await brain_of(request).submit(
            executor_id=form.values["executor"],
            command=form.command,
            priority=form.priority,
            expiry_ms=form.expiry_ms,
            strategy_id=(form.values.get("strategy_id") or None),
            idempotency_key=key[:128] if key else None,
            origin=admin_of(request).actor,
        )
    except StoreError as exc:
        form.errors["executor"] = exc.message
        return await order_page(request, form, 422)
    except ProtocolError as exc:
        form.errors["action"] = exc.message
        return await order_page(request, form, 422)
    return redirect(f"/admin/commands/{row.id}?notice=submitted")
