"""The page readers (pipeline.crawl.readers): the facts of long pages worked out in processes of their own
for the fetch process. Whatever goes wrong there leaves the page to the run, which parses it itself."""

from __future__ import annotations

import asyncio
import io
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from types import MappingProxyType

import pytest

from pipeline.crawl import html as html_module
from pipeline.crawl import readers as readers_module
from pipeline.crawl.facts import Response
from pipeline.crawl.frames import frame, read_from
from pipeline.crawl.readers import PAGES_PER_READER, READ_AWAY_BYTES, PageReaders, serve
from tests.conftest import REPO
from tests.crawl.helpers import alive, html

LONG = html(
    "A long page",
    '<p id="start">'
    + "Singular values measure how far a matrix stretches space. " * 800
    + '<a name="end">.</a>',
)


def _response(body: str | bytes, content_type: str = "text/html; charset=utf-8") -> Response:
    data = body.encode() if isinstance(body, str) else body
    return Response(
        url="http://127.0.0.2/page",
        status=200,
        headers=MappingProxyType({"content-type": content_type}),
        body=data,
    )


def _run(coroutine):
    return asyncio.run(asyncio.wait_for(coroutine, 30))


def test_a_long_page_comes_back_with_the_facts_the_run_would_have_parsed() -> None:
    assert len(LONG) > READ_AWAY_BYTES
    pages = [_response(LONG.replace("A long page", f"Page {n}")) for n in range(6)]

    async def run() -> list[subprocess.Popen[bytes]]:
        readers = PageReaders(2)
        try:
            await asyncio.gather(*(readers.read(page) for page in pages))
            return [reader.popen for reader in readers._readers]
        finally:
            await readers.aclose()

    popens = _run(run())
    assert len(popens) == 2 and [popen.returncode for popen in popens] == [0, 0]  # ended by themselves
    for n, page in enumerate(pages):
        assert "facts" in vars(page) and "markup" not in vars(page)  # worked out in a reader, not here
        assert page.facts == html_module.read(page.body or b"", page.header("content-type"))
        assert page.facts.title == f"Page {n}" and {"start", "end"} <= page.facts.anchors  # its own answer


def test_what_is_not_a_long_unread_page_starts_no_reader() -> None:
    short = _response(html("Short", "<p>a few words"))
    not_html = _response(b"%PDF-1.7 " + b"x" * READ_AWAY_BYTES, "application/pdf")
    blank = _response(b" " * (2 * READ_AWAY_BYTES))
    read_already = _response(LONG)
    assert read_already.facts.title == "A long page"

    async def run() -> PageReaders:
        readers = PageReaders(1)
        for response in (short, not_html, blank, read_already, None):
            await readers.read(response)
        await readers.aclose()
        return readers

    readers = _run(run())
    assert readers._starting is None and not readers._readers
    assert not {"facts", "markup"} & (set(vars(short)) | set(vars(not_html)) | set(vars(blank)))


def test_pages_wait_for_a_reader_as_pages_not_as_bytes_in_its_pipe() -> None:
    asked = PAGES_PER_READER + 4
    first, *more = (_response(LONG.replace("A long page", f"Page {n}")) for n in range(asked + 1))

    async def run() -> int:
        readers = PageReaders(1)
        try:
            await readers.read(first)
            (reader,) = readers._readers
            os.kill(reader.popen.pid, signal.SIGSTOP)  # busy: it answers nothing for now
            reading = [asyncio.create_task(readers.read(page)) for page in more]
            for _ in range(50):  # every task has had its turns: those without room wait for it
                await asyncio.sleep(0)
            sent = len(reader.waiting)
            os.kill(reader.popen.pid, signal.SIGCONT)
            await asyncio.gather(*reading)
            return sent
        finally:
            await readers.aclose()

    assert _run(run()) == PAGES_PER_READER  # one to read, the next ones in the pipe; the rest held here
    assert [page.facts.title for page in more] == [f"Page {n}" for n in range(1, asked + 1)]
    assert all("facts" in vars(page) for page in more)  # all read by the reader once it went on


def test_a_reader_that_dies_leaves_its_pages_to_the_run() -> None:
    first, waiting, later = (
        _response(LONG.replace("A long page", name)) for name in ("First", "Waiting", "Later")
    )

    async def run() -> None:
        readers = PageReaders(1)
        try:
            await readers.read(first)
            (reader,) = readers._readers
            os.kill(reader.popen.pid, signal.SIGSTOP)  # it takes the next page and never answers
            pending = asyncio.create_task(readers.read(waiting))
            while not reader.waiting:  # bounded by the wait_for of _run
                await asyncio.sleep(0.01)
            reader.popen.kill()
            await pending  # answered "not read" as its reader's pipe closed, not left hanging
            await readers.read(later)  # no reader left: the page goes on unread
        finally:
            await readers.aclose()

    _run(run())
    assert "facts" in vars(first)
    assert "facts" not in vars(waiting) and "facts" not in vars(later)
    assert (waiting.facts.title, later.facts.title) == ("Waiting", "Later")  # parsed by the run, as before


def test_a_reader_whose_pipes_cannot_be_used_is_no_reader(monkeypatch: pytest.MonkeyPatch) -> None:
    async def refused(*pipes: object) -> None:
        raise OSError("no room on the loop")

    monkeypatch.setattr(readers_module, "connect", refused)
    page = _response(LONG)

    async def run() -> PageReaders:
        readers = PageReaders(2)
        await readers.read(page)  # no reader to send it to: left to the run, no error
        await readers.aclose()
        return readers

    assert not _run(run())._readers
    assert "facts" not in vars(page) and page.facts.title == "A long page"


def test_a_page_the_parser_cannot_read_is_answered_as_not_read(monkeypatch: pytest.MonkeyPatch) -> None:
    real = html_module.read

    def read(body: bytes, content_type: str | None):
        if body == b"<p>breaks the parser":
            raise ValueError("unreadable")
        return real(body, content_type)

    monkeypatch.setattr(html_module, "read", read)
    asked = io.BytesIO(frame((1, b"<p>breaks the parser", None)) + frame((2, LONG.encode(), "text/html")))
    answers = io.BytesIO()
    serve(asked, answers)  # ends with its input
    answers.seek(0)
    first, second = read_from(answers), read_from(answers)
    assert read_from(answers) is None
    assert first == (1, None)
    assert second[0] == 2 and second[1].title == "A long page"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads process states from /proc")
def test_readers_end_when_the_fetch_process_that_started_them_is_killed() -> None:
    script = textwrap.dedent(
        f"""
        import asyncio, os, signal, sys
        from types import MappingProxyType
        from pipeline.crawl.facts import Response
        from pipeline.crawl.readers import PageReaders

        async def main():
            readers = PageReaders(2)
            headers = MappingProxyType({{"content-type": "text/html"}})
            page = Response(url="http://x/", status=200, headers=headers, body={LONG.encode()!r})
            await asyncio.gather(readers.read(page), readers.read(page))
            print(*(reader.popen.pid for reader in readers._readers), flush=True)
            os.kill(os.getpid(), signal.SIGKILL)  # no aclose: a fetch process that dies

        asyncio.run(main())
        """
    )
    stand_in = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=60, check=False
    )
    assert stand_in.returncode == -signal.SIGKILL, stand_in.stderr
    pids = [int(pid) for pid in stand_in.stdout.split()]
    assert len(pids) == 2
    for _ in range(200):  # their stdin closed with the process: they end by themselves
        if not any(alive(pid) for pid in pids):
            break
        time.sleep(0.05)
    assert not any(alive(pid) for pid in pids)
