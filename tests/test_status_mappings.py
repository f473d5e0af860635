"""Every mapping over Status names every Status: a new Status fails here (and at import) until each place
that maps statuses says what it means, instead of falling back silently."""

from __future__ import annotations

import importlib

import pytest

from pipeline.quality.state import State, health_state
from pipeline.status import STATUS_MAPPINGS, Status, exhaustive
from tests.factory import resource

# The modules that map statuses with exhaustive(); importing them registers their mappings.
MAPPING_MODULES = ("pipeline.quality.state", "pipeline.publish.status_page")


def test_every_registered_mapping_names_every_status() -> None:
    for module in MAPPING_MODULES:
        importlib.import_module(module)
    assert {"quality.state.STATE_OF_STATUS", "publish.status_page.KIND_OF_STATUS"} <= set(STATUS_MAPPINGS)
    for name, mapping in STATUS_MAPPINGS.items():
        assert set(mapping) == set(Status), name


def test_a_mapping_that_forgets_a_status_is_refused() -> None:
    with pytest.raises(TypeError, match=r"test\.partial does not map the status skipped"):
        exhaustive("test.partial", {s: 1 for s in Status if s is not Status.SKIPPED})


class Summary:
    def __init__(self, status: Status, streak: int) -> None:
        self.status, self.consecutive_failures = status, streak


@pytest.mark.parametrize("status", list(Status), ids=[s.value for s in Status])
def test_every_status_has_its_own_health_state(status: Status) -> None:
    state = health_state(resource("a"), Summary(status, 1 if status.is_failure else 0), broken_after=2)
    expected = {Status.OK: State.OK, Status.REDIRECTED: State.MOVED, Status.BLOCKED: State.BLOCKED}
    expected |= {Status.SKIPPED: State.SKIPPED}
    assert state is expected.get(status, State.FAILING)
    if status.is_failure:
        assert health_state(resource("a"), Summary(status, 2), broken_after=2) is State.BROKEN
