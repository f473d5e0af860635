"""A response head as a browser reads it (pipeline.crawl.lenient.browser_head): pure rewrites."""

from __future__ import annotations

import pytest

from pipeline.crawl.lenient import browser_head


@pytest.mark.parametrize(
    ("head", "read"),
    [
        pytest.param(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 10",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
            id="chunked-wins-over-length",
        ),
        pytest.param(
            b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\nTransfer-Encoding: gzip",
            b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\nTransfer-Encoding: gzip\r\n\r\n",
            id="length-kept-without-chunked",
        ),
        pytest.param(
            b"HTTP/1.1 200 OK\r\nContent-Type :  text/html \r\nX-Y:z",
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nX-Y: z\r\n\r\n",
            id="blanks-around-name-and-value",
        ),
        pytest.param(
            b"HTTP/1.1 200 OK\nX-Powered-By PHP\nBad Name: v\n: no name\nServer: a\n  folded",
            b"HTTP/1.1 200 OK\r\nServer: a folded\r\n\r\n",
            id="lines-that-are-no-header-skipped-fold-joined",
        ),
        pytest.param(b"HTTP/1.1 204 No Content", b"HTTP/1.1 204 No Content\r\n\r\n", id="no-headers"),
    ],
)
def test_browser_head(head: bytes, read: bytes) -> None:
    assert browser_head(head) == read
