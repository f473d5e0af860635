"""The web links an entry writes in its own text (pipeline.catalogue.textlinks)."""

from __future__ import annotations

import pytest

from pipeline.catalogue.textlinks import secondary_links, text_links
from pipeline.model import Link
from tests.factory import resource


@pytest.mark.parametrize(
    ("markdown", "links"),
    [
        pytest.param("A [port](https://a.example/x) of X.", [("port", "https://a.example/x")], id="inline"),
        pytest.param(
            '[`pycodestyle` docs](http://p.example "title")',
            [("pycodestyle docs", "http://p.example")],
            id="code-label",
        ),
        pytest.param(
            "Mirror: <https://m.example/>", [("https://m.example/", "https://m.example/")], id="autolink"
        ),
        pytest.param("[![ci](https://img.example/b.svg)](https://ci.example)", [], id="badge"),
        pytest.param("![logo](https://img.example/l.png)", [], id="image"),
        pytest.param(
            "[![logo](https://i.example/l.png) Logo Tool](https://l.example)",
            [("Logo Tool", "https://l.example")],
            id="image-and-words",
        ),
        pytest.param("[install](#install), [docs](docs/x.md), [mail](mailto:a@b.example)", [], id="not-web"),
        pytest.param("https://bare.example/x and [ref][r]", [], id="no-link-markup"),
    ],
)
def test_text_links(markdown: str, links: list[tuple[str, str]]) -> None:
    assert [(link.title, link.target) for link in text_links(markdown)] == links


def test_secondary_links_are_the_links_then_the_texts_each_url_once() -> None:
    entry = resource(
        "x",
        url="https://x.example/",
        title="X",
        description="See [the site](https://x.example/), [docs](https://docs.example/) and [docs](https://docs.example/).",
        details="More in [the wiki](https://wiki.example/) and the [demo](https://demo.example/).",
        links=(Link("Demo", "https://demo.example/"),),
    )
    assert [(link.title, link.target) for link in secondary_links(entry)] == [
        ("Demo", "https://demo.example/"),
        ("docs", "https://docs.example/"),
        ("the wiki", "https://wiki.example/"),
    ]
    row = resource(
        "z",
        url="https://z.example/slides",
        title="Lecture 1",
        fields={
            "No.": "1",
            "Video": "[Video](https://video.example/1)",
            "Notes": "[PDF](https://z.example/slides)",
        },
    )
    assert secondary_links(row) == (Link("Video", "https://video.example/1"),)  # a table row's other cells
    plain = resource("y", description="No links here.", links=(Link("Demo", "https://demo.example/"),))
    assert secondary_links(plain) is plain.links  # nothing parsed
