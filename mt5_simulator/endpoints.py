"""Which endpoints the simulated terminal may bind: loopback, or others only when allowed."""

from __future__ import annotations

from mt5_simulator.settings import SettingsError

_LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]", "::1")


def check_endpoint(endpoint: str, allow_remote: bool) -> str | None:
    """A warning for a non-loopback endpoint when allowed; raises SettingsError when not."""
    scheme, _, rest = endpoint.partition("://")
    if scheme in ("ipc", "inproc"):
        return None
    if scheme != "tcp" or ":" not in rest:
        raise SettingsError(f"endpoint {endpoint!r} must look like tcp://127.0.0.1:PORT")
    host = rest.rsplit(":", 1)[0]
    if host in _LOOPBACK_HOSTS:
        return None
    if not allow_remote:
        raise SettingsError(
            f"endpoint {endpoint!r} is not loopback; pass --allow-remote to expose the terminal"
        )
    return f"endpoint {endpoint} is reachable from other machines: anyone there can trade"
