"""The fetch process's side of the pipes, and the fetcher that talks to it (pipeline.crawl.fetchprocess
starts and ends the process).

Every request of the run goes through that one child Fetcher, so every politeness rule (the global cap,
the per-host limit and gap, a host's slow-down after a 429) holds exactly as in one process. The parent
plans and paces hosts, judges and records; the child answers each `fetch` with the same `Fetched` value.

Frames (pipeline.crawl.frames) on the child's stdin and stdout. The child (`python -P -m
pipeline.crawl.remote`) ignores SIGINT and SIGTERM (the parent stops the run and closes it) and ends when
its stdin closes, the parent's end or death.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
from typing import TYPE_CHECKING, BinaryIO

from pipeline.crawl.frames import as_child, closing, connect, frame, read
from pipeline.errors import FetchProcessError

if TYPE_CHECKING:
    from pipeline.config import Config
    from pipeline.crawl.facts import Fetched
    from pipeline.crawl.fetchprocess import FetchProcess


class RemoteFetcher:
    """The Fetcher's interface (fetch, config, exchange_s, workers_allowed), answered by a FetchProcess.

    Entered again (the repairs after the crawl), it goes on with the same child and its host state."""

    # The crawl keeps this many requests asked of the child for each one a host may have in flight
    # (runner._Hosts): the child's Fetcher holds the spare ones to the host's limits and gap, and sends
    # each the moment it may, instead of after an answer's round trip through the parent's busy loop
    # (bench_crawl.py at lychee's limits on the slow machine: 2,000 URLs 1.38-1.47 -> 1.32-1.36 the
    # politeness bound, 20,000 1.18-1.20 -> 1.12-1.15).
    depth = 2

    def __init__(self, config: Config, process: FetchProcess, *, allow_private: bool = False) -> None:
        from pipeline.crawl.fetch import NOMINAL_EXCHANGE_S, WORKERS_PER_SLOT

        self.config, self.process, self.allow_private = config, process, allow_private
        self.exchange_s = NOMINAL_EXCHANGE_S  # the child's running mean, sent with each answer
        self.workers_allowed = WORKERS_PER_SLOT * config.check.concurrency
        self._ids = itertools.count()
        self._waiting: dict[int, asyncio.Future[Fetched]] = {}
        self._writer: asyncio.WriteTransport | None = None
        self._pipes: list[asyncio.BaseTransport] = []
        self._reading: asyncio.Task[None] | None = None
        self._ended: str | None = None

    async def __aenter__(self) -> RemoteFetcher:
        if self._writer is None:
            await self._connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None  # the child lives on for the run's next use; aclose() ends it

    async def _connect(self) -> None:
        popen = self.process.popen
        assert popen.stdout is not None and popen.stdin is not None
        reader, self._writer, self._pipes = await connect(popen.stdout, popen.stdin)
        self._writer.write(frame(("begin", self.config, self.allow_private)))
        ready = await read(reader)
        if not (isinstance(ready, tuple) and ready[0] == "ready"):
            raise FetchProcessError(
                f"the run's fetch process did not start ({await self._exit_status()}); "
                "`check: fetch_process_from: 0` in config.yaml fetches in one process"
            )
        self.workers_allowed = ready[1]
        self._reading = asyncio.create_task(self._answers(reader))

    async def _answers(self, reader: asyncio.StreamReader) -> None:
        try:
            while (message := await read(reader)) is not None:
                kind, key, value, self.exchange_s = message
                future = self._waiting.pop(key, None)
                if future is None or future.done():
                    continue  # cancelled meanwhile
                if kind == "done":
                    future.set_result(value)
                else:
                    future.set_exception(FetchProcessError(f"the run's fetch process failed: {value}"))
            why = await self._exit_status()
        except Exception as error:  # an answer that cannot be read: nothing after it can be trusted
            why = f"an answer could not be read: {error!r}"
        self._ended = f"the run's fetch process ended unexpectedly ({why})"
        for future in self._waiting.values():
            if not future.done():
                future.set_exception(FetchProcessError(self._ended))
        self._waiting.clear()

    async def _exit_status(self) -> str:
        popen = self.process.popen
        for _ in range(100):  # its pipe closes as it dies: its status follows within moments
            if popen.poll() is not None:
                break
            await asyncio.sleep(0.01)
        code = popen.returncode
        if code is None:
            return "its output closed"
        if code < 0:
            return (
                f"killed by {signal.Signals(-code).name}"
                if -code in signal.valid_signals()
                else f"signal {-code}"
            )
        return f"exit status {code}"

    async def fetch(self, url: str, *, anchors: bool = False) -> Fetched:
        if self._ended is not None:
            raise FetchProcessError(self._ended)
        assert self._writer is not None, "use inside `async with fetcher`"
        key = next(self._ids)
        future = self._waiting[key] = asyncio.get_running_loop().create_future()
        self._writer.write(frame(("fetch", key, url, anchors)))
        try:
            return await future
        except asyncio.CancelledError:
            if self._waiting.pop(key, None) is not None and not self._writer.is_closing():
                self._writer.write(frame(("cancel", key, None, None)))
            raise

    async def aclose(self) -> None:
        """Close the pipes: the child ends (FetchProcess.close waits for it)."""
        await closing(self._pipes, self._reading)


# --- the child ------------------------------------------------------------------------------------------


async def _serve(stdin: BinaryIO, stdout: BinaryIO) -> None:
    # Before the parent's first message, to overlap the parent's own start: the fetcher's imports, its
    # wire's (aiohttp, imported by Fetcher.__aenter__) and the TLS context, 0.2 s after that message
    # otherwise, on the path to the run's first request.
    from pipeline.crawl.fetch import Fetcher, default_tls
    from pipeline.crawl.readers import PageReaders, reader_count
    from pipeline.crawl.wire import Wire  # noqa: F401

    tls = default_tls()

    reader, writer, _ = await connect(stdin, stdout)
    begin = await read(reader)
    if begin is None:
        return
    _, config, allow_private = begin
    tasks: dict[int, asyncio.Task[Fetched]] = {}
    readers = PageReaders(reader_count())
    async with Fetcher(config, tls=tls, allow_private=allow_private) as fetcher:

        async def fetch(url: str, anchors: bool) -> Fetched:
            fetched = await fetcher.fetch(url, anchors=anchors)
            await readers.read(fetched.response)  # a long page goes to the parent with its facts
            return fetched

        def answer(key: int, task: asyncio.Task[Fetched]) -> None:
            if tasks.pop(key, None) is None or task.cancelled() or writer.is_closing():
                return
            error = task.exception()
            message = ("done", key, task.result(), fetcher.exchange_s) if error is None else None
            writer.write(frame(message or ("error", key, repr(error), fetcher.exchange_s)))

        writer.write(frame(("ready", fetcher.workers_allowed)))
        while (message := await read(reader)) is not None:
            kind, key, url, anchors = message
            if kind == "fetch":
                task = tasks[key] = asyncio.create_task(fetch(url, anchors))
                task.add_done_callback(lambda done, key=key: answer(key, done))
            elif (task := tasks.pop(key, None)) is not None:
                task.cancel()
        # The parent is done (or gone): nothing is owed to anyone. Ending now, not after closing each
        # connection and tearing the interpreter down, keeps the parent's wait for it short; the page
        # readers first, so that none outlives the run.
        try:
            await readers.aclose()
        finally:
            os._exit(0)


def main() -> None:
    asyncio.run(_serve(*as_child()))


if __name__ == "__main__":
    main()
