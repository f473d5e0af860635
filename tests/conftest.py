"""Shared fixtures. The network is unreachable by default: any connection to an address outside
127.0.0.0/8 and ::1 fails at once, and no name but localhost is looked up, so a test can never touch the
internet (or its DNS) by accident."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from sqlalchemy import Engine

REPO = Path(__file__).resolve().parents[1]


class NetworkBlockedError(OSError):
    """Raised instead of connecting anywhere but loopback during tests."""


def _is_loopback(address: object) -> bool:
    if isinstance(address, str | bytes):  # AF_UNIX path
        return True
    host = address[0] if isinstance(address, tuple) else address
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return str(host) == "localhost"


def _is_local_name(host: object) -> bool:
    text = host.decode() if isinstance(host, bytes) else str(host)
    return text == "localhost" or text.endswith(".localhost") or _is_literal(text)


def _is_literal(text: str) -> bool:
    try:
        ipaddress.ip_address(text.split("%")[0])
    except ValueError:
        return False
    return True


@pytest.fixture(autouse=True)
def _no_internet(monkeypatch: pytest.MonkeyPatch) -> None:
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def guarded_getaddrinfo(host: object, *args: object, **kwargs: object) -> object:
        # Not even a name lookup leaves the machine: a name is not found unless it is local (a test that
        # needs a name to resolve patches getaddrinfo itself, e.g. to a loopback address).
        if host is not None and not _is_local_name(host):
            raise socket.gaierror(socket.EAI_NONAME, f"tests may not look up {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)  # type: ignore[arg-type]

    def guarded_connect(self: socket.socket, address: object) -> None:
        if not _is_loopback(address):
            raise NetworkBlockedError(101, f"tests may not connect to {address!r}")
        return real_connect(self, address)

    def guarded_connect_ex(self: socket.socket, address: object) -> int:
        if not _is_loopback(address):
            raise NetworkBlockedError(101, f"tests may not connect to {address!r}")
        return real_connect_ex(self, address)

    monkeypatch.setattr(socket, "getaddrinfo", guarded_getaddrinfo)
    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", guarded_connect_ex)


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    """A fresh SQLite store in tmp_path/roadmap.db, migrated by alembic (tests/store has its own)."""
    from pipeline.store.engine import open_store

    engine = open_store(f"sqlite:///{tmp_path / 'roadmap.db'}", tmp_path)
    yield engine
    engine.dispose()


@pytest.fixture
def repo_root() -> Path:
    return REPO
