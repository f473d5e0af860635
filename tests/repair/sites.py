"""Fake sites for repair tests: one loopback port that speaks both HTTP and HTTPS (so an address and its
scheme twin are the same host and port, as on the web), with routes per (scheme, path), and a fake
Wayback Machine availability API. Bounded: socket time-outs, daemon threads, stopped with the fixture."""

from __future__ import annotations

import json
import socket
import socketserver
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

import trustme

TIMEOUT_S = 5.0


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes = b""
    ctype: str = "text/html; charset=utf-8"
    headers: tuple[tuple[str, str], ...] = ()


def page(title: str, words: str = "Eigenvectors are the directions a matrix only stretches. ") -> Answer:
    body = (
        f"<!doctype html><html><head><title>{title}</title></head><body><h1>{title}</h1><p>{words * 40}</p>"
    )
    return Answer(200, (body + "</body></html>").encode())


NOT_FOUND = Answer(
    404, b"<html><head><title>404 Not Found</title></head><body><h1>Not Found</h1></body></html>"
)

Route = Answer | Callable[[str, dict[str, list[str]]], Answer]  # an answer, or (scheme, query) -> answer


@dataclass
class Sites:
    """Serves `routes[(scheme, path)]` (or `routes[path]` for both schemes); anything else is a 404."""

    ca: trustme.CA
    ip: str = "127.0.0.6"
    routes: dict[object, Route] = field(default_factory=dict)
    requests: list[tuple[str, str, str]] = field(default_factory=list)  # (scheme, method, path+query)
    port: int = 0

    def url(self, path: str, scheme: str = "http") -> str:
        return f"{scheme}://{self.ip}:{self.port}{path}"

    def client_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context()
        self.ca.configure_trust(context)
        return context

    def answer(self, scheme: str, method: str, target: str) -> Answer:
        self.requests.append((scheme, method, target))
        parts = urlsplit(target)
        route = self.routes.get((scheme, parts.path), self.routes.get(parts.path, NOT_FOUND))
        return route(scheme, parse_qs(parts.query)) if callable(route) else route

    def __enter__(self) -> Sites:
        server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.ca.issue_cert(self.ip).configure_cert(server_context)
        sites = self

        class Handler(BaseHTTPRequestHandler):
            timeout = TIMEOUT_S

            def _serve(self) -> None:
                scheme = "https" if isinstance(self.connection, ssl.SSLSocket) else "http"
                answer = sites.answer(scheme, self.command, self.path)
                self.send_response(answer.status)
                self.send_header("Content-Type", answer.ctype)
                self.send_header("Content-Length", str(len(answer.body)))
                for name, value in answer.headers:
                    self.send_header(name, value)
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(answer.body)

            do_GET = do_HEAD = _serve

            def log_message(self, *args: object) -> None:
                pass

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

            def get_request(self):  # type: ignore[no-untyped-def]
                sock, address = self.socket.accept()
                sock.settimeout(TIMEOUT_S)
                try:
                    first = sock.recv(1, socket.MSG_PEEK)
                    if first == b"\x16":  # a TLS ClientHello: this connection speaks HTTPS
                        sock = server_context.wrap_socket(sock, server_side=True)
                except (OSError, ssl.SSLError):
                    pass  # the handler sees a dead socket and gives up
                return sock, address

        self._server = Server((self.ip, 0), Handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05})
        self._thread.daemon = True
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(TIMEOUT_S)


def wayback(
    sites: Sites, snapshots: dict[str, tuple[str, str]]
) -> Callable[[str, dict[str, list[str]]], Answer]:
    """A fake availability API: snapshots maps an original URL to (timestamp, snapshot path on sites);
    like the real one it answers the closest snapshot whatever the asked timestamp."""

    def answer(_scheme: str, query: dict[str, list[str]]) -> Answer:
        url = query.get("url", [""])[0]
        found = snapshots.get(url)
        closest = (
            {"available": True, "status": "200", "timestamp": found[0], "url": sites.url(found[1])}
            if found
            else None
        )
        document = {"url": url, "archived_snapshots": {"closest": closest} if closest else {}}
        return Answer(200, json.dumps(document).encode(), "application/json")

    return answer
