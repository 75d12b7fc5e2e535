"""Client address allow-lists of executors and API tokens (``docs/security.md``).

Stored as CIDR strings by ``fx-brain executors add --allow`` / ``tokens add
--allow``; an empty list allows every address. An address that cannot be
parsed (e.g. a test client's "testclient") matches no network.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence


class AllowListError(ValueError):
    """A CIDR the operator typed is not one; the message names it."""


def parse_cidrs(values: Sequence[str]) -> list[str]:
    """Normalised CIDRs (``10.0.0.7`` becomes ``10.0.0.7/32``); AllowListError if bad."""
    out = []
    for value in values:
        for part in value.split(","):
            text = part.strip()
            if not text:
                continue
            try:
                out.append(str(ipaddress.ip_network(text, strict=False)))
            except ValueError:
                raise AllowListError(f"{text!r} is not an IP address or CIDR network") from None
    return out


def address_allowed(address: str, cidrs: Sequence[str]) -> bool:
    if not cidrs:
        return True
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for cidr in cidrs:
        network = ipaddress.ip_network(cidr, strict=False)
        if ip.version == network.version and ip in network:
            return True
    return False
