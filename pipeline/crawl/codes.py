"""What a status code or a failed fetch means on its own, before anyone reads the page.

classify asks these first; a 2xx is left to the page's content (None).
"""

from __future__ import annotations

from pipeline.config import DomainRule
from pipeline.crawl.facts import Failure, Response
from pipeline.status import Evidence, Status

# Failure.kind -> the verdict and what it means for a maintainer. A kind not listed is "broken".
FAILURE_VERDICTS: dict[str, tuple[Status, str]] = {
    "dns": (Status.BROKEN, "the host name does not exist"),
    "dns_temporary": (Status.TIMEOUT, "the host name could not be resolved right now"),
    "connect": (Status.BROKEN, "the server refused the connection"),
    "unreachable": (Status.TIMEOUT, "the host is unreachable"),
    "connect_timeout": (Status.TIMEOUT, "no connection within the connect time limit"),
    "read_timeout": (Status.TIMEOUT, "the server stopped answering"),
    "url_timeout": (Status.TIMEOUT, "the URL took longer than its time limit"),
    "slow_body": (Status.TIMEOUT, "the page arrived too slowly"),
    "tls": (Status.TLS_ERROR, "the TLS handshake failed"),
    "protocol": (Status.SERVER_ERROR, "the server broke the HTTP protocol"),
    # A public link that leads to a private, loopback or link-local address is for a maintainer to see:
    # a mistake in the catalogue, a DNS record gone wrong, or a redirect towards an internal service.
    "unsafe_address": (Status.BLOCKED, "the name leads to a non-public address; not connected"),
    "unsupported_scheme": (Status.SKIPPED, "only http and https links are checked"),
    "invalid_url": (Status.BROKEN, "the URL is not valid"),
    "redirect_loop": (Status.BROKEN, "the redirects go round in a loop"),
    "too_many_redirects": (Status.BROKEN, "too many redirects"),
    "domain_skip": (Status.SKIPPED, "the domain rule says not to fetch it"),
}


def failure_verdict(failure: Failure) -> tuple[Status, Evidence]:
    status, meaning = FAILURE_VERDICTS.get(failure.kind, (Status.BROKEN, failure.kind))
    detail = f"{meaning}: {failure.detail}" if failure.detail else meaning
    return status, Evidence(failure.kind.replace("_", "-"), detail)


def status_code_verdict(response: Response, rule: DomainRule | None) -> tuple[Status, Evidence] | None:
    """The verdict the status code alone gives, or None for 2xx (content decides)."""
    code = response.status
    server = response.header("server")
    via = f" from {server}" if server else ""
    overrides = rule.status_overrides if rule else {}
    if str(code) in overrides:
        try:
            status = Status(overrides[str(code)])
        except ValueError:
            status = None
        if status is not None:
            return status, Evidence("domain-override", f"HTTP {code}: the domain rule maps it to {status}")
    if 200 <= code < 300:
        return None
    if code in (404, 410):
        return Status.BROKEN, Evidence(f"http-{code}", f"HTTP {code}{via}")
    if code in (400, 414):
        return Status.BROKEN, Evidence(f"http-{code}", f"HTTP {code}: the server rejects this URL{via}")
    if code == 429:
        retry = response.header("retry-after")
        detail = f"HTTP 429 after retries{via}" + (f" (Retry-After: {retry})" if retry else "")
        return Status.BLOCKED, Evidence("http-429", detail)
    if code in (401, 403, 407, 999):
        return Status.BLOCKED, Evidence(
            f"http-{code}", f"HTTP {code}: the site refuses automated checks{via}"
        )
    if 400 <= code < 500:
        # 405/406/418/451...: the site answered, but not with a clear "gone". A human must look.
        return Status.BLOCKED, Evidence(f"http-{code}", f"HTTP {code}{via}: not a definitive 'gone'")
    if code == 503:
        # Maintenance or overload: temporarily unavailable. A failure for this run, which counts toward
        # check.broken_after like a timeout, never a dead link on its own.
        retry = response.header("retry-after")
        detail = f"HTTP 503: temporarily unavailable{via}" + (f" (Retry-After: {retry})" if retry else "")
        return Status.SERVER_ERROR, Evidence("http-503", detail)
    if 500 <= code < 600:
        return Status.SERVER_ERROR, Evidence(f"http-{code}", f"HTTP {code} after retries{via}")
    if 300 <= code < 400:
        return Status.SERVER_ERROR, Evidence("redirect-without-location", f"HTTP {code} without a Location")
    return Status.SERVER_ERROR, Evidence("http-unexpected", f"unexpected HTTP status {code}{via}")
