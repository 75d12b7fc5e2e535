"""Admin sessions: the cookie, the guard, CSRF tokens, and cookie auth for ``/ws/events``.

The cookie holds a random secret; the database keeps only its SHA-256 hash
(``admin_sessions``), so a copy of the database does not log anyone in. Each
session has its own CSRF token (synchronizer pattern): every POST must carry
it as the ``csrf_token`` form field, or it is refused with 403. The login form,
which has no session yet, is protected the same way with a short-lived
pre-login cookie (double submit), so nobody can log a browser into their own
account either.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from litestar import Request, Response
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from loguru import logger

from brain_server.api import brain_of
from brain_server.clock import now_ms
from brain_server.credentials import hash_secret

SESSION_COOKIE = "fx_admin_session"
LOGIN_COOKIE = "fx_admin_login"
CSRF_FIELD = "csrf_token"
#: a session ends this long after login, however busy
SESSION_LIFETIME_MS = 24 * 3600 * 1000
#: ... or after this long without a page view
SESSION_IDLE_MS = 8 * 3600 * 1000
LOGIN_COOKIE_SECONDS = 3600


@dataclass(frozen=True, slots=True)
class AdminSession:
    username: str
    csrf_token: str

    @property
    def actor(self) -> str:
        return f"admin:{self.username}"


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def is_https(connection: ASGIConnection[Any, Any, Any, Any]) -> bool:
    return connection.url.scheme in ("https", "wss")


def cookie(
    connection: ASGIConnection[Any, Any, Any, Any], name: str, value: str, max_age: int | None
) -> Cookie:
    """HttpOnly, SameSite=Strict, path ``/`` (the events stream lives at ``/ws/events``)."""
    return Cookie(
        key=name,
        value=value,
        path="/",
        max_age=max_age,
        httponly=True,
        samesite="strict",
        secure=is_https(connection),
    )


def expired_cookie(connection: ASGIConnection[Any, Any, Any, Any], name: str) -> Cookie:
    return cookie(connection, name, "", 0)


async def session_of(connection: ASGIConnection[Any, Any, Any, Any]) -> AdminSession | None:
    """The admin session named by the request's cookie, if it is live."""
    secret = connection.cookies.get(SESSION_COOKIE)
    if not secret:
        return None
    brain = brain_of(connection)
    row = await brain.db.call(
        brain.db.store.admin_session, hash_secret(secret), now_ms(), SESSION_IDLE_MS
    )
    return None if row is None else AdminSession(row.username, row.csrf_token)


async def require_admin(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    """Guard of every admin page and action but the login form."""
    session = await session_of(connection)
    if session is None:
        raise NotAuthorizedException("log in first")
    connection.state.admin = session


def expected_csrf(request: Request[Any, Any, Any]) -> str | None:
    session: AdminSession | None = getattr(request.state, "admin", None)
    if session is not None:
        return session.csrf_token
    return request.cookies.get(LOGIN_COOKIE)


async def check_csrf(request: Request[Any, Any, Any]) -> None:
    """``before_request`` of the admin: every POST carries the session's CSRF token."""
    if request.method != "POST":
        return None
    expected = expected_csrf(request)
    form = await request.form()
    presented = form.get(CSRF_FIELD)
    if (
        not expected
        or not isinstance(presented, str)
        or not hmac.compare_digest(presented.encode(), expected.encode())
    ):
        address = request.client.host if request.client else "unknown"
        logger.warning("admin {} from {}: missing or wrong CSRF token", request.url.path, address)
        raise PermissionDeniedException("missing or wrong CSRF token; reload the page and retry")
    return None


def same_origin(connection: ASGIConnection[Any, Any, Any, Any]) -> bool:
    """A browser's WebSocket from another site carries our cookie only if SameSite failed;
    the Origin header is checked as well, so a foreign page can never read the stream."""
    origin = connection.headers.get("origin")
    if origin is None:
        return True  # not a browser: it had to present the cookie itself
    return urlsplit(origin).netloc == connection.headers.get("host", "")


async def cookie_actor(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    """``admin:NAME`` for a WebSocket opened by a logged-in admin page; None otherwise."""
    if not same_origin(connection):
        return None
    session = await session_of(connection)
    return None if session is None else session.actor


def login_redirect(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """Unauthenticated admin requests go to the login form (and come back after)."""
    target = request.url.path
    if request.method != "GET" or not target.startswith("/admin"):
        target = "/admin"
    response: Response[Any] = Response(
        content="", status_code=303, headers={"Location": f"/admin/login?next={quote(target)}"}
    )
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
