"""normalise_url: two spellings of one page give one key; different pages stay different."""

from __future__ import annotations

import pytest

from pipeline.catalogue.urls import normalise_url

SAME = [
    ("HTTPS://Example.ORG/a", "https://example.org/a"),
    ("https://www.example.org/a", "https://example.org/a"),
    ("https://example.org:443/a", "https://example.org/a"),
    ("http://example.org:80/a", "https://example.org/a"),
    ("http://example.org/a", "https://example.org/a"),
    ("http://example.org:443/a", "https://example.org:443/a"),
    ("https://example.org/%7Euser/a%2db", "https://example.org/~user/a-b"),
    ("https://example.org/a/", "https://example.org/a"),
    ("https://example.org/", "https://example.org"),
    ("https://example.org", "https://example.org"),
    ("https://example.org/a#section-2", "https://example.org/a"),
    ("https://example.org/a?utm_source=x&utm_medium=y", "https://example.org/a"),
    ("https://example.org/a?fbclid=1&gclid=2&b=2&a=1", "https://example.org/a?a=1&b=2"),
    ("https://example.org./a", "https://example.org/a"),
    ("https://user:pw@example.org/a", "https://example.org/a"),
    ("https://example.org/a%2fb", "https://example.org/a%2Fb"),
    ("  https://example.org/a  ", "https://example.org/a"),
]


@pytest.mark.parametrize(("url", "key"), SAME)
def test_normalise(url: str, key: str) -> None:
    assert normalise_url(url) == key


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("https://example.org/a", "https://example.org/b"),
        ("https://example.org/a?page=1", "https://example.org/a?page=2"),
        ("https://example.org:8443/a", "https://example.org/a"),
        ("https://Example.org/A", "https://example.org/a"),
        ("https://sub.example.org/a", "https://example.org/a"),
    ],
)
def test_different_pages_stay_different(a: str, b: str) -> None:
    assert normalise_url(a) != normalise_url(b)


def test_not_a_url_comes_back_stripped() -> None:
    assert normalise_url(" http://[::1 ") == "http://[::1"
