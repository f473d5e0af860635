"""The page readers: processes that work out the facts of long pages (pipeline.crawl.html.read) for the
fetch process, so that neither it nor the run spends its own core on them.

Reading a page of 200 KB (lexbor's parse, a dozen queries, its visible text) costs 3-8 ms of CPU on a slow
core, more than everything else the run does with it. A run of real pages over many hosts was bound by
that CPU in the run's process (bench_crawl.py --hosts 250 --page article), with the fetch process using a
third of a second core. The fetch process (pipeline.crawl.remote) now hands each HTML page of
READ_AWAY_BYTES or more to a reader and sends the page on with its facts (Response.remember_facts); the
run's rules read them as if it had parsed the page itself. A shorter page costs less to parse than to
send away and back, and is parsed where it is judged, as before.

    readers = PageReaders(reader_count())     # in the fetch process; the readers start with the first page
    await readers.read(response)              # its facts worked out by a reader, or left to the run
    await readers.aclose()                    # their stdin closes: they end, and are waited for

A reader is `python -P -m pipeline.crawl.readers`: frames (pipeline.crawl.frames) of (key, body, content
type) in, (key, facts or None) out. It ignores SIGINT and SIGTERM and ends when its stdin closes: the
fetch process's end or death. A page a reader cannot read, or one whose reader died, is left to the run,
which parses it as it always did.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import subprocess
from typing import TYPE_CHECKING, BinaryIO

from pipeline.crawl.fetchprocess import end_child, spawn_child, usable_cores
from pipeline.crawl.frames import as_child, closing, connect, frame, read, read_from

if TYPE_CHECKING:
    from pipeline.crawl.facts import Response
    from pipeline.crawl.html import PageFacts

READ_AWAY_BYTES = 32 * 1024  # a page's body from this size on is read by a reader
MAX_READERS = 4
# Pages sent to a reader and not answered yet: the one it reads, and enough waiting in its pipe that it
# never waits for the fetch process, whose loop is busy too (with 2 the runs were 3-5 % longer; with 8 as
# fast as unbounded). The rest wait as pages, not as bytes piled up in the pipe's write buffer: unbounded,
# that buffer grew to hundreds of MB and was copied again and again as it grew.
PAGES_PER_READER = 8
CLOSE_WAIT_S = 2.0  # a reader still running this long after its stdin closed is killed


def reader_count() -> int:
    """Readers for a fetch process on this machine: a core each beside the run's, at least one (on two
    cores a reader shares them with the run and the fetch process, and still takes the parse off the
    run's: bench_crawl.py --hosts 250 --page article, 2,000 URLs, 19.4-19.9 s without, 15.4-15.7 s with)."""
    return max(1, min(MAX_READERS, usable_cores() - 1))


class _Reader:
    def __init__(self, popen: subprocess.Popen[bytes]) -> None:
        self.popen = popen
        self.waiting: dict[int, asyncio.Future[PageFacts | None]] = {}
        self.gone = False
        self.pipes: list[asyncio.BaseTransport] = []
        self.writer: asyncio.WriteTransport | None = None
        self.answers: asyncio.Task[None] | None = None

    async def connect(self) -> None:
        assert self.popen.stdout is not None and self.popen.stdin is not None
        reader, self.writer, self.pipes = await connect(self.popen.stdout, self.popen.stdin)
        self.answers = asyncio.create_task(self._answers(reader))

    async def _answers(self, reader: asyncio.StreamReader) -> None:
        # An answer that cannot be read ends the reader's use: the pages still waiting go to the run.
        with contextlib.suppress(Exception):
            while (message := await read(reader)) is not None:
                key, facts = message
                future = self.waiting.pop(key, None)
                if future is not None and not future.done():
                    future.set_result(facts)
        self.gone = True
        for future in self.waiting.values():
            if not future.done():
                future.set_result(None)
        self.waiting.clear()


class PageReaders:
    """The fetch process's readers, started with the first long page and ended with aclose()."""

    def __init__(self, count: int) -> None:
        self.count = count
        self._readers: list[_Reader] = []
        self._starting: asyncio.Task[None] | None = None
        self._room = asyncio.Semaphore(count * PAGES_PER_READER)
        self._ids = itertools.count()

    async def read(self, response: Response | None) -> None:
        """Work out response's facts in a reader when it is a long page not read yet; otherwise, or when
        no reader can, leave them to whoever asks for them (Response.facts parses them there)."""
        if (
            response is None
            or len(response.body or b"") < READ_AWAY_BYTES
            or response.facts_known
            or not response.has_page
        ):
            return
        async with self._room:
            reader = await self._least_busy()
            if reader is None:
                return
            key = next(self._ids)
            future = reader.waiting[key] = asyncio.get_running_loop().create_future()
            assert reader.writer is not None
            reader.writer.write(frame((key, response.body, response.header("content-type"))))
            facts = await future
        if facts is not None:
            response.remember_facts(facts)

    async def _least_busy(self) -> _Reader | None:
        if self._starting is None:
            self._starting = asyncio.ensure_future(self._start())
        await asyncio.shield(self._starting)
        alive = [reader for reader in self._readers if not reader.gone]
        return min(alive, key=lambda reader: len(reader.waiting)) if alive else None

    async def _start(self) -> None:
        for _ in range(self.count):
            try:
                popen = spawn_child("pipeline.crawl.readers")
            except OSError:  # out of processes or files: fewer readers, or none (the run parses)
                break
            reader = _Reader(popen)
            try:
                await reader.connect()
            except Exception:  # its pipes would not join the loop: no use, and no page waits on it
                popen.kill()
                end_child(popen, CLOSE_WAIT_S)
                break
            self._readers.append(reader)

    async def aclose(self) -> None:
        """End the readers: their stdin closes, they end; one still running after CLOSE_WAIT_S is killed."""
        if self._starting is not None:
            with contextlib.suppress(BaseException):
                await self._starting
        for reader in self._readers:
            await closing(reader.pipes, reader.answers)
        for reader in self._readers:
            end_child(reader.popen, CLOSE_WAIT_S)


def serve(stdin: BinaryIO, stdout: BinaryIO) -> None:
    """A reader's loop: the facts of each page asked, in the order asked, until stdin ends."""
    from pipeline.crawl import html

    while (message := read_from(stdin)) is not None:
        key, body, content_type = message
        try:
            facts = html.read(body, content_type)
        except Exception:  # a page the parser cannot read: the run parses it, and meets the same error
            facts = None
        stdout.write(frame((key, facts)))
        stdout.flush()


def main() -> None:
    serve(*as_child())


if __name__ == "__main__":
    main()
