"""How the executor trusts the brain's TLS endpoint (``docs/security.md`` § TLS).

- ``wss://`` verifies the brain's certificate against the system CAs, or
  only against ``brain.ca_file`` when set (a private CA), hostname included.
- ``brain.pinned_cert_sha256`` accepts exactly one certificate, whoever
  signed it: the chain is not checked, the SHA-256 of the DER certificate the
  server presents must equal the pin (checked before HELLO is sent, so the
  API key never goes to an impostor).
- ``ws://`` carries the API key and commands in clear text: allowed to a
  loopback host only, unless ``brain.allow_insecure`` says otherwise (warned).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import ssl
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from loguru import logger

if TYPE_CHECKING:
    from executor_app.config import BrainSettings


class TlsError(Exception):
    """The brain's endpoint cannot be trusted as configured; the message says why."""


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def normalise_fingerprint(text: str) -> str:
    """Hex SHA-256, colons and case ignored (``openssl x509 -fingerprint -sha256`` style)."""
    return text.replace(":", "").replace(" ", "").lower()


def check_brain_url(brain: BrainSettings) -> None:
    """Refuse a configuration that would send secrets in clear over a network."""
    parts = urlsplit(brain.url)
    host = parts.hostname or ""
    if parts.scheme == "ws" and not is_loopback(host) and not brain.allow_insecure:
        raise TlsError(
            f"brain.url {brain.url!r} is plain ws:// to a non-loopback host: use wss://, "
            "or set brain.allow_insecure = true if you really mean it"
        )
    if brain.pinned_cert_sha256:
        pin = normalise_fingerprint(brain.pinned_cert_sha256)
        if len(pin) != 64 or any(c not in "0123456789abcdef" for c in pin):
            raise TlsError("brain.pinned_cert_sha256 must be 64 hex digits (SHA-256)")
    if (brain.ca_file or brain.pinned_cert_sha256) and parts.scheme != "wss":
        raise TlsError("brain.ca_file / brain.pinned_cert_sha256 need a wss:// brain.url")


def client_context(brain: BrainSettings) -> ssl.SSLContext | None:
    """The SSL context for ``websockets.connect`` (None for ws://)."""
    if not brain.url.startswith("wss://"):
        if not is_loopback(urlsplit(brain.url).hostname or ""):
            logger.warning(
                "brain link is plain ws:// to {} (allow_insecure): the API key and "
                "commands travel unencrypted",
                urlsplit(brain.url).hostname,
            )
        return None
    if brain.pinned_cert_sha256:
        # The pin replaces the CA chain: verified by check_pin() once connected.
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    elif brain.ca_file:
        try:
            context = ssl.create_default_context(cafile=brain.ca_file)
        except (OSError, ssl.SSLError) as exc:
            raise TlsError(f"cannot load brain.ca_file {brain.ca_file}: {exc}") from None
    else:
        context = ssl.create_default_context()
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def check_pin(brain: BrainSettings, transport_info: Any) -> None:
    """With a pin configured, the server's certificate must hash to it (else TlsError).

    ``transport_info`` is the connection's ``get_extra_info``-style callable
    result for ``"ssl_object"``.
    """
    if not brain.pinned_cert_sha256:
        return
    der = transport_info.getpeercert(binary_form=True) if transport_info is not None else None
    if not der:
        raise TlsError("the brain presented no certificate to check the pin against")
    seen = hashlib.sha256(der).hexdigest()
    if not hmac.compare_digest(seen, normalise_fingerprint(brain.pinned_cert_sha256)):
        raise TlsError(f"the brain's certificate (sha256 {seen}) does not match the pin")
