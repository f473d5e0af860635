"""Issue 10 §4: the validator enforces CONTRIBUTING on a resource's URL: no click trackers (the fix is the
cleaned URL), nothing local (localhost, loopback, private, link-local literals)."""

from __future__ import annotations

import pytest

from pipeline.catalogue.urls import is_tracking, without_tracking
from tests.validate.fixtures import Catalogue, Run

NEW = "catalogue/resources/new-one.yaml:3:6"
LOCAL_FIX = "use the page's public address (a host name on the internet)"

TRACKERS = {
    "utm and a real parameter and a fragment": (
        "https://example.org/notes?utm_source=newsletter&v=2&utm_medium=email#intro",
        "the URL carries the click-tracking parameters utm_source, utm_medium — use https://example.org/notes?v=2#intro",
    ),
    "fbclid alone: the ? goes too": (
        "https://example.org/notes?fbclid=IwAR0abc",
        "the URL carries the click-tracking parameter fbclid — use https://example.org/notes",
    ),
    "mailchimp ids": (
        "https://example.org/notes?mc_cid=1a2b&mc_eid=3c4d",
        "the URL carries the click-tracking parameters mc_cid, mc_eid — use https://example.org/notes",
    ),
    "upper-case name, value kept elsewhere": (
        "https://example.org/watch?v=abc&GCLID=xyz&t=30",
        "the URL carries the click-tracking parameter GCLID — use https://example.org/watch?v=abc&t=30",
    ),
    "twitter ref_src, hubspot _hsenc": (
        "https://example.org/a?ref_src=twsrc&_hsenc=p2&_hsmi=9",
        "the URL carries the click-tracking parameters ref_src, _hsenc, _hsmi — use https://example.org/a",
    ),
}

LOCALS = {
    "localhost": ("http://localhost:8000/notes", "localhost:8000"),
    "a localhost subdomain": ("https://notes.localhost/", "notes.localhost"),
    "loopback v4": ("https://127.0.0.1/notes", "127.0.0.1"),
    "private 10/8": ("https://10.1.2.3/notes", "10.1.2.3"),
    "private 192.168/16": ("https://192.168.1.10/notes", "192.168.1.10"),
    "link-local (cloud metadata)": ("http://169.254.169.254/latest/", "169.254.169.254"),
    "loopback v6": ("https://[::1]/notes", "[::1]"),
    "link-local v6": ("https://[fe80::1]/notes", "[fe80::1]"),
    "v4-mapped loopback": ("https://[::ffff:127.0.0.1]/notes", "[::ffff:127.0.0.1]"),
}


@pytest.mark.parametrize(("url", "line"), TRACKERS.values(), ids=list(TRACKERS))
def test_a_tracking_parameter_is_an_error_whose_fix_is_the_cleaned_url(
    catalogue: Catalogue, cli: Run, url: str, line: str
) -> None:
    new = catalogue.resource("new-one", url=url, position=30)
    for args in ((), (str(new),)):  # a full run and FILES mode say the same
        code, out, _ = cli("validate", *args)
        assert (code, out.splitlines()) == (1, [f"{NEW}: {line}", "1 problem in 1 file"])


@pytest.mark.parametrize(("url", "host"), LOCALS.values(), ids=list(LOCALS))
def test_a_local_address_is_an_error(catalogue: Catalogue, cli: Run, url: str, host: str) -> None:
    catalogue.resource("new-one", url=url, position=30)
    code, out, _ = cli("validate")
    assert code == 1
    (problem, summary) = out.splitlines()
    assert problem.startswith(f"{NEW}: the URL points at a non-public address: ")
    assert problem.endswith(f"; no reader can open it — {LOCAL_FIX}")
    assert summary == "1 problem in 1 file"


@pytest.mark.parametrize(
    "url",
    [
        "https://localhost.example.com/notes",  # a real name that merely starts with "localhost"
        "https://8.8.8.8/dns",  # a public literal
        "https://example.org/search?q=utm_source&ref=home",  # names that only look like trackers
        "https://example.org/a?utmost=1",
    ],
)
def test_public_and_untracked_urls_pass(catalogue: Catalogue, cli: Run, url: str) -> None:
    catalogue.resource("new-one", url=url, position=30)
    assert cli("validate")[0] == 0


def test_the_cleaned_url_keeps_everything_but_the_trackers() -> None:
    assert without_tracking("https://e.org/p;x?a=1&utm_id=2&b=&c#f") == "https://e.org/p;x?a=1&b=&c#f"
    assert without_tracking("  https://e.org/?utm_source=x  ") == "https://e.org/"
    assert is_tracking("utm%5Fsource") and not is_tracking("ref")


def test_loopback_is_accepted_for_tests_and_mirrors_on_request_trackers_never(
    catalogue: Catalogue, cli: Run
) -> None:
    from pipeline.validate import load_valid_catalogue

    catalogue.resource("new-one", url="http://127.0.0.2:8080/notes", position=30)
    assert cli("validate")[0] == 1
    assert cli("validate", "--allow-private-addresses")[0] == 0
    assert load_valid_catalogue(catalogue.root).resource("new-one").url == "http://127.0.0.2:8080/notes"
    catalogue.resource("new-one", url="http://127.0.0.2:8080/notes?utm_source=x", position=30)
    code, out, _ = cli("validate", "--allow-private-addresses")
    assert (code, out.splitlines()[0]) == (
        1,
        f"{NEW}: the URL carries the click-tracking parameter utm_source — use http://127.0.0.2:8080/notes",
    )
