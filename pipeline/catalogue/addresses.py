"""Which IP addresses are not public: one definition for the crawler's safety filter (every hop, each
address a name resolves to) and the validator (a literal address or localhost in a catalogue URL).

Pure: no I/O, no name resolution.
"""

from __future__ import annotations

import ipaddress

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# IPv6 prefixes that carry an IPv4 address in their low 32 bits (NAT64): judged by that address.
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))


def parse_ip(host: str) -> IPAddress | None:
    """The address if host is an IP literal (with or without [brackets] or a %zone), else None."""
    host = host.strip().strip("[]").split("%", 1)[0]
    if ":" not in host and not host.replace(".", "").isdigit():
        return None  # a host name (the usual case): no exception raised and caught per URL
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for (mapped, 6to4, Teredo, NAT64), if any."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]  # the client's address
    if any(address in net for net in _NAT64):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _kind(address: IPAddress) -> str | None:
    """The kind of non-public address this is, or None for a public unicast address."""
    # Order matters only for the wording: the most telling name first.
    checks = (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),  # Python counts some multicast ranges as global
        ("private", address.is_private),
        ("reserved", address.is_reserved),
        ("non-global", not address.is_global),  # e.g. 100.64.0.0/10 (carrier-grade NAT)
    )
    return next((name for name, hit in checks if hit), None)


def refusal_reason(address: IPAddress | str) -> str | None:
    """Why connecting to this address is refused, or None when it is a public unicast address."""
    if isinstance(address, str):
        parsed = parse_ip(address)
        if parsed is None:
            return f"{address!r} is not an IP address"
        address = parsed
    if isinstance(address, ipaddress.IPv6Address):
        inner = _embedded_ipv4(address)
        if inner is not None:
            kind = _kind(inner)
            return f"{address} stands for {inner}, a {kind} address" if kind else None
    kind = _kind(address)
    return f"{address} is a {kind} address" if kind else None


def local_host_reason(host: str) -> str | None:
    """Why a URL's host is never a public page, or None: `localhost` (and its subdomains, RFC 6761) or
    a literal non-public address. A name that merely resolves to one is the crawler's business."""
    name = host.strip().rstrip(".").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return f"{host} is this machine (localhost)"
    return refusal_reason(host) if parse_ip(host) is not None else None
