"""Outbound URLs that cannot reach our own network: checked at save and at every connection.

A URL is accepted when it is ``https`` with a host whose every address is public. Addresses
are compared after normalising every spelling the resolver would accept (``127.1``,
``2130706433``, ``0x7f000001``, ``017700000001``, ``[::ffff:127.0.0.1]``) and after looking
inside IPv6 forms that carry an IPv4 address (mapped, compatible, 6to4, Teredo, NAT64).

At connection time :class:`GuardedTransport` resolves the name itself, checks every address,
and connects to the checked address — never to the name, which could resolve elsewhere a
moment later (DNS rebinding) — while the ``Host`` header and TLS SNI/certificate check keep the
name (httpcore's ``sni_hostname`` request extension, the technique of Gradio's ``safehttpx``).

``host:port`` pairs in ``WEBHOOK_ALLOWED_HOSTS`` (development and tests only) may use plain
``http`` and any address.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Iterable
from urllib.parse import SplitResult, urlsplit

import httpx
from flask import current_app
from flask_babel import lazy_gettext as _l

#: Longest URL kept (the column's size).
MAX_URL_LENGTH = 2048

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

#: Addresses refused whatever ``is_global`` says (multicast ranges that are "global",
#: the 6to4 relay anycast, NAT64 prefixes, cloud metadata).
_REFUSED_NETWORKS = [ipaddress.ip_network(n) for n in (
    "0.0.0.0/8", "100.64.0.0/10", "192.0.0.0/24", "192.88.99.0/24", "198.18.0.0/15",
    "224.0.0.0/4", "240.0.0.0/4", "169.254.0.0/16",
    "::/96", "64:ff9b:1::/48", "fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8",
    "fd00:ec2::254/128",
)]
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
#: A DNS name: letters, digits, hyphens and dots (IDNs arrive here already as punycode).
_HOST_NAME = re.compile(r"(?=.{1,253}\Z)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*"
                        r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.?", re.IGNORECASE)


_DEFAULT_PORTS = {"https": 443, "http": 80}


class UnsafeURLError(ValueError):
    """The URL may not be called; ``str(error)`` says why, in the user's language."""


def allowed_hosts() -> frozenset[str]:
    """``WEBHOOK_ALLOWED_HOSTS`` as ``host:port`` strings (a list, or one comma-separated)."""
    value = current_app.config.get("WEBHOOK_ALLOWED_HOSTS") or ()
    if isinstance(value, str):
        value = value.split(",")
    return frozenset(str(v).strip().lower() for v in value if str(v).strip())


def is_refused_address(address: IPAddress) -> bool:
    """Loopback, private, link-local, CGNAT, multicast, unspecified, reserved, metadata — or
    an IPv6 address carrying such an IPv4 address."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            return is_refused_address(embedded)
    if any(address in network for network in _REFUSED_NETWORKS):
        return True
    return not address.is_global or address.is_multicast


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def literal_address(host: str) -> IPAddress | None:
    """``host`` as an address if it is one in any spelling the C resolver accepts, else None.

    ``inet_aton`` reads ``127.1``, ``2130706433``, ``0x7f000001`` and ``017700000001`` alike
    (so does ``getaddrinfo``, which is what a naive client would call).
    """
    host = host.strip("[]")
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if re.fullmatch(r"[0-9a-fA-FxX.]+", host) and not re.search(r"[g-wyzG-WYZ]", host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address ``host`` resolves to (a literal resolves to itself).

    :raises UnsafeURLError: the name does not resolve.
    """
    literal = literal_address(host)
    if literal is not None:
        return [literal]
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise UnsafeURLError(_l("The host name could not be found.")) from None
    return list(dict.fromkeys(ipaddress.ip_address(info[4][0].split("%")[0])
                              for info in infos))


def check_addresses(addresses: Iterable[IPAddress]) -> None:
    """:raises UnsafeURLError: one of them is not a public address."""
    for address in addresses:
        if is_refused_address(address):
            raise UnsafeURLError(_l("The address is on a private, local or reserved network; "
                                    "webhooks only go to public addresses."))


def parse(url: str) -> tuple[SplitResult, str, int, bool]:
    """The URL's parts, host, port, and whether its ``host:port`` is on the allow-list.

    :raises UnsafeURLError: not an ``https`` URL with a host (``http`` only when allowed).
    """
    if not url or len(url) > MAX_URL_LENGTH:
        raise UnsafeURLError(_l("Give a URL of at most %(n)s characters.", n=MAX_URL_LENGTH))
    if any(ord(c) <= 32 or ord(c) == 127 for c in url):
        raise UnsafeURLError(_l("The URL may not contain spaces or control characters."))
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise UnsafeURLError(_l("This is not a valid URL.")) from None
    if parts.scheme not in ("https", "http"):
        raise UnsafeURLError(_l("Only https URLs are accepted."))
    host = (parts.hostname or "").lower().removesuffix(".")
    if not host:
        raise UnsafeURLError(_l("The URL has no host."))
    if parts.username is not None or parts.password is not None:
        raise UnsafeURLError(_l("The URL may not contain a user name or password."))
    if literal_address(host) is None and not _HOST_NAME.fullmatch(host):
        raise UnsafeURLError(_l("The URL's host is not a valid name or address."))
    port = port or _DEFAULT_PORTS[parts.scheme]
    allowed = f"{host}:{port}" in allowed_hosts()
    if parts.scheme == "http" and not allowed:
        raise UnsafeURLError(_l("Only https URLs are accepted."))
    return parts, host, port, allowed


def check_url(url: str) -> str:
    """``url`` if it may be saved: parsed, resolved, every address public (or allow-listed).

    :raises UnsafeURLError: why not.
    """
    _parts, host, port, allowed = parse(url)
    addresses = resolve(host, port)
    if not allowed:
        check_addresses(addresses)
    try:
        httpx.URL(url)  # what the client will parse (stricter than urlsplit)
    except httpx.InvalidURL:
        raise UnsafeURLError(_l("This is not a valid URL.")) from None
    return url


class GuardedTransport(httpx.HTTPTransport):
    """An httpx transport that connects only to checked addresses (see the module docstring)."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = str(request.url)
        try:
            _parts, host, port, allowed = parse(url)
            addresses = resolve(host, port)
            if not allowed:
                check_addresses(addresses)
        except UnsafeURLError as error:
            raise RefusedConnectError(str(error), request=request) from None
        address = addresses[0]
        ip_host = str(address) if address.version == 4 else f"[{address}]"
        request.url = request.url.copy_with(host=ip_host.strip("[]"))
        default = _DEFAULT_PORTS[request.url.scheme] == port
        request.headers["Host"] = host if default else f"{host}:{port}"
        if request.url.scheme == "https":
            request.extensions = {**request.extensions, "sni_hostname": host}
        return super().handle_request(request)


class RefusedConnectError(httpx.ConnectError):
    """The connection was refused by our own SSRF check, before any packet was sent."""
