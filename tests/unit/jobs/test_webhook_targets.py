"""The SSRF rule of webhook targets: public addresses only unless allow-listed, URLs taken apart strictly."""

from __future__ import annotations

import ipaddress

import httpcore
import pytest

from assay.common.errors import InvalidArgument
from assay.jobs.webhook_targets import GuardedBackend, TargetPolicy, TargetRefused, parse_target

PUBLIC = TargetPolicy()


@pytest.mark.parametrize("address", [
    "127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.0.1", "169.254.169.254", "100.64.0.1", "0.0.0.0",
    "224.0.0.1", "255.255.255.255", "::1", "::", "fe80::1", "fc00::1", "ff02::1",
])
def test_non_public_addresses_are_refused(address: str) -> None:
    assert not PUBLIC.allows("example.com", ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"])
def test_public_addresses_pass(address: str) -> None:
    assert PUBLIC.allows("example.com", ipaddress.ip_address(address))


def test_the_allow_list_names_networks_and_hosts() -> None:
    policy = TargetPolicy.parse(" 127.0.0.0/8, ::1/128, hooks.internal ,10.0.0.5")
    assert policy.allows("x", ipaddress.ip_address("127.0.0.2"))
    assert policy.allows("x", ipaddress.ip_address("::1"))
    assert policy.allows("x", ipaddress.ip_address("10.0.0.5"))
    assert not policy.allows("x", ipaddress.ip_address("10.0.0.6"))
    assert policy.allows("Hooks.Internal.", ipaddress.ip_address("10.9.9.9"))
    with pytest.raises(ValueError, match="neither a CIDR nor a host name"):
        TargetPolicy.parse("10.0.0.0/33")
    with pytest.raises(ValueError, match="neither a CIDR nor a host name"):
        TargetPolicy.parse("bad host")


async def test_resolution_refuses_what_resolves_to_forbidden_addresses_only() -> None:
    with pytest.raises(TargetRefused, match=r"127\.0\.0\.1"):
        await PUBLIC.resolve("127.0.0.1", 80)
    with pytest.raises(TargetRefused, match=r"resolves to 10\.0\.0\.1"):  # IPv4-mapped IPv6 is unwrapped
        await TargetPolicy.parse("::ffff:0:0/96").resolve("::ffff:10.0.0.1", 80)
    with pytest.raises(TargetRefused, match="does not resolve"):
        await PUBLIC.resolve("no-such-host.invalid", 80)
    assert await TargetPolicy.parse("127.0.0.1/32").resolve("127.0.0.1", 80) == ["127.0.0.1"]


async def test_the_guarded_backend_never_connects_to_a_forbidden_address() -> None:
    with pytest.raises(httpcore.ConnectError, match="refused"):
        await GuardedBackend(PUBLIC).connect_tcp("127.0.0.1", 9)


@pytest.mark.parametrize(("url", "problem"), [
    ("", "is required"), ("ftp://example.com/", "http or https"), ("http:///path", "has no host"),
    ("https://u:p@example.com/", "credentials"), ("https://example.com/#x", "fragment"),
    ("https://example.com:99999/", "not a valid URL"), ("https://example.com/a b", "whitespace"),
    ("https://example.com/" + "a" * 2048, "longer than 2048"), ("http://example.com:25/", "port 80, 443"),
])
def test_malformed_urls_name_the_problem(url: str, problem: str) -> None:
    with pytest.raises(InvalidArgument, match=problem):
        parse_target(url)


def test_a_url_is_taken_apart() -> None:
    target = parse_target("https://hooks.example.com/in?x=1")
    assert (target.host, target.port) == ("hooks.example.com", 443)
    assert parse_target("http://[2606:2800::1]:8080/").port == 8080
