"""Where a webhook may go: http(s) URLs of public hosts only (no SSRF into our own network).

A host name is resolved and every address it gives must be public; the delivery then connects
to an address checked here, so a name that resolves elsewhere a moment later (DNS rebinding)
reaches nothing new. Loopback is allowed only when WEBHOOK_ALLOW_LOOPBACK says so (local
development and tests); private, link-local, multicast and reserved addresses never are.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from api.core.errors import InvalidInput

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class UnsafeTarget(ValueError):
    """The URL may not receive webhooks; the message says why."""


@dataclass(frozen=True)
class Target:
    """A checked URL: the scheme, host and port to reach, and the address to connect to."""

    url: str
    scheme: str
    host: str
    port: int
    address: IPAddress

    def connect_url(self) -> str:
        """The URL with the checked address in place of the host name."""
        parts = urlsplit(self.url)
        host = f"[{self.address}]" if self.address.version == 6 else str(self.address)
        netloc = f"{host}:{self.port}"
        path = parts.path or "/"
        return f"{self.scheme}://{netloc}{path}" + (f"?{parts.query}" if parts.query else "")

    @property
    def host_header(self) -> str:
        default = {"http": 80, "https": 443}[self.scheme]
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == default else f"{host}:{self.port}"


def _refusal(address: IPAddress, allow_loopback: bool) -> str | None:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    if address.is_loopback:
        return None if allow_loopback else "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_private:
        return "a private address"
    if address.is_multicast or address.is_unspecified or address.is_reserved:
        return "not a unicast public address"
    if not address.is_global:
        return "not a public address"
    return None


def parse(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of an http(s) URL, or UnsafeTarget."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeTarget(f"not a valid URL: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise UnsafeTarget("must be an http:// or https:// URL")
    if not parts.hostname:
        raise UnsafeTarget("has no host")
    if parts.username is not None or parts.password is not None:
        raise UnsafeTarget("must not carry credentials (user:password@)")
    if parts.fragment:
        raise UnsafeTarget("must not have a #fragment")
    return scheme, parts.hostname, port or (443 if scheme == "https" else 80)


def resolve(url: str, *, allow_loopback: bool) -> Target:
    """Check the URL and every address its host resolves to; UnsafeTarget says why not."""
    scheme, host, port = parse(url)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeTarget(f"host {host!r} cannot be resolved ({exc})") from None
    addresses = list(
        dict.fromkeys(ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos)
    )
    if not addresses:
        raise UnsafeTarget(f"host {host!r} has no address")
    for address in addresses:
        if why := _refusal(address, allow_loopback):
            raise UnsafeTarget(f"host {host!r} resolves to {address}, {why}")
    return Target(url=url, scheme=scheme, host=host, port=port, address=addresses[0])


def require_safe(url: str, *, allow_loopback: bool) -> str:
    """The URL if webhooks may go there, else a 422 naming what is wrong."""
    try:
        resolve(url, allow_loopback=allow_loopback)
    except UnsafeTarget as exc:
        raise InvalidInput(f"url {exc}", errors=[{"field": "url", "message": str(exc)}]) from None
    return url
