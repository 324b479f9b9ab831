"""Which webhook targets may be called (SSRF): URL rules and the addresses a host resolves to.

A target must be ``http``/``https`` with a host, no credentials, port 80, 443 or 1024 and up
(never SMTP, SSH and the like), and every address its host
resolves to must be public: loopback, private, link-local (169.254.169.254, the cloud metadata
service, included), multicast, unspecified, reserved and other non-global ranges are refused —
unless ``ASSAY_WEBHOOK_ALLOW_TARGETS`` lists the address's network or the host by name. The check
runs when a subscription is created and again each time a delivery connects, on the very addresses
it connects to (``GuardedBackend``), so DNS answering differently later gains nothing.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpcore

from assay.common.errors import invalid_field

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

MAX_URL_CHARS = 2048
_HOST_NAME = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*", re.IGNORECASE)


class TargetRefused(Exception):
    """A host resolves to no address a webhook may reach (or does not resolve)."""


@dataclass(frozen=True)
class TargetPolicy:
    """The allow-list: networks (CIDRs) and host names exempt from the public-address rule."""

    networks: tuple[IPNetwork, ...] = ()
    hosts: frozenset[str] = frozenset()

    @classmethod
    def parse(cls, value: str) -> TargetPolicy:
        """``ASSAY_WEBHOOK_ALLOW_TARGETS``: comma-separated CIDRs, addresses or host names."""
        networks: list[IPNetwork] = []
        hosts: set[str] = set()
        for item in (part.strip() for part in value.split(",")):
            if not item:
                continue
            try:
                networks.append(ipaddress.ip_network(item, strict=False))
            except ValueError:
                if not _HOST_NAME.fullmatch(item):
                    raise ValueError(
                        f"ASSAY_WEBHOOK_ALLOW_TARGETS: {item!r} is neither a CIDR nor a host name") from None
                hosts.add(item.lower())
        return cls(tuple(networks), frozenset(hosts))

    def allows(self, host: str, address: IPAddress) -> bool:
        """Whether a connection to ``address`` (resolved from ``host``) is permitted."""
        if host.lower().rstrip(".") in self.hosts or any(address in network for network in self.networks):
            return True
        return _public(address)

    async def resolve(self, host: str, port: int) -> list[str]:
        """The addresses of ``host`` a webhook may connect to, in resolver order; ``TargetRefused``
        when it resolves to none of them (naming what it resolved to) or does not resolve."""
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise TargetRefused(f"{host} does not resolve ({exc})") from None
        found = list(dict.fromkeys(_address(str(info[4][0])) for info in infos))
        allowed = [str(address) for address in found if self.allows(host, address)]
        if not allowed:
            shown = ", ".join(str(address) for address in found)
            raise TargetRefused(f"{host} resolves to {shown}: private, loopback, link-local, multicast or "
                                "unspecified addresses are refused (ASSAY_WEBHOOK_ALLOW_TARGETS)")
        return allowed


def _address(text: str) -> IPAddress:
    address = ipaddress.ip_address(text.split("%", 1)[0])  # a scope id (fe80::1%eth0) is not part of it
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    return address


def _public(address: IPAddress) -> bool:
    return address.is_global and not address.is_multicast


@dataclass(frozen=True)
class Target:
    """A webhook URL taken apart."""

    url: str
    host: str
    port: int


def parse_target(url: str, field: str = "url") -> Target:
    """The URL's host and port, or INVALID_ARGUMENT naming ``field`` and what is wrong."""
    if not url:
        raise invalid_field(field, "is required")
    if len(url) > MAX_URL_CHARS:
        raise invalid_field(field, f"is longer than {MAX_URL_CHARS} characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise invalid_field(field, f"is not a valid URL ({exc})") from None
    if parts.scheme not in ("http", "https"):
        raise invalid_field(field, "must be an http or https URL")
    if not parts.hostname:
        raise invalid_field(field, "has no host")
    if parts.username is not None or parts.password is not None:
        raise invalid_field(field, "must not carry credentials (user:password@)")
    if parts.fragment:
        raise invalid_field(field, "must not have a fragment")
    if any(ch.isspace() or ord(ch) < 0x20 for ch in url):
        raise invalid_field(field, "must not contain whitespace or control characters")
    port = port or (443 if parts.scheme == "https" else 80)
    if port not in (80, 443) and port < 1024:
        raise invalid_field(field, "must use port 80, 443 or one from 1024 up (no other well-known service)")
    return Target(url, parts.hostname, port)


async def check_target(policy: TargetPolicy, url: str, field: str = "url") -> Target:
    """``parse_target`` and the address rule at create time: INVALID_ARGUMENT ``WEBHOOK_TARGET_FORBIDDEN``."""
    target = parse_target(url, field)
    try:
        await policy.resolve(target.host, target.port)
    except TargetRefused as refused:
        raise invalid_field(field, str(refused), reason="WEBHOOK_TARGET_FORBIDDEN") from None
    return target


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend that resolves a host itself and connects only to an address the
    policy permits (TLS still verifies the URL's host name); the check and the connection use the
    same answer, so a DNS change between them (rebinding) cannot slip a private address in."""

    def __init__(self, policy: TargetPolicy) -> None:
        self._policy = policy
        self._backend = httpcore.AnyIOBackend()

    async def connect_tcp(
        self, host: str, port: int, timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            addresses = await self._policy.resolve(host, port)
        except TargetRefused as refused:
            raise httpcore.ConnectError(str(refused)) from None
        return await self._backend.connect_tcp(addresses[0], port, timeout=timeout, local_address=local_address,
                                               socket_options=socket_options)

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("webhooks never connect to unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self._backend.sleep(seconds)
