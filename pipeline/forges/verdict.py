"""How a forge's answer shows as a link verdict: the one place that maps findings to outcomes.

| finding                         | verdict                                                      |
|---------------------------------|--------------------------------------------------------------|
| exists under the listed name    | ok (archived and staleness are quality rules, not verdicts)  |
| exists under another name       | redirected, final_url = the canonical URL (a 301 hop), so     |
|                                 | `roadmap fix redirects` applies it like any permanent move   |
| gone (deleted, or made private) | broken, with the API's answer as evidence                    |
| not asked                       | no verdict: the link is fetched like any page                |
"""

from __future__ import annotations

from pipeline.forges.model import Answer, Finding
from pipeline.status import Evidence, Hop, Outcome, Status


def outcome_for(finding: Finding) -> Outcome | None:
    url = finding.ref.url
    if finding.answer is Answer.NOT_ASKED:
        return None
    if finding.answer is Answer.GONE:
        return Outcome(
            url=url,
            status=Status.BROKEN,
            http_status=finding.http_status,
            evidence=(Evidence("forge-gone", finding.evidence),),
        )
    if finding.moved:
        assert finding.canonical_url is not None
        return Outcome(
            url=url,
            status=Status.REDIRECTED,
            http_status=301,
            final_url=finding.canonical_url,
            redirect_chain=(Hop(url, 301, finding.canonical_url),),
            evidence=(
                Evidence(
                    "forge-moved", f"{finding.evidence}: {finding.ref.full_name} is now {finding.full_name}"
                ),
            ),
        )
    return Outcome(
        url=url,
        status=Status.OK,
        http_status=200,
        evidence=(Evidence("forge-api", finding.evidence + (" (unchanged)" if finding.unchanged else "")),),
    )
