import pytest

from pipeline.crawl.safety import is_allowed, parse_ip, refusal_reason

REFUSED = {
    "loopback v4": ("127.0.0.1", "loopback"),
    "loopback other 127": ("127.8.9.10", "loopback"),
    "loopback v6": ("::1", "loopback"),
    "private 10/8": ("10.1.2.3", "private"),
    "private 192.168": ("192.168.0.10", "private"),
    "private 172.16": ("172.16.5.4", "private"),
    "cloud metadata": ("169.254.169.254", "link-local"),
    "link-local v6": ("fe80::1", "link-local"),
    "link-local v6 with zone": ("fe80::1%eth0", "link-local"),
    "multicast v4": ("224.0.0.1", "multicast"),
    "multicast v4 global scope": ("239.255.0.1", "multicast"),
    "multicast v6": ("ff02::1", "multicast"),
    "unspecified v4": ("0.0.0.0", "unspecified"),
    "unspecified v6": ("::", "unspecified"),
    "reserved class E": ("240.0.0.1", "240.0.0.1 is a"),
    "broadcast": ("255.255.255.255", ""),
    "carrier-grade NAT": ("100.64.0.1", "non-global"),
    "documentation range": ("192.0.2.1", ""),
    "unique local v6": ("fd00::1", "private"),
    "ipv4-mapped loopback": ("::ffff:127.0.0.1", "stands for 127.0.0.1"),
    "ipv4-mapped metadata": ("::ffff:169.254.169.254", "stands for 169.254.169.254"),
    "6to4 of loopback": ("2002:7f00:1::", "stands for 127.0.0.1"),
    "nat64 of private": ("64:ff9b::a00:1", "stands for 10.0.0.1"),
    "bracketed v6": ("[::1]", "loopback"),
}


@pytest.mark.parametrize(("address", "words"), REFUSED.values(), ids=REFUSED.keys())
def test_non_public_addresses_are_refused(address: str, words: str) -> None:
    reason = refusal_reason(address)
    assert reason is not None and words in reason
    assert not is_allowed(address)
    assert is_allowed(address, allow_private=True)


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700::6810:85e5", "::ffff:8.8.8.8"])
def test_public_addresses_pass(address: str) -> None:
    assert refusal_reason(address) is None
    assert is_allowed(address)


def test_names_are_not_addresses() -> None:
    assert parse_ip("example.org") is None
    assert parse_ip("[::1]") is not None
    assert refusal_reason("example.org") == "'example.org' is not an IP address"
