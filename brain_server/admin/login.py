"""Logging in and out of the web admin.

The password is the one set with ``fx-brain admin-password`` (scrypt hash in
``admin_credentials``). Failed attempts are logged (server log and audit log)
and slowed down per client address with the brain's :class:`AuthThrottle`:
each failure within 15 minutes of the previous doubles the wait before the
answer, from 0.5 s up to 10 s, and attempts from one address are answered
one at a time, so parallel guessing gains nothing.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.params import QueryParameter
from loguru import logger

from brain_server.admin.render import render
from brain_server.admin.session import (
    LOGIN_COOKIE,
    LOGIN_COOKIE_SECONDS,
    SESSION_COOKIE,
    SESSION_LIFETIME_MS,
    cookie,
    expired_cookie,
    new_secret,
    session_of,
)
from brain_server.api import brain_of
from brain_server.clock import now_ms
from brain_server.core.auth_throttle import AuthThrottle
from brain_server.credentials import hash_password, hash_secret, verify_password

FAIL_DELAY_MS = 500
FAIL_MAX_DELAY_MS = 10_000
FAIL_WINDOW_MS = 15 * 60 * 1000
# Checked when the user name is unknown, so a miss costs as much as a wrong password.
_DUMMY_HASH = hash_password("not the password of anyone")


class LoginGate:
    """Per-address backoff and one-at-a-time answers for login attempts."""

    def __init__(self) -> None:
        self.throttle = AuthThrottle(FAIL_DELAY_MS, FAIL_MAX_DELAY_MS, FAIL_WINDOW_MS)
        self._locks: dict[str, asyncio.Lock] = {}

    def lock(self, address: str) -> asyncio.Lock:
        if len(self._locks) > 10_000:
            self._locks = {a: lk for a, lk in self._locks.items() if lk.locked()}
        return self._locks.setdefault(address, asyncio.Lock())


def gate_of(request: Request[Any, Any, Any]) -> LoginGate:
    state = request.app.state
    gate = state.get("admin_login_gate")
    if gate is None:
        gate = state["admin_login_gate"] = LoginGate()
    return gate


def safe_next(target: str | None) -> str:
    """Only a path inside the admin: never an open redirect."""
    if target and target.startswith("/admin") and not target.startswith("//"):
        return target
    return "/admin"


def login_page(
    request: Request[Any, Any, Any], next_path: str, error: str | None, status_code: int
) -> Response[str]:
    token = new_secret()
    response = render(
        request,
        "login.html",
        status_code=status_code,
        login_csrf=token,
        next_path=next_path,
        error=error,
        username=request.query_params.get("user", "admin"),
    )
    response.set_cookie(cookie(request, LOGIN_COOKIE, token, LOGIN_COOKIE_SECONDS))
    return response


@get("/login", name="admin_login_form")
async def login_form(
    request: Request[Any, Any, Any],
    next_path: Annotated[str | None, QueryParameter(name="next")] = None,
) -> Response[Any]:
    if await session_of(request) is not None:
        return Response("", status_code=303, headers={"Location": safe_next(next_path)})
    return login_page(request, safe_next(next_path), None, 200)


@post("/login", name="admin_login")
async def login(request: Request[Any, Any, Any]) -> Response[Any]:
    form = await request.form()
    username = str(form.get("username") or "").strip()[:64]
    password = str(form.get("password") or "")
    next_path = safe_next(str(form.get("next") or ""))
    address = request.client.host if request.client else "unknown"
    brain = brain_of(request)
    gate = gate_of(request)
    async with gate.lock(address):
        stored = await brain.db.call(brain.db.store.admin_password_hash, username)
        # scrypt is deliberately slow: keep it off the event loop and the database thread
        ok = await asyncio.to_thread(verify_password, password, stored or _DUMMY_HASH)
        if stored is None or not ok:
            delay = gate.throttle.failure(address, now_ms())
            failures = gate.throttle.failures(address, now_ms())
            logger.warning(
                "admin login failed for {!r} from {} ({} in a row; answered after {} ms)",
                username,
                address,
                failures,
                delay,
            )
            await brain.db.call(
                brain.db.store.audit,
                "admin-login",
                "admin.login_failed",
                address,
                {"username": username, "failures": failures},
                now_ms(),
            )
            await asyncio.sleep(delay / 1000)
            return login_page(request, next_path, "Wrong user name or password.", 401)
        gate.throttle.success(address)
    secret = new_secret()
    now = now_ms()
    await brain.db.call(
        brain.db.store.create_admin_session,
        id_hash=hash_secret(secret),
        username=username,
        csrf_token=new_secret(),
        address=address,
        user_agent=request.headers.get("user-agent", "")[:200],
        now_ms=now,
        expires_ms=now + SESSION_LIFETIME_MS,
    )
    logger.info("admin {!r} logged in from {}", username, address)
    response: Response[Any] = Response("", status_code=303, headers={"Location": next_path})
    response.set_cookie(cookie(request, SESSION_COOKIE, secret, SESSION_LIFETIME_MS // 1000))
    response.set_cookie(expired_cookie(request, LOGIN_COOKIE))
    return response


@post("/logout", name="admin_logout")
async def logout(request: Request[Any, Any, Any]) -> Response[Any]:
    secret = request.cookies.get(SESSION_COOKIE, "")
    brain = brain_of(request)
    await brain.db.call(brain.db.store.delete_admin_session, hash_secret(secret), now_ms())
    response: Response[Any] = Response(
        "", status_code=303, headers={"Location": "/admin/login?notice=logged-out"}
    )
    response.set_cookie(expired_cookie(request, SESSION_COOKIE))
    return response
