"""May the crawler connect to this address? Pure decisions, no I/O.

The fetch layer asks twice per hop: once for a literal IP in the URL (refused before any socket is
opened), and the wire once for each address a name resolves to, connecting only to those that pass (a
public-looking name can resolve to 127.0.0.1 or to the cloud metadata service at 169.254.169.254).
Only globally routable unicast addresses pass, unless the run allows private addresses (tests do).
What counts as non-public is defined once in pipeline.catalogue.addresses (the validator uses it too).
"""

from __future__ import annotations

from pipeline.catalogue.addresses import IPAddress, parse_ip, refusal_reason

__all__ = ["IPAddress", "is_allowed", "parse_ip", "refusal_reason"]


def is_allowed(address: IPAddress | str, *, allow_private: bool = False) -> bool:
    return allow_private or refusal_reason(address) is None
