"""Whether the network looks down: hosts that failed below HTTP (no name, refused, unreachable) counted
against those that answered, so a run on a dead network is called inconclusive instead of reporting every
link it could not reach as broken.

    NetworkWatch(planned_hosts, ratio).note(host, fetched) ... .looks_down(), .doomed(), .message()
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from pipeline.crawl.facts import Fetched
from pipeline.wording import plural

NETWORK_DOWN_MIN_HOSTS = 3  # fewer failing hosts than this never void a run on their own
# Failures that are about our side of the network, whoever the host is.
LOCAL_NETWORK_KINDS = frozenset({"dns_temporary", "unreachable"})


@dataclass
class NetworkWatch:
    """Counts hosts that failed below HTTP, to tell "the network is down" from "these links died"."""

    planned_hosts: int
    ratio: float
    answered: set[str] = field(default_factory=set)  # hosts that gave any HTTP answer
    failed: dict[str, str] = field(default_factory=dict)  # host -> kind, while no answer came from it
    refused_hosts: set[str] = field(default_factory=set)  # skipped/unsafe: not attempted
    controls: dict[str, bool] = field(default_factory=dict)  # control host -> answered at HTTP level

    def needs_controls(self) -> bool:
        """Every host tried failed below HTTP, but too few of them to say the network is down."""
        return bool(self.failed) and not self.answered and not self.looks_down()

    def note_control(self, host: str, fetched: Fetched) -> None:
        failure = fetched.failure
        self.controls[host] = not (fetched.response is None and failure is not None and failure.network)

    def note(self, host: str, fetched: Fetched) -> None:
        failure = fetched.failure
        if fetched.response is not None:
            self.answered.add(host)
            self.failed.pop(host, None)
        elif failure is not None and failure.network:
            if host not in self.answered:
                self.failed[host] = failure.kind
        elif failure is not None and failure.kind in ("unsafe_address", "domain_skip", "unsupported_scheme"):
            self.refused_hosts.add(host)
        else:
            self.answered.add(host)  # reached the host (timeouts after connecting, TLS, protocol)
            self.failed.pop(host, None)

    @property
    def attempted(self) -> int:
        return len(self.answered | set(self.failed))

    def looks_down(self) -> bool:
        failed, attempted = len(self.failed), self.attempted
        if attempted and failed == attempted and all(k in LOCAL_NETWORK_KINDS for k in self.failed.values()):
            return True  # nothing answered and the failures are about our own connectivity
        if attempted and failed == attempted and self.controls and not any(self.controls.values()):
            return True  # the hosts of a small run and the control hosts all failed alike
        return failed >= NETWORK_DOWN_MIN_HOSTS and failed >= self.ratio * attempted

    def doomed(self) -> bool:
        """Down whatever the hosts not tried yet would say: finishing would only take longer."""
        failed = len(self.failed)
        return (
            failed >= NETWORK_DOWN_MIN_HOSTS
            and failed >= self.ratio * self.planned_hosts
            and not self.answered
        )

    def message(self) -> str:
        kinds = Counter(self.failed.values())
        how = ", ".join(_kind_words(kind, n) for kind, n in kinds.most_common())
        controls = (
            f", and so did {plural(len(self.controls), 'other host')} of the catalogue asked as a control"
            if self.controls
            else ""
        )
        return (
            f"the network looks down: {len(self.failed)} of {self.attempted} hosts failed before any HTTP "
            f"answer ({how}){controls}; no resource's health was changed"
        )


_KIND_WORDS = {  # kind -> (one, several)
    "dns": ("name not found", "names not found"),
    "dns_temporary": ("name lookup failed", "name lookups failed"),
    "connect": ("connection refused", "connections refused"),
    "unreachable": ("unreachable", "unreachable"),
    "connect_timeout": ("connect time-out", "connect time-outs"),
}


def _kind_words(kind: str, count: int) -> str:
    one, several = _KIND_WORDS.get(kind, (kind, kind))
    return f"{count} {one if count == 1 else several}"
