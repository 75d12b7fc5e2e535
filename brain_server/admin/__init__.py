"""The brain's web admin, mounted at ``/admin`` (``docs/web-admin.md``).

Server-rendered pages (Jinja2 through Litestar's engine) plus one small
script that follows ``/ws/events`` to keep them live; no build step, nothing
from a CDN. ``fx-brain serve`` mounts it through
``create_app(settings, extra_routes=admin_routes())``.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, Router
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
)
from litestar.static_files import create_static_files_router
from litestar.types import ControllerRouterHandler

from brain_server.admin import actions, login, pages
from brain_server.admin.render import STATIC, render
from brain_server.admin.session import check_csrf, login_redirect, require_admin

__all__ = ["admin_routes"]


def _error_page(request: Request[Any, Any, Any], exc: HTTPException) -> Response[str]:
    titles = {403: "Refused", 404: "Not found", 400: "Bad request", 405: "Not allowed"}
    return render(
        request,
        "error.html",
        status_code=exc.status_code,
        title=titles.get(exc.status_code, "Error"),
        message=exc.detail,
    )


_HANDLERS: dict[Any, Any] = {
    NotAuthorizedException: login_redirect,
    PermissionDeniedException: _error_page,
    NotFoundException: _error_page,
    HTTPException: _error_page,
}


def admin_routes() -> list[ControllerRouterHandler]:
    """The routers to pass to ``create_app(extra_routes=...)``."""
    public = Router(
        path="/admin",
        route_handlers=[login.login_form, login.login],
        before_request=check_csrf,
        exception_handlers=_HANDLERS,
        include_in_schema=False,
    )
    protected = Router(
        path="/admin",
        route_handlers=[
            pages.overview,
            pages.executor_page,
            pages.commands_page,
            pages.command_page,
            pages.order_form,
            actions.halt_all,
            actions.halt,
            actions.resume,
            actions.new_key,
            actions.revoke,
            actions.cancel,
            actions.submit_order,
            login.logout,
        ],
        guards=[require_admin],
        before_request=check_csrf,
        exception_handlers=_HANDLERS,
        include_in_schema=False,
    )
    static = create_static_files_router(
        path="/admin/static", directories=[STATIC], name="admin_static", include_in_schema=False
    )
    return [public, protected, static]
