"""The forges against a fake API on loopback: what each answer becomes, batching, ETags, rate limits."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from datetime import datetime

import pytest

from pipeline.config import Config
from pipeline.forges import Answer, ask_forges, outcome_for
from pipeline.status import Status
from tests.forges.conftest import TOKEN, forge_config
from tests.forges.fakeapi import FakeClock, FakeForge

pytestmark = pytest.mark.timeout(30)


def ask(urls, config, clock, *, token=TOKEN, known=None):
    environ = {"GITHUB_TOKEN": token} if token else {}
    return asyncio.run(ask_forges(urls, config, known=known, clock=clock, environ=environ))


def url(fake: FakeForge, name: str) -> str:
    return f"http://{fake.host}/{name}"


def scenario(fake: FakeForge) -> list[str]:
    fake.add("alice/fine", stars=1200, pushed_at="2026-11-01T08:00:00Z", release_at="2026-10-01T00:00:00Z")
    fake.add("alice/old", archived=True, pushed_at="2019-03-04T05:06:07Z", release_at=None)
    fake.add("alice/secret", private=True)
    fake.add("alice/before")
    fake.rename("alice/before", "bob/after")
    return [url(fake, n) for n in ("alice/fine", "alice/old", "alice/secret", "alice/before", "alice/gone")]


@pytest.mark.parametrize("token", [TOKEN, None], ids=["graphql", "rest-no-token"])
def test_each_answer_and_how_it_shows(forge: FakeForge, clock: FakeClock, token: str | None) -> None:
    urls = scenario(forge)
    run = ask(urls, forge_config(forge), clock, token=token)
    fine, old, secret, before, gone = (run.findings[u] for u in urls)

    assert fine.answer is Answer.EXISTS and not fine.archived and fine.stars == 1200
    assert fine.pushed_at == datetime(2026, 11, 1, 8, 0, 0)
    assert outcome_for(fine).status is Status.OK

    assert old.archived is True and old.pushed_at == datetime(2019, 3, 4, 5, 6, 7)
    assert outcome_for(old).status is Status.OK  # archived is a quality rule, not a dead link

    moved = outcome_for(before)
    assert moved.status is Status.REDIRECTED and moved.final_url == "https://github.com/bob/after"
    assert [(h.status, h.location) for h in moved.redirect_chain] == [(301, "https://github.com/bob/after")]

    for missing, name in ((secret, "alice/secret"), (gone, "alice/gone")):
        outcome = outcome_for(missing)
        assert missing.answer is Answer.GONE and outcome.status is Status.BROKEN
        words = "Could not resolve to a Repository" if token else "HTTP 404"
        assert words in outcome.evidence[0].detail and name in outcome.evidence[0].detail

    if token:
        assert forge.counters.requests["graphql"] == 1 and run.costs[0].points == 1
        assert fine.last_release_at == datetime(2026, 10, 1)
    else:
        assert (
            forge.counters.requests["graphql"] == 0 and forge.counters.requests["github-rest"] == 6
        )  # +1 hop


def test_more_than_100_repositories_are_batched_into_several_queries(
    forge: FakeForge, clock: FakeClock
) -> None:
    urls = [url(forge, forge.add(f"org/repo-{i}").full_name) for i in range(250)]
    run = ask(urls, forge_config(forge), clock)
    assert all(f.answer is Answer.EXISTS for f in run.findings.values()) and len(run.findings) == 250
    assert forge.counters.requests["graphql"] == 3
    assert run.costs[0].points == 3 and run.costs[0].requests == 3


def test_etag_no_change_run_costs_nothing_when_authorised(forge: FakeForge, clock: FakeClock) -> None:
    config = forge_config(forge)
    gitlab = f"http://localhost:{forge.host.split(':')[1]}"
    urls = [f"{gitlab}/group/sub/tool", f"{gitlab}/group/other"]
    forge.add("group/sub/tool", archived=True)
    forge.add("group/other", stars=7)
    first = ask(urls, config, clock)
    assert [f.answer for f in first.findings.values()] == [Answer.EXISTS, Answer.EXISTS]
    assert first.findings[urls[0]].archived and first.findings[urls[0]].etag
    points = forge.counters.points["gitlab"]

    second = ask(urls, config, clock, known=first.findings)
    assert all(f.unchanged and f.http_status == 304 for f in second.findings.values())
    assert second.findings[urls[0]].archived and second.findings[urls[1]].stars == 7
    assert second.costs[0].not_modified == 2
    assert forge.counters.points["gitlab"] == points + 2  # our fake charges GitLab 304s; GitHub's are free

    forge.repos["group/other"].stars = 8  # a change: a full answer again
    third = ask(urls, config, clock, known=second.findings)
    assert third.findings[urls[1]].stars == 8 and not third.findings[urls[1]].unchanged


def test_github_rest_conditional_requests(forge: FakeForge, clock: FakeClock) -> None:
    forge.add("alice/fine")
    urls = [url(forge, "alice/fine")]
    config = forge_config(forge)
    first = ask(urls, config, clock, token=None)
    second = ask(urls, config, clock, token=None, known=first.findings)
    assert second.findings[urls[0]].unchanged
    assert forge.counters.statuses[304] == 1


def test_primary_limit_waits_for_the_reset_within_the_budget(clock: FakeClock) -> None:
    with FakeForge(clock, rest_limit=3) as fake:
        urls = [url(fake, fake.add(f"o/r{i}").full_name) for i in range(5)]
        run = ask(urls, forge_config(fake, max_wait_s=7200), clock, token=None)
        assert all(f.answer is Answer.EXISTS for f in run.findings.values())
        assert len(clock.slept) == 1 and 3500 < clock.slept[0] <= 3600  # until the reset, not longer
        assert (
            fake.counters.statuses[200] == 5 and fake.counters.statuses[403] == 0
        )  # asked only when allowed


def test_primary_limit_beyond_the_budget_is_not_asked_never_broken(clock: FakeClock) -> None:
    with FakeForge(clock, rest_limit=3) as fake:
        urls = [url(fake, fake.add(f"o/r{i}").full_name) for i in range(5)]
        run = ask(urls, forge_config(fake, max_wait_s=60), clock, token=None)
        answers = [run.findings[u].answer for u in urls]
        assert answers == [Answer.EXISTS] * 3 + [Answer.NOT_ASKED] * 2
        reason = run.findings[urls[4]].evidence
        assert reason.startswith("rate limit: primary limit used up until ") and "budget of 60 s" in reason
        assert outcome_for(run.findings[urls[4]]) is None  # fetched as a page instead
        assert clock.slept == [] and fake.counters.requests["github-rest"] == 3
        assert run.costs[0].not_asked == 2


def test_graphql_rate_limit_in_the_body(clock: FakeClock) -> None:
    with FakeForge(clock, token=TOKEN, graphql_limit=1) as fake:
        urls = [url(fake, fake.add(f"o/r{i}").full_name) for i in range(3)]
        config = forge_config(fake, batch_size=2, max_wait_s=30)
        run = ask(urls, config, clock)
        assert [run.findings[u].answer for u in urls] == [Answer.EXISTS, Answer.EXISTS, Answer.NOT_ASKED]
        assert run.findings[urls[2]].evidence.startswith("rate limit")
        assert fake.counters.requests["graphql"] == 1  # the limit was announced: the second query never went


@pytest.mark.parametrize(("retry_after", "answered"), [(30, True), (600, False)])
def test_secondary_limit_honours_retry_after(
    forge: FakeForge, clock: FakeClock, retry_after, answered
) -> None:
    forge.add("o/r")
    forge.secondary_next, forge.secondary_retry_after = 1, retry_after
    run = ask([url(forge, "o/r")], forge_config(forge, max_wait_s=120), clock)
    finding = run.findings[url(forge, "o/r")]
    if answered:
        assert finding.answer is Answer.EXISTS and clock.slept == [30]
        assert forge.counters.statuses[403] == 1 and forge.counters.statuses[200] == 1
    else:
        assert finding.answer is Answer.NOT_ASKED and clock.slept == []
        assert "secondary limit (HTTP 403, Retry-After 600 s)" in finding.evidence


def test_malformed_answer_is_not_asked(forge: FakeForge, clock: FakeClock) -> None:
    forge.add("o/r")
    forge.malformed_next = 1
    run = ask([url(forge, "o/r")], forge_config(forge), clock)
    finding = run.findings[url(forge, "o/r")]
    assert finding.answer is Answer.NOT_ASKED and finding.evidence.startswith("malformed answer")
    assert outcome_for(finding) is None


def test_unreachable_forge_is_asked_once(clock: FakeClock) -> None:
    config = Config.from_dict(
        {"forges": {"github": {"api_url": "http://127.0.0.1:9", "hosts": ["example.test"]}}}
    )
    urls = [f"https://example.test/o/r{i}" for i in range(20)]
    run = ask(urls, config, clock, token=None)
    assert {f.answer for f in run.findings.values()} == {Answer.NOT_ASKED}
    assert run.costs[0].requests == 0 and "could not be reached" in run.findings[urls[-1]].evidence


def test_wrong_token_is_not_asked_and_never_repeated(forge: FakeForge, clock: FakeClock) -> None:
    forge.add("o/r")
    run = ask([url(forge, "o/r")], forge_config(forge), clock, token="ghp_wrongWRONGwrong")
    finding = run.findings[url(forge, "o/r")]
    assert finding.answer is Answer.NOT_ASKED and "HTTP 401" in finding.evidence
    assert "ghp_wrong" not in repr(run)


def test_the_token_is_sent_but_never_logged_or_kept(
    forge: FakeForge, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    urls = scenario(forge)
    forge.secondary_next = 1
    with caplog.at_level(logging.DEBUG):
        run = ask(urls, forge_config(forge), clock)
    assert forge.counters.authorizations and all(
        a == f"Bearer {TOKEN}" for a in forge.counters.authorizations
    )
    assert TOKEN not in caplog.text and caplog.text  # httpx did log the requests, without it
    assert TOKEN not in repr(run)
    for finding in run.findings.values():
        outcome = outcome_for(finding)
        assert outcome is None or TOKEN not in repr(outcome.to_json())


def test_repository_urls_only(forge: FakeForge, clock: FakeClock) -> None:
    forge.add("o/r")
    urls = [
        f"http://{forge.host}/o",  # a user page
        f"http://{forge.host}/o/r/issues",  # a page inside a repository
        f"http://{forge.host}/orgs/r",  # not an owner
        f"http://{forge.host}/o/r?tab=readme",
        "https://elsewhere.test/o/r",
    ]
    assert ask(urls, forge_config(forge), clock).findings == {}
    assert sum(forge.counters.requests.values()) == 0


def test_a_limit_leaves_different_repositories_unasked_each_night(clock: FakeClock) -> None:
    with FakeForge(clock, rest_limit=3) as fake:
        urls = [url(fake, fake.add(f"o/r{i}").full_name) for i in range(5)]
        config = forge_config(fake, max_wait_s=0)
        first = ask(urls, config, clock, token=None)
        assert [u for u in urls if first.findings[u].answered] == urls[:3]
        clock.advance(24 * 3600)  # the next night: a new window
        known = {
            u: replace(f, answered_at=datetime(2026, 11, 27)) for u, f in first.findings.items() if f.answered
        }
        second = ask(urls, config, clock, token=None, known=known)
        # Never asked first, then the longest unasked.
        assert [u for u in urls if second.findings[u].answered] == [urls[0], urls[3], urls[4]]


def test_gitlab_in_parallel_stops_at_its_limit_without_a_false_verdict(clock: FakeClock) -> None:
    with FakeForge(clock, token=TOKEN, gitlab_limit=5, gitlab_window_s=60) as fake:
        gitlab = f"http://localhost:{fake.host.split(':')[1]}"
        urls = [f"{gitlab}/{fake.add(f'g/p{i:02d}').full_name}" for i in range(12)]
        run = ask(urls, forge_config(fake, gitlab={"max_wait_s": 0}), clock)
        answers = [run.findings[u].answer for u in urls]
        assert answers.count(Answer.EXISTS) == 5 and answers.count(Answer.GONE) == 0
        assert all(
            run.findings[u].evidence.startswith("rate limit") for u in urls if not run.findings[u].answered
        )
        assert fake.counters.statuses[200] == 5 and sum(fake.counters.statuses.values()) <= 5 + 4  # in flight


def test_gitlab_waits_for_its_window_within_the_budget(clock: FakeClock) -> None:
    with FakeForge(clock, token=TOKEN, gitlab_limit=5, gitlab_window_s=60) as fake:
        gitlab = f"http://localhost:{fake.host.split(':')[1]}"
        urls = [f"{gitlab}/{fake.add(f'g/p{i:02d}').full_name}" for i in range(12)]
        run = ask(urls, forge_config(fake, gitlab={"max_wait_s": 300}), clock)  # two more windows of 60 s
        assert all(f.answer is Answer.EXISTS for f in run.findings.values())
        assert 120 <= sum(clock.slept) <= 300


def test_an_api_that_echoes_the_token_never_gets_it_into_evidence(forge: FakeForge, clock: FakeClock) -> None:
    forge.add("o/r")
    forge.echo_credentials = True
    run = ask([url(forge, "o/r")], forge_config(forge), clock)
    finding = run.findings[url(forge, "o/r")]
    assert finding.answer is Answer.NOT_ASKED
    assert (
        finding.evidence == "GitHub API answered HTTP 502: upstream refused the request with Bearer [token]"
    )
    assert TOKEN not in repr(run)


@pytest.mark.parametrize(
    "hosts",
    [("github.com",), ("GitHub.com", "git.example.org"), ("git.example.org:3000",)],
)
def test_the_host_screen_never_changes_which_urls_match(hosts: tuple[str, ...]) -> None:
    from pipeline.config import ForgeConfig
    from pipeline.forges.lookup import KINDS, match

    forges = [
        KINDS[kind](kind, ForgeConfig(kind, api_url="https://api.example", hosts=hosts))
        for kind in ("github", "gitlab", "gitea")
    ]
    urls = [
        "https://github.com/owner/repo",
        "https://WWW.GitHub.com/Owner/Repo.git",
        "https://github.com:0/owner/repo",
        "https://user@github.com/owner/repo",
        "https://gist.github.com/owner/repo",
        "https://example.org/github.com/owner/repo",
        "https://git.example.org:3000/group/sub/project",
        "https://git.example.org:03000/owner/repo",
        "https://git.example.org/owner/repo",
        "https://[::1]:3000/owner/repo",
        "http://github.com/owner",
        "https://example.org/page",
    ]
    brute = {}
    for url in urls:
        for forge in forges:
            if (ref := forge.matches(url)) is not None:
                brute[url] = ref
                break
    assert match(urls, forges) == brute
    assert brute or hosts == ("git.example.org:3000",)  # the cases do reach the forges
