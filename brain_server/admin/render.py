"""Rendering admin pages: Litestar's Jinja2 engine over ``templates/``, filters, headers.

The engine is used directly rather than through the app's ``template_config``
so the admin plugs into ``create_app(extra_routes=...)`` without any
app-level setting. Every page gets strict security headers: scripts and
styles only from this origin (no CDN, no inline script), no framing, no
caching of pages that show account data.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from litestar import MediaType, Request, Response
from litestar.plugins.jinja import JinjaTemplateEngine

from brain_server.clock import to_datetime

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"

engine = JinjaTemplateEngine(directory=TEMPLATES)
engine.engine.trim_blocks = True
engine.engine.lstrip_blocks = True


def _when(value: datetime | int | None, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
    if value is None:
        return "—"
    moment = to_datetime(value) if isinstance(value, int) else value
    return moment.astimezone(UTC).strftime(fmt)


def _clock(value: datetime | int | None) -> str:
    """Time of day with milliseconds: commands move within a second."""
    if value is None:
        return "—"
    moment = to_datetime(value) if isinstance(value, int) else value
    return moment.astimezone(UTC).strftime("%H:%M:%S.%f")[:-3]


def _num(value: float | int | None, digits: int = 2) -> str:
    if value is None:
        return "—"
    return f"{value:,.{digits}f}"


def _price(value: float | None) -> str:
    if value is None:
        return "—"
    # fixed decimals per magnitude, so columns of prices line up (admin.js does the same)
    digits = 2 if value >= 1000 else 3 if value >= 10 else 5
    return f"{value:.{digits}f}"


def _signed(value: float | None, digits: int = 2) -> str:
    if value is None:
        return "—"
    return f"{value:+,.{digits}f}"


def _sign_class(value: float | None) -> str:
    if value is None or abs(value) < 1e-9:
        return "flat"
    return "up" if value > 0 else "down"


engine.engine.filters.update(
    when=_when, clock=_clock, num=_num, price=_price, signed=_signed, sign_class=_sign_class
)


def security_headers(request: Request[Any, Any, Any]) -> dict[str, str]:
    host = request.headers.get("host", "")
    ws = "wss" if request.url.scheme == "https" else "ws"
    return {
        "Content-Security-Policy": (
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            f"connect-src 'self' {ws}://{host}; frame-ancestors 'none'; form-action 'self'; "
            "base-uri 'none'"
        ),
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "Cache-Control": "no-store",
    }


def render(
    request: Request[Any, Any, Any], template: str, status_code: int = 200, **context: Any
) -> Response[str]:
    admin = getattr(request.state, "admin", None)
    body = engine.get_template(template).render(
        admin=admin,
        csrf_token=admin.csrf_token if admin else None,
        path=request.url.path,
        **context,
    )
    return Response(
        body,
        status_code=status_code,
        media_type=MediaType.HTML,
        headers=security_headers(request),
    )
