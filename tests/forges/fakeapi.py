"""A fake forge on loopback for the forge tests and the benchmark: GitHub (GraphQL and REST), GitLab and
Gitea APIs over one set of repositories, plus the repositories' web pages.

It keeps GitHub's documented accounting: REST costs one request per answer, except a 304 to an
authorised conditional request, which is free; GraphQL costs one point per query of up to 100
repositories; GraphQL needs a token. Limits are per hour from the shared (controllable) clock. Tests
script failures: the next N answers a secondary limit (403 + Retry-After), a malformed body, a 401.

Runs a ThreadingHTTPServer in a thread; every request is bounded (small bodies, no streaming).
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

HOUR = 3600.0


class FakeClock:
    """Epoch seconds that only move when told to: sleeping advances them at once."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start
        self.slept: list[float] = []
        self._lock = threading.Lock()

    def time(self) -> float:
        with self._lock:
            return self.now

    async def sleep(self, seconds: float) -> None:
        with self._lock:
            self.slept.append(seconds)
            self.now += seconds

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds


@dataclass
class Repo:
    full_name: str
    archived: bool = False
    pushed_at: str = "2026-10-01T12:00:00Z"
    release_at: str | None = "2026-09-01T12:00:00Z"
    stars: int = 42
    private: bool = False
    id: int = 0


@dataclass
class Window:
    limit: int
    seconds: float = HOUR
    used: int = 0
    reset: float = 0.0

    def roll(self, now: float) -> None:
        if now >= self.reset:
            self.used, self.reset = 0, now + self.seconds

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.used)


@dataclass
class Counters:
    requests: Counter[str] = field(default_factory=Counter)  # by API ("github-rest", "graphql", ...)
    points: Counter[str] = field(default_factory=Counter)  # rate-limit points charged, by API
    statuses: Counter[int] = field(default_factory=Counter)
    pages: list[str] = field(default_factory=list)  # paths of web page fetches (not API)
    authorizations: list[str] = field(default_factory=list)  # Authorization headers received


class FakeForge:
    def __init__(
        self,
        clock: FakeClock,
        *,
        token: str | None = None,
        rest_limit: int = 60,
        rest_limit_authorised: int = 5000,
        graphql_limit: int = 5000,
        gitlab_limit: int = 2000,
        gitlab_window_s: float = HOUR,
        latency_s: float = 0.0,
    ) -> None:
        self.clock = clock
        self.token = token
        self.repos: dict[str, Repo] = {}  # lower full name -> repo
        self.renamed: dict[str, str] = {}  # lower old full name -> lower new full name
        self.windows = {
            "rest": Window(rest_limit),
            "rest-auth": Window(rest_limit_authorised),
            "graphql": Window(graphql_limit),
            "gitlab": Window(gitlab_limit, gitlab_window_s),
        }
        self.latency_s = latency_s  # every API answer takes this long (real time: benchmarks only)
        self.secondary_next = 0  # the next N API answers: 403 + Retry-After
        self.secondary_retry_after = 30
        self.malformed_next = 0  # the next N API answers: 200 with a body that is not the API's
        self.echo_credentials = False  # answer 502 with the Authorization header in the message
        self.counters = Counters()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    # ----------------------------------------------------------------- data

    def add(self, full_name: str, **facts: Any) -> Repo:
        repo = Repo(full_name, id=len(self.repos) + 1, **facts)
        self.repos[full_name.lower()] = repo
        return repo

    def rename(self, old: str, new: str) -> None:
        repo = self.repos.pop(old.lower())
        repo.full_name = new
        self.repos[new.lower()] = repo
        self.renamed[old.lower()] = new.lower()

    def find(self, full_name: str, authorised: bool) -> Repo | None:
        name = full_name.lower()
        name = self.renamed.get(name, name)
        repo = self.repos.get(name)
        if repo is None or (repo.private and not authorised):
            return None
        return repo

    # ----------------------------------------------------------------- server

    @property
    def base(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def host(self) -> str:
        return self.base.removeprefix("http://")

    def start(self) -> FakeForge:
        forge = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            wbufsize = 1 << 16  # headers and body leave in one write (no Nagle/delayed-ACK stall)

            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                self._answer("GET")

            def do_POST(self) -> None:
                self._answer("POST")

            def _answer(self, method: str) -> None:
                length = min(int(self.headers.get("Content-Length") or 0), 1_000_000)
                body = self.rfile.read(length) if length else b""
                if forge.latency_s:
                    time.sleep(forge.latency_s)
                status, headers, payload = forge.handle(method, self.path, dict(self.headers), body)
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                if status != 304:
                    self.send_header("Content-Type", headers.get("Content-Type", "application/json"))
                self.send_header("Content-Length", str(0 if status == 304 else len(data)))
                self.end_headers()
                if status != 304:
                    self.wfile.write(data)
                self.wfile.flush()

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> FakeForge:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ----------------------------------------------------------------- routing

    def handle(self, method: str, target: str, headers: dict[str, str], body: bytes) -> tuple[int, dict, Any]:
        path = urlsplit(target).path
        auth = {k.lower(): v for k, v in headers.items()}.get("authorization")
        with self._lock:
            if path.startswith(("/github/", "/gitlab/", "/gitea/")):
                if auth:
                    self.counters.authorizations.append(auth)
                answer = self._api(method, path, auth, {k.lower(): v for k, v in headers.items()}, body)
                self.counters.statuses[answer[0]] += 1
                return answer
            self.counters.pages.append(path)
        if "roadmap-linkcheck" in path:  # the crawler's made-up path (soft-404 probe): a forge says 404
            return 404, {"Content-Type": "text/html"}, b"<html><title>Page not found</title></html>"
        return (
            200,
            {"Content-Type": "text/html"},
            b"<html><title>a repository</title><body>code</body></html>",
        )

    def _authorised(self, auth: str | None) -> bool | None:
        """True: the right token; False: none; None: a wrong one."""
        if not auth:
            return False
        return (self.token is not None and auth.split(" ", 1)[-1] == self.token) or None

    def _api(self, method: str, path: str, auth: str | None, headers: dict[str, str], body: bytes) -> tuple:
        if self.secondary_next:
            self.secondary_next -= 1
            return (
                403,
                {"Retry-After": str(self.secondary_retry_after)},
                {"message": "You have exceeded a secondary rate limit. Please wait a few minutes."},
            )
        if self.malformed_next:
            self.malformed_next -= 1
            return 200, {"Content-Type": "text/html"}, b"<html>maintenance</html>"
        authorised = self._authorised(auth)
        if authorised is None:
            return 401, {}, {"message": "Bad credentials"}
        if self.echo_credentials:  # a careless proxy in front of the API
            return 502, {}, {"message": f"upstream refused the request with {auth}"}
        if path == "/github/graphql" and method == "POST":
            return self._graphql(bool(authorised), body)
        if path.startswith("/github/repos/") or path.startswith("/github/repositories/"):
            return self._github_rest(path, bool(authorised), headers)
        if path.startswith("/gitlab/api/v4/projects/"):
            name = unquote(path.removeprefix("/gitlab/api/v4/projects/"))
            return self._rest("gitlab", name, bool(authorised), headers, "404 Project Not Found")
        if path.startswith("/gitea/api/v1/repos/"):
            name = path.removeprefix("/gitea/api/v1/repos/")
            return self._rest("gitea", name, bool(authorised), headers, "Not Found")
        return 404, {}, {"message": "Not Found"}

    # ----------------------------------------------------------------- GitHub

    def _limit_headers(self, window: Window, prefix: str = "x-ratelimit-") -> dict[str, str]:
        return {
            f"{prefix}limit": str(window.limit),
            f"{prefix}remaining": str(window.remaining),
            f"{prefix}reset": str(int(window.reset)),
        }

    def _github_rest(self, path: str, authorised: bool, headers: dict[str, str]) -> tuple:
        window = self.windows["rest-auth" if authorised else "rest"]
        window.roll(self.clock.time())
        self.counters.requests["github-rest"] += 1
        if window.remaining == 0:
            return 403, self._limit_headers(window), {"message": "API rate limit exceeded for 127.0.0.1."}
        if path.startswith("/github/repositories/"):
            wanted = int(path.rsplit("/", 1)[-1])
            repo = next((r for r in self.repos.values() if r.id == wanted), None)
        else:
            name = path.removeprefix("/github/repos/")
            if name.lower() in self.renamed and self.find(name, authorised) is not None:
                repo = self.find(name, authorised)
                assert repo is not None
                window.used += 1
                self.counters.points["github-rest"] += 1
                location = f"{self.base}/github/repositories/{repo.id}"
                return (
                    301,
                    {"Location": location, **self._limit_headers(window)},
                    {"message": "Moved Permanently"},
                )
            repo = self.find(name, authorised)
        if repo is None:
            window.used += 1
            self.counters.points["github-rest"] += 1
            return (
                404,
                self._limit_headers(window),
                {"message": "Not Found", "documentation_url": "https://docs"},
            )
        document = {
            "full_name": repo.full_name,
            "html_url": f"https://github.com/{repo.full_name}",
            "archived": repo.archived,
            "pushed_at": repo.pushed_at,
            "stargazers_count": repo.stars,
        }
        etag = _etag(document)
        if headers.get("if-none-match") == etag:
            if not authorised:  # GitHub: a 304 is free only to an authorised request
                window.used += 1
                self.counters.points["github-rest"] += 1
            return 304, {"ETag": etag, **self._limit_headers(window)}, b""
        window.used += 1
        self.counters.points["github-rest"] += 1
        return 200, {"ETag": etag, **self._limit_headers(window)}, document

    def _graphql(self, authorised: bool, body: bytes) -> tuple:
        self.counters.requests["graphql"] += 1
        if not authorised:
            return 401, {}, {"message": "This endpoint requires you to be authenticated."}
        window = self.windows["graphql"]
        window.roll(self.clock.time())
        if window.remaining == 0:
            return (
                200,
                self._limit_headers(window),
                {"errors": [{"type": "RATE_LIMITED", "message": "API rate limit exceeded for user."}]},
            )
        query = json.loads(body)["query"]
        window.used += 1  # GitHub: one point for a query of up to 100 nodes
        self.counters.points["graphql"] += 1
        data: dict[str, Any] = {
            "rateLimit": {
                "cost": 1,
                "remaining": window.remaining,
                "resetAt": _iso(window.reset),
            }
        }
        errors = []
        for alias, owner, name in re.findall(
            r'(r\d+): repository\(owner: "([^"]*)", name: "([^"]*)"\)', query
        ):
            repo = self.find(f"{owner}/{name}", authorised=True)
            if repo is None or repo.private:
                data[alias] = None
                errors.append(
                    {
                        "type": "NOT_FOUND",
                        "path": [alias],
                        "message": f"Could not resolve to a Repository with the name '{owner}/{name}'.",
                    }
                )
                continue
            data[alias] = {
                "nameWithOwner": repo.full_name,
                "url": f"https://github.com/{repo.full_name}",
                "isArchived": repo.archived,
                "pushedAt": repo.pushed_at,
                "stargazerCount": repo.stars,
                "latestRelease": {"publishedAt": repo.release_at} if repo.release_at else None,
            }
        document: dict[str, Any] = {"data": data}
        if errors:
            document["errors"] = errors
        return 200, self._limit_headers(window), document

    # ----------------------------------------------------------------- GitLab, Gitea

    def _rest(self, api: str, name: str, authorised: bool, headers: dict[str, str], missing: str) -> tuple:
        window = self.windows["gitlab"]
        window.roll(self.clock.time())
        self.counters.requests[api] += 1
        prefix = "ratelimit-" if api == "gitlab" else "x-ratelimit-"
        if window.remaining == 0:
            return (
                429,
                {
                    "Retry-After": str(int(window.reset - self.clock.time())),
                    **self._limit_headers(window, prefix),
                },
                {"message": "Retry later"},
            )
        window.used += 1
        self.counters.points[api] += 1
        repo = self.find(name, authorised)
        if repo is None:
            return 404, self._limit_headers(window, prefix), {"message": missing}
        document = _rest_json(api, repo)
        etag = _etag(document)
        if headers.get("if-none-match") == etag:
            return 304, {"ETag": etag, **self._limit_headers(window, prefix)}, b""
        return 200, {"ETag": etag, **self._limit_headers(window, prefix)}, document


# How each REST forge's answer names a repository's facts (full name, web URL, archived, last activity,
# stars), and the web host of its URLs: one renderer serves them all.
REST_FIELDS = {
    "gitlab": (
        "https://gitlab.com",
        ("path_with_namespace", "web_url", "archived", "last_activity_at", "star_count"),
    ),
    "gitea": ("https://codeberg.org", ("full_name", "html_url", "archived", "updated_at", "stars_count")),
}


def _rest_json(forge: str, repo: Repo) -> dict[str, Any]:
    web, names = REST_FIELDS[forge]
    facts = (repo.full_name, f"{web}/{repo.full_name}", repo.archived, repo.pushed_at, repo.stars)
    return dict(zip(names, facts, strict=True))


def _etag(document: dict[str, Any]) -> str:
    return '"' + hashlib.sha1(json.dumps(document, sort_keys=True).encode()).hexdigest() + '"'


def _iso(epoch: float) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
