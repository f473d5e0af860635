"""One loopback server per case module (two hosts, A and B); each case installs its own routes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.crawl.helpers import A, B
from tests.crawl.server import LoopbackServer


@pytest.fixture(scope="module")
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer(ips=(A, B)) as srv:
        yield srv
