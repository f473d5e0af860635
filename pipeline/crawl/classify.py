"""Response facts -> verdict with evidence. Pure: tests drive it without a network.

The rule of thumb everywhere: a maintainer must be able to trust every failure. When the facts allow
"the site refuses automated checks" as well as "the link is dead", the verdict is `blocked`; content
rules (soft 404, paywall, login wall, anchors) fire only on clear signals and stay silent on pages a
browser would render with JavaScript.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from difflib import SequenceMatcher
from urllib.parse import unquote, urljoin, urlsplit

from pipeline.config import DomainRule
from pipeline.crawl import html
from pipeline.crawl.facts import Failure, Fetched, Probe, Response, body_fingerprint, page_facts
from pipeline.crawl.prefilter import prefiltered
from pipeline.crawl.redirects import is_login_url, update_target
from pipeline.status import Evidence, Outcome, Status

# ---------------------------------------------------------------------------------------------------
# Phrase rules. Matched on lower-cased, whitespace-collapsed text.

# Loose signs ("404", "... not found") count only in a short title segment: a notice, not an article
# titled "Handling HTTP 404 error pages" or "When the global minimum is not found".
_NOT_FOUND_LOOSE = re.compile(
    r"^\s*(?:error\s*)?404\b"
    r"|\b404\b.{0,40}\b(?:not\s+found|error|page|missing|oops|does\s*n[o']t\s+exist|gone)\b"
    r"|\b(?:error|http|status|fehler|erreur|errore|ошибка)\s*:?\s*404\b|エラー\s*404"
    r"|^\s*not\s+found\b|\bnot\s+found\s*$|^\s*nothing\s+found\s*$"
)
_NOTICE_WORDS = 6  # a title segment longer than this is a sentence about something, not a notice
_TITLE_SEPARATORS = re.compile(r"\s+[|\-–—·:»]+\s+|\s*[|–—·»]\s*|\s*::\s*")
_NOT_FOUND_TITLE = re.compile(
    r"\b(?:page|file|document|resource|article|content|post|site|url|item|path|requested\s+\w+)\s+"
    r"(?:was\s+|could\s+)?not\s+(?:be\s+)?found\b"
    r"|\b(?:page|file|document|article)\s+(?:does\s+not|doesn[’']t|no\s+longer)\s+exists?\b"
    r"|\b(?:this|that|the)\s+page\s+(?:isn[’']t|is\s+not)\s+available\b"
    r"|\bcould\s*n[o’']t\s+find\s+(?:that|this|the)\s+page\b"
    r"|\b(?:page|file|document|resource|article|content|post)\s+(?:you\s+requested\s+)?"
    r"(?:can[’']?t|cannot|could\s*n[o’']t|could\s+not)\s+be\s+found\b"
    r"|\bpage\s+you(?:\s+are|\s+were|[’']re)\s+looking\s+for\s+(?:does\s*n[o’']t|does\s+not|no\s+longer"
    r"|is\s+not|is\s+no\s+longer|isn[’']t|can[’']?t|cannot|could\s*n[o’']t|was\s+not|wasn[’']t|may\s+have)\b"
    r"|\btrouble\s+finding\s+(?:that|this|the)\s+(?:site|page)\b"
    # Other languages: the notices big CMSs and hosts ship (de, fr, es, pt, it, nl, pl, sv, tr, ru).
    r"|\bseite\s+(?:wurde\s+|konnte\s+)?nicht\s+gefunden\b|\bseite\s+existiert\s+nicht\b"
    r"|\bpage\s+(?:introuvable|non\s+trouv[ée]e)\b"
    r"|\bp[aá]gina\s+n(?:o|[aã]o)\s+(?:encontrada|existe)\b|\bno\s+se\s+(?:encontr[oó]|encuentra)\s+la\s+p[aá]gina\b"
    r"|\bpagina\s+non\s+(?:trovata|esistente)\b|\bpagina\s+niet\s+gevonden\b"
    r"|\bnie\s+znaleziono\s+strony\b|\bstrona\s+nie\s+(?:zosta[lł]a\s+)?znaleziona\b"
    r"|\bsidan\s+(?:kunde\s+inte\s+hittas|hittades\s+inte)\b|\bsayfa\s+bulunamad[ıi]\b"
    r"|\bстраница\s+не\s+(?:найдена|существует)\b"
    # CJK has no word boundaries between characters: these notices are matched as they are written.
    r"|ページ(?:が|は)(?:見つかりません|見つかりませんでした|存在しません)"
    r"|(?:页面|頁面|网页|網頁)(?:不存在|未找到|找不到)|找不到(?:该|此|您要的|您要找的)?(?:页面|頁面|网页|網頁)"
    r"|페이지를\s*찾을\s*수\s*없습니다"
)
_PARKED_PHRASES = re.compile(
    r"\bthis\s+domain\s+(?:name\s+)?(?:is|may\s+be|might\s+be)\s+for\s+sale\b"
    r"|\bbuy\s+this\s+domain\b|\bdomain\s+(?:name\s+)?is\s+for\s+sale\b|\bdomain\s+for\s+sale\b"
    r"|\bmake\s+an?\s+offer\s+(?:on|for)\s+this\s+domain\b|\binquire\s+about\s+this\s+domain\b"
    r"|\bthis\s+domain\s+(?:name\s+)?has\s+expired\b|\bdomain\s+has\s+expired\b"
    r"|\bparked\s+free,?\s+courtesy\b|\bthis\s+(?:domain|web\s*page|website)\s+is\s+parked\b"
    r"|\bdomain\s+parking\b|\bsedo\s*parking\b|\bparkingcrew\b|\bhugedomains\b"
    r"|\bfuture\s+home\s+of\s+something\s+quite\s+cool\b"
    r"|\bthe\s+owner\s+of\s+this\s+domain\s+has\s+not\s+(?:yet\s+)?(?:uploaded|put)\b"
    r"|\bthis\s+domain\s+is\s+registered,?\s+but\s+may\s+still\s+be\s+available\b"
    # The same notices from registrars and parking networks in other languages.
    r"|\bdiese\s+domain\s+(?:steht\s+zum\s+verkauf|kaufen|ist\s+zu\s+verkaufen)\b|\bdomain\s+zu\s+verkaufen\b"
    r"|\bce\s+(?:nom\s+de\s+)?domaine\s+est\s+[àa]\s+vendre\b|\bacheter\s+ce\s+(?:nom\s+de\s+)?domaine\b"
    r"|\beste\s+dominio\s+(?:est[aá]\s+a\s+la\s+venta|se\s+vende|est[aá]\s+[àa]\s+venda)\b"
    r"|\bdit\s+domein\s+is\s+te\s+koop\b|\bquesto\s+dominio\s+[èe]\s+in\s+vendita\b"
    r"|このドメインは(?:販売中|売り出し中|お名前\.comで取得|お名前\.com\s*から取得)|(?:此|该|該)域名(?:正在)?(?:出售|转让|出售中)"
)
_PARKED_MARKUP = (
    "adsense/domains/caf.js",
    "parking.bodiscdn.com",
    "img.sedoparking.com",
    "sedoparking.com",
    "parkingcrew.net",
    "window.park",
    "parklogic",
)
_PARKED_HOSTS = (
    "sedoparking.com",
    "sedo.com",
    "parkingcrew.net",
    "bodis.com",
    "hugedomains.com",
    "dan.com",
    "afternic.com",
    "undeveloped.com",
    "domainmarket.com",
    "buydomains.com",
    "parklogic.com",
    "above.com",
    "domainnamesales.com",
    "perfectdomain.com",
)
_CHALLENGE_TITLE = re.compile(
    r"^just a moment\b|attention required!? \| cloudflare|^access denied\b|\bddos-guard\b"
    r"|checking (?:your|if the site connection is secure|the site connection)"
    r"|\bare you (?:a )?(?:robot|human)\b"
    r"|^robot check$|verify (?:that )?you(?:'re| are) (?:a )?human|human verification|\bcaptcha\b"
    r"|pardon our interruption|^request rejected\b|^one more step\b|bot (?:verification|detection)"
    r"|^security check\b|please wait while we verify|^you have been blocked\b|^403 forbidden$"
)
_CHALLENGE_MARKUP = (
    "/cdn-cgi/challenge-platform/",
    "_cf_chl_opt",
    "challenges.cloudflare.com",
    "cf-turnstile",
    "g-recaptcha",
    "h-captcha",
    "hcaptcha.com/1/api.js",
    "captcha-delivery.com",
    "px-captcha",
    "_incapsula_resource",
    "incapsula incident id",
    "awswaf",
    "/.well-known/sgcaptcha",
    "perimeterx",
)
_PAYWALL_PHRASES = re.compile(
    r"\bsubscribe\s+(?:now\s+)?to\s+(?:continue|keep)\s+reading\b"
    r"|\bto\s+(?:continue|keep)\s+reading,?\s+(?:please\s+)?(?:subscribe|become\s+a\s+(?:paid\s+)?member)\b"
    r"|\b(?:this|the)\s+(?:article|content|story|post|course|lesson|chapter|video)\s+is\s+(?:only\s+)?"
    r"(?:available|reserved|exclusive)\s+(?:only\s+)?(?:to|for)\s+(?:paid\s+|paying\s+|premium\s+)?"
    r"(?:subscribers|members)\b"
    r"|\b(?:for|to)\s+(?:paid\s+|paying\s+|premium\s+)?subscribers\s+only\b|\bsubscribers?[- ]only\b"
    r"|\bmember-only\s+story\b|\bmembers[- ]only\s+(?:content|article|story|post|video)\b"
    r"|\b(?:purchase|buy|rent)\s+(?:this|the)\s+(?:article|chapter|e-?book|pdf|issue)\b"
    r"|\balready\s+a\s+subscriber\b"
    r"|\bunlock\s+(?:this|the\s+full|full)\s+(?:article|story|course|lesson|content|access)\b"
    r"|\byou(?:'ve|\s+have)\s+(?:reached|read)\s+your\s+(?:free\s+)?(?:article|story)\s+limit\b"
    r"|\bstart\s+(?:your\s+)?(?:free\s+)?trial\s+to\s+(?:continue|read|watch|access|unlock)\b"
)
_PRICE = re.compile(r"(?:[$€£¥₹]\s?\d[\d,]*(?:\.\d{2})?|\b\d[\d,]*(?:\.\d{2})?\s?(?:usd|eur|gbp)\b)")
_BUY_ACTION = re.compile(
    r"\b(?:buy(?:\s+now)?|purchase|add\s+to\s+(?:cart|basket)|enrol(?:l)?(?:\s+now)?|checkout|subscribe"
    r"|order\s+now|get\s+access)\b"
)
_DONATION = re.compile(r"\b(?:coffee|donat\w*|tip\s+jar|sponsor\w*|patreon|ko-fi|support\s+(?:us|me|the))\b")
# A printed copy for sale beside the free text is no paywall on the text.
_PRINT_COPY = re.compile(
    r"\b(?:print(?:ed)?\s+(?:edition|copy|copies|version|book)|paperback|hardcover|hardback|physical\s+copy)\b"
)
_FREE_HINT = re.compile(
    r"\bfree\b|\bopen\s+access\b|\bread\s+(?:it\s+)?online\b|\bfreely\s+available\b|\baudit\b"
    r"|\bdownload\s+(?:the\s+)?(?:pdf|book|notes|slides)\b|\bcreative\s+commons\b"
)
_LOGIN_WORDS = re.compile(r"\b(?:log\s?in|sign\s?in|signin|login|log\s+on|anmelden|connexion|authenticate)\b")
# A keyword pre-check before each phrase pattern (crawl/prefilter.py): the same answers at a fraction of the
# cost, since most pages hold none of the words the phrases are built on.
_NOT_FOUND_TITLE, _PARKED_PHRASES, _CHALLENGE_TITLE, _PAYWALL_PHRASES = map(
    prefiltered, (_NOT_FOUND_TITLE, _PARKED_PHRASES, _CHALLENGE_TITLE, _PAYWALL_PHRASES)
)
_BUY_ACTION, _DONATION, _PRINT_COPY, _FREE_HINT, _LOGIN_WORDS = map(
    prefiltered, (_BUY_ACTION, _DONATION, _PRINT_COPY, _FREE_HINT, _LOGIN_WORDS)
)
_JS_ANCHORS = ("anchor-js", "anchor.min.js", "anchors.add(", "tocbot")
_LINE_FRAGMENT = re.compile(r"^L\d+(?:C\d+)?(?:-L?\d+(?:C\d+)?)?$")
_APP_TEXT_MIN = 200  # visible characters below which a scripted page is treated as rendered by JS
_MAIN_CONTENT_SHORT = 1500  # visible characters: a password form on a page this short is the page
_CHALLENGE_TEXT_MAX = 2500  # widget markers count on short pages only (a contact form has a captcha)


# ---------------------------------------------------------------------------------------------------
# Helpers.


def _path(url: str) -> str:
    return urlsplit(url).path or "/"


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def _on_host(host: str, domains: tuple[str, ...]) -> str | None:
    return next((d for d in domains if host == d or host.endswith("." + d)), None)


_INDEX_PATH = re.compile(r"^/(?:(?:index|default|home)(?:\.\w+)?)?$", re.I)
_LOCALE_ROOT = re.compile(r"^/[a-z]{2}(?:[-_][a-z]{2})?/?$", re.I)


def not_found_notice(value: str) -> str | None:
    """The "not found" notice a title or heading gives, if it gives one."""
    lowered = value.lower()
    if m := _NOT_FOUND_TITLE.search(lowered):
        return m.group(0)
    for segment in _TITLE_SEPARATORS.split(lowered):
        if len(segment.split()) <= _NOTICE_WORDS and (m := _NOT_FOUND_LOOSE.search(segment.strip())):
            return m.group(0)
    return None


def _is_home(path: str) -> bool:
    return bool(_INDEX_PATH.match(path) or _LOCALE_ROOT.match(path))


def normal_text(text: str, *, drop: tuple[str, ...] = ()) -> str:
    """Text reduced for "is this the same page": lower case, no digits, the request path removed."""
    text = text.lower()
    for token in drop:
        if len(token) >= 3:
            text = text.replace(token.lower(), " ")
    return re.sub(r"\s+", " ", re.sub(r"\d+", "0", text)).strip()


def same_page(a: str, b: str) -> bool:
    if a == b:
        return True
    a, b = a[:4000], b[:4000]
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    return matcher.quick_ratio() >= 0.97 and matcher.ratio() >= 0.97


def path_tokens(url: str) -> tuple[str, ...]:
    """The pieces of a URL path a page may echo back ("No page named <slug>")."""
    path = unquote(_path(url))
    segments = [s for s in path.split("/") if s]
    return (path, *segments, *(s.replace("-", " ").replace("_", " ") for s in segments))


# ---------------------------------------------------------------------------------------------------
# The verdict.


@dataclass(frozen=True)
class Context:
    """What classify needs besides the fetch: the URL's fragment, the domain's rule, a probe."""

    fragment: str = ""
    rule: DomainRule | None = None
    probe: Probe | None = None


def _outcome(fetched: Fetched, status: Status, *evidence: Evidence, **extra: object) -> Outcome:
    response = fetched.response
    final = fetched.final_url
    values: dict[str, object] = {
        "url": fetched.url,
        "status": status,
        "http_status": response.status if response else None,
        "final_url": final if final != fetched.url else None,
        "redirect_chain": fetched.hops,
        "elapsed_ms": fetched.elapsed_ms,
        "evidence": evidence,
        "fingerprint": body_fingerprint(response.body) if response else None,
    }
    values.update(extra)
    return Outcome(**values)  # type: ignore[arg-type]


_FAILURE_VERDICTS: dict[str, tuple[Status, str]] = {
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
    "unsafe_address": (Status.SKIPPED, "refused to connect to a non-public address"),
    "unsupported_scheme": (Status.SKIPPED, "only http and https links are checked"),
    "invalid_url": (Status.BROKEN, "the URL is not valid"),
    "redirect_loop": (Status.BROKEN, "the redirects go round in a loop"),
    "too_many_redirects": (Status.BROKEN, "too many redirects"),
    "domain_skip": (Status.SKIPPED, "the domain rule says not to fetch it"),
}


def _from_failure(fetched: Fetched, failure: Failure) -> Outcome:
    status, meaning = _FAILURE_VERDICTS.get(failure.kind, (Status.BROKEN, failure.kind))
    rule = failure.kind.replace("_", "-")
    return _outcome(
        fetched,
        status,
        Evidence(rule, f"{meaning}: {failure.detail}" if failure.detail else meaning),
        error_class=failure.kind,
        error_detail=failure.detail,
        network_failure=failure.network,
    )


def _challenge(response: Response, facts: html.PageFacts | None, markup: str) -> Evidence | None:
    """Signs that a bot wall answered instead of the site."""
    mitigated = response.header("cf-mitigated").lower()
    if mitigated:
        return Evidence("bot-challenge", f"header cf-mitigated: {mitigated}")
    if response.header("x-amzn-waf-action"):
        return Evidence("bot-challenge", f"header x-amzn-waf-action: {response.header('x-amzn-waf-action')}")
    if facts is None:
        return None
    title = facts.title.lower()
    if title and _CHALLENGE_TITLE.search(title):
        return Evidence("bot-challenge", f"challenge page titled {facts.title!r}")
    if facts.text_length <= _CHALLENGE_TEXT_MAX or response.status >= 400:
        marker = next((m for m in _CHALLENGE_MARKUP if m in markup), None)
        if marker:
            return Evidence("bot-challenge", f"challenge widget in the page ({marker})")
    return None


def _http_status_verdict(response: Response, rule: DomainRule | None) -> tuple[Status, Evidence] | None:
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
    if 500 <= code < 600:
        return Status.SERVER_ERROR, Evidence(f"http-{code}", f"HTTP {code} after retries{via}")
    if 300 <= code < 400:
        return Status.SERVER_ERROR, Evidence("redirect-without-location", f"HTTP {code} without a Location")
    return Status.SERVER_ERROR, Evidence("http-unexpected", f"unexpected HTTP status {code}{via}")


def _anchor(
    fragment: str, facts: html.PageFacts, markup: str, truncated: bool, more: frozenset[str] | None = None
) -> Evidence | None:
    """Evidence that the #fragment is missing, or None when present or not checkable without JS."""
    name = unquote(fragment)
    if not name or name.startswith(("!", "/", ":~:")) or "=" in name or name.lower() in {"top", "_top"}:
        return None  # empty, hash-bang routes, media/text fragments, the implicit top
    if _LINE_FRAGMENT.match(name):
        return None  # "#L10-L20": code viewers highlight lines with scripts, no element carries the id
    anchors = facts.anchors | more if more is not None else facts.anchors  # more: the rest of a long page
    known = {a.lower() for a in anchors}
    wanted = name.lower()
    if wanted in known or f"user-content-{wanted}" in known or fragment.lower() in known:
        return None
    if (truncated and more is None) or facts.app_shell or not anchors:
        return None  # we saw only part of the page, or its anchors are made by scripts
    if facts.text_length < _APP_TEXT_MIN and facts.scripts:
        return None
    if any(marker in markup for marker in _JS_ANCHORS):
        return None
    return Evidence("anchor-missing", f"no element with id or name {name!r} in the page")


def _content(fetched: Fetched, response: Response, context: Context) -> tuple[Status, Evidence] | None:
    """Verdicts a 2xx page earns from what it says."""
    body = response.body
    if body is None:
        return None  # HEAD was enough (not a page we read)
    if not body.strip():
        return Status.SOFT_404, Evidence("empty-body", f"HTTP {response.status} with an empty body")
    if not response.is_html:
        return None
    markup, facts = page_facts(body, response.header("content-type"))
    lowered = markup.lower()
    text = facts.text.lower()
    title = facts.title.lower()

    if evidence := _challenge(response, facts, lowered):
        return Status.BLOCKED, evidence
    if m := _PARKED_PHRASES.search(text) or _PARKED_PHRASES.search(title):
        return Status.SOFT_404, Evidence("parked-domain", f"parked-domain page: {m.group(0)!r}")
    if facts.script_redirect and facts.text_length < _APP_TEXT_MIN:
        # We never follow script redirects (no JavaScript here), but where one points can be telling.
        target = urljoin(response.url, facts.script_redirect)
        if _on_host(_host(target), _PARKED_HOSTS) or _path(target).lower() == "/lander":
            return Status.SOFT_404, Evidence("parked-domain", f"a script sends the page to {target}")
    if facts.text_length < _CHALLENGE_TEXT_MAX and (
        marker := next((m for m in _PARKED_MARKUP if m in lowered), None)
    ):
        return Status.SOFT_404, Evidence("parked-domain", f"parked-domain page ({marker})")
    for where, value in (("title", facts.title), *(("h1", h) for h in facts.headings[:2])):
        if value and not_found_notice(value):
            return Status.SOFT_404, Evidence(f"{where}-not-found", f"{where} says {value!r}")
    if facts.not_free:
        return Status.PAYWALLED, Evidence("schema-org-not-free", facts.not_free)
    rule = context.rule
    for phrase in rule.paywall_phrases if rule else ():
        if phrase.lower() in text:
            return Status.PAYWALLED, Evidence("domain-paywall-phrase", f"the page says {phrase!r}")
    if m := _PAYWALL_PHRASES.search(text):
        return Status.PAYWALLED, Evidence("paywall-wording", f"the page says {m.group(0)!r}")
    offer = text if facts.content_text is None else facts.content_text.lower()
    if not _FREE_HINT.search(text):
        for price in _PRICE.finditer(offer):
            window = offer[max(0, price.start() - 80) : price.end() + 80]
            if _DONATION.search(window) or _PRINT_COPY.search(window):
                continue  # "buy me a coffee ($3)", "print edition $39": a free page all the same
            if action := _BUY_ACTION.search(window):
                return Status.PAYWALLED, Evidence(
                    "price-and-buy", f"a price ({price.group(0)}) next to {action.group(0)!r}, nothing free"
                )
    if facts.password_form and (
        facts.text_length < _MAIN_CONTENT_SHORT
        or _LOGIN_WORDS.search(title)
        or any(_LOGIN_WORDS.search(h.lower()) for h in facts.headings[:1])
    ):
        return Status.LOGIN_REQUIRED, Evidence("password-form", "a password form is the page's main content")
    if (
        facts.text_length == 0
        and not facts.scripts
        and not re.search(r"<(?:img|video|iframe|embed|object|canvas)\b", lowered)
    ):
        return Status.SOFT_404, Evidence("empty-page", "the page has no text and nothing else to show")
    if context.probe is not None and (evidence := _probe_match(fetched, response, facts, context.probe)):
        return Status.SOFT_404, evidence
    if context.fragment and (
        evidence := _anchor(context.fragment, facts, lowered, response.truncated, response.more_anchors)
    ):
        return Status.ANCHOR_MISSING, evidence
    return None


def probe_can_matter(probe: Probe) -> bool:
    """Whether classifying with this probe can differ from classifying without it: not when the host
    answers missing pages honestly (or the probe failed), the usual case."""
    return probe.status is not None and 200 <= probe.status < 300


def _probe_match(
    fetched: Fetched, response: Response, facts: html.PageFacts, probe: Probe
) -> Evidence | None:
    """The page is what the host serves for a path that cannot exist."""
    if not probe_can_matter(probe):
        return None  # nothing to compare
    if fetched.hops and probe.redirected and probe.final_url == response.url and response.url != fetched.url:
        return Evidence(
            "same-as-missing-page", f"redirects where a made-up path does too ({probe.final_url})"
        )
    if probe.text is None or facts.app_shell or facts.text_length < _APP_TEXT_MIN:
        return None  # a JS app serves one shell for every path: identical shells prove nothing
    # Each page may echo its own path ("no page named <slug>"): drop both paths from both texts.
    drop = path_tokens(fetched.url) + path_tokens(response.url) + probe.tokens
    # Same title and (nearly) the same text: a real page shares boilerplate with the home page, never both.
    if normal_text(facts.title, drop=drop) == normal_text(probe.title or "", drop=drop) and same_page(
        normal_text(facts.text, drop=drop), normal_text(probe.text, drop=drop)
    ):
        return Evidence("same-as-missing-page", f"identical to what the host serves for {probe.url}")
    return None


def lands_on_other_home(fetched: Fetched) -> bool:
    """A deep link redirected to the home page of another host (a domain sold, merged or shut down?)."""
    response = fetched.response
    return (
        response is not None
        and bool(fetched.hops)
        and not _is_home(_path(fetched.url))
        and _is_home(_path(response.url))
        and _host(fetched.url).removeprefix("www.") != _host(response.url).removeprefix("www.")
    )


def probe_origin(fetched: Fetched) -> str:
    """The URL whose host to probe: the original host when the redirects left it for a home page."""
    return fetched.url if lands_on_other_home(fetched) else fetched.final_url


def wants_probe(fetched: Fetched, outcome: Outcome) -> bool:
    """A random-path probe can only turn an ok HTML page on a deep path into a soft 404."""
    response = fetched.response
    if outcome.status in (Status.OK, Status.REDIRECTED) and lands_on_other_home(fetched):
        # Only if the old host sends a made-up path to the same home page is the link dead; a
        # shortener or a deliberate link to another site's front page is not.
        return response is not None and response.body is not None and response.is_html
    return (
        outcome.status in (Status.OK, Status.REDIRECTED)
        and response is not None
        and response.body is not None
        and response.is_html
        and not _is_home(_path(response.url))
    )


def probe_from(fetched: Fetched) -> Probe:
    """Reduce a fetch of a made-up path to what comparisons need."""
    response = fetched.response
    if response is None:
        return Probe(url=fetched.url, status=None)
    text = title = None
    if 200 <= response.status < 300 and response.body is not None and response.is_html:
        _, facts = page_facts(response.body, response.header("content-type"))
        text, title = facts.text, facts.title
    return Probe(
        url=fetched.url,
        status=response.status,
        final_url=response.url,
        redirected=bool(fetched.hops),
        text=text,
        title=title,
        tokens=path_tokens(fetched.url) + path_tokens(response.url),
    )


def classify(fetched: Fetched, context: Context = Context()) -> Outcome:
    """The verdict for one fetched URL, with the evidence that decided it."""
    # A redirect to a parking network is the verdict, whether or not its page answered us.
    for url in (h.location or "" for h in fetched.hops):
        if parked := _on_host(_host(url), _PARKED_HOSTS):
            return _outcome(fetched, Status.SOFT_404, Evidence("parked-domain", f"redirects to {parked}"))
    if fetched.failure is not None:
        return _from_failure(fetched, fetched.failure)
    response = fetched.response
    assert response is not None, "a fetch has a response or a failure"
    final_host = _host(response.url)

    # Where the redirects went says a lot before the page does.
    if fetched.hops:
        if _path(response.url).lower() == "/lander":
            return _outcome(
                fetched, Status.SOFT_404, Evidence("parked-domain", f"redirects to {response.url}")
            )
        if "/.well-known/sgcaptcha" in response.url:
            return _outcome(
                fetched, Status.BLOCKED, Evidence("bot-challenge", f"redirects to {response.url}")
            )
        if (pattern := is_login_url(response.url, context.rule)) and not is_login_url(
            fetched.url, context.rule
        ):
            return _outcome(
                fetched,
                Status.LOGIN_REQUIRED,
                Evidence(
                    "login-redirect", f"redirects to a sign-in page {response.url} (matches {pattern!r})"
                ),
            )

    by_status = _http_status_verdict(response, context.rule)
    if by_status is not None:
        status, evidence = by_status
        # A 403/429/503 page that is a bot wall is "blocked" whatever the code says.
        if status in (Status.SERVER_ERROR, Status.BLOCKED) and response.body and response.is_html:
            markup, facts = page_facts(response.body, response.header("content-type"))
            if challenge := _challenge(response, facts, markup.lower()):
                return _outcome(fetched, Status.BLOCKED, challenge, evidence)
        elif status in (Status.SERVER_ERROR, Status.BLOCKED) and (
            challenge := _challenge(response, None, "")
        ):
            return _outcome(fetched, Status.BLOCKED, challenge, evidence)
        return _outcome(fetched, status, evidence)
    if challenge := _challenge(response, None, ""):
        return _outcome(fetched, Status.BLOCKED, challenge)

    if (
        fetched.hops
        and not _is_home(_path(fetched.url))
        and _is_home(_path(response.url))
        and _host(fetched.url).removeprefix("www.") == final_host.removeprefix("www.")
    ):
        return _outcome(
            fetched,
            Status.SOFT_404,
            Evidence("redirect-to-homepage", f"a deep link that redirects to the home page {response.url}"),
        )

    if found := _content(fetched, response, context):
        status, evidence = found
        return _outcome(fetched, status, evidence)

    target = update_target(fetched.hops)
    if target is not None:
        if context.fragment and "#" not in target:
            target = f"{target}#{context.fragment}"
        first = fetched.hops[0]
        return _outcome(
            fetched,
            Status.REDIRECTED,
            Evidence("permanent-redirect", f"HTTP {first.status} to {target}: update the catalogue URL"),
            final_url=target,
        )
    return _outcome(fetched, Status.OK)


# Costs the catalogue declares, and the walls that are then expected rather than a problem.
_EXPECTED_WALLS: dict[str, frozenset[Status]] = {
    "paid": frozenset({Status.PAYWALLED, Status.LOGIN_REQUIRED}),
    "freemium": frozenset({Status.PAYWALLED, Status.LOGIN_REQUIRED}),
    "free-with-registration": frozenset({Status.LOGIN_REQUIRED}),
}


def for_resource(outcome: Outcome, cost: str | None) -> Outcome:
    """A paywall on a resource the catalogue lists as paid is the expected state, not a problem."""
    if outcome.status in _EXPECTED_WALLS.get(cost or "", frozenset()):
        note = Evidence("expected-wall", f"{outcome.status} as expected: the catalogue lists it as {cost}")
        return replace(outcome, status=Status.OK, evidence=(note, *outcome.evidence))
    return outcome
