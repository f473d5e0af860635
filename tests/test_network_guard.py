import socket

import pytest

from tests.conftest import NetworkBlockedError


def test_connecting_outside_loopback_is_refused() -> None:
    with socket.socket() as sock, pytest.raises(NetworkBlockedError):
        sock.connect(("192.0.2.1", 80))


def test_loopback_is_allowed() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with socket.socket() as client:
            client.connect(server.getsockname())


def test_a_name_is_not_looked_up() -> None:
    with pytest.raises(socket.gaierror):
        socket.getaddrinfo("archive.org", 443)
    assert socket.getaddrinfo("127.0.0.1", 80)  # literals and localhost still work
