"""Python's cycle collector, paused while a step builds many long-lived objects.

A full collection walks every object alive, and the collector runs one each time the objects allocated
since the last one reach a quarter of those alive: parsing 20,000 catalogue files or syncing 20,000 rows
allocates that many again and again, so the collector walked the growing catalogue over and over (0.3 s of
a 1.4 s load and 0.14 s of a 0.5 s sync at 20,000 resources). What these steps build holds no reference
cycles: reference counting frees it. The collector is back on when the step ends.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
