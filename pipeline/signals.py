"""Stop requests: SIGINT/SIGTERM ask the running command to stop. The one mechanism `check`, `nightly`
and `schedule` share.

    with stop_on_signals() as stop:          # installs the handlers (main thread only), restores them after
        with stop.listen(on_stop):           # on_stop(signal name) is called on each signal
            ...
        if stop.signal: ...                  # checked between steps

Nested blocks share the outermost one (a scheduled nightly run inside `roadmap schedule`, a check inside
a nightly): one set of handlers is installed for the whole process, nobody resets another's. A listener
runs inside the signal handler: it must only set flags or wake something (an asyncio Event through
loop.call_soon_threadsafe, a thread), never block.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

SIGNALS = (signal.SIGINT, signal.SIGTERM)
Listener = Callable[[str], None]


class StopRequest:
    """Whether a stop was asked for (the first signal's name), and who to tell when one is."""

    def __init__(self) -> None:
        self.signal: str | None = None
        self._listeners: list[Listener] = []

    def request(self, name: str) -> None:
        """A stop is asked for (by a signal, or by a test)."""
        if self.signal is None:
            self.signal = name
        for listener in list(self._listeners):
            listener(name)

    @contextmanager
    def listen(self, listener: Listener) -> Iterator[None]:
        """Call listener(signal name) on every stop request during the block (at once if one came already)."""
        self._listeners.append(listener)
        try:
            if self.signal is not None:
                listener(self.signal)
            yield
        finally:
            self._listeners.remove(listener)


_active: StopRequest | None = None  # the outermost block's, while its handlers are installed


@contextmanager
def stop_on_signals() -> Iterator[StopRequest]:
    """SIGINT/SIGTERM request a stop during the block instead of killing the process.

    Only the main thread may handle signals: elsewhere the request is one only the caller can make.
    """
    global _active
    if _active is not None:
        yield _active
        return
    stop = StopRequest()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return

    def handler(signum: int, _frame: FrameType | None) -> None:
        stop.request(signal.Signals(signum).name)

    previous = {sig: signal.signal(sig, handler) for sig in SIGNALS}
    _active = stop
    try:
        yield stop
    finally:
        _active = None
        for sig, old in previous.items():
            signal.signal(sig, old)
