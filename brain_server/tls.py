"""TLS for ``fx-brain serve`` (``docs/security.md`` § TLS).

With ``certfile`` and ``keyfile`` set, uvicorn serves https:// and wss://
on the same port; TLS 1.2 is the floor. Without them the brain speaks plain
HTTP, which is fine on loopback and nowhere else: a non-loopback ``host``
without TLS is logged as a warning at start.
"""

from __future__ import annotations

import ipaddress
import ssl
from typing import Any

from brain_server.settings import Settings


def tls_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for ``uvicorn.Config`` (empty without a certificate)."""
    if not settings.certfile:
        return {}
    return {
        "ssl_certfile": settings.certfile,
        "ssl_keyfile": settings.keyfile,
        "ssl_version": ssl.PROTOCOL_TLS_SERVER,
        "ssl_ciphers": "ECDHE+AESGCM:ECDHE+CHACHA20:!aNULL:!MD5",
    }


def plaintext_exposed(settings: Settings) -> bool:
    """Plain HTTP on an address other machines can reach."""
    if settings.certfile:
        return False
    if settings.host in ("localhost", ""):
        return settings.host == ""
    try:
        return not ipaddress.ip_address(settings.host).is_loopback
    except ValueError:
        return True
