"""Sending one signed webhook request, safely.

Signatures follow Standard Webhooks: ``webhook-signature`` holds one
``v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`` per active secret
(the new one and, during a rotation's grace period, the old one).

A merchant's URL is an address *we* connect to, so it is checked against
server-side request forgery: ``https`` only and public addresses only, unless
``CHECKOUT_ALLOW_PRIVATE_WEBHOOKS`` is set. Redirects are never followed and at
most :data:`MAX_RESPONSE_BYTES` of a response are read.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import ipaddress
import logging
import re
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from checkout_links.core.errors import ValidationFailed

MAX_RESPONSE_BYTES = 64 * 1024
USER_AGENT = "checkout-links-webhooks/1"


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """One ``v1,<signature>`` for ``body`` under a ``whsec_`` secret."""
    key = base64.b64decode(secret.removeprefix("whsec_") + "==")
    to_sign = f"{msg_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, to_sign, hashlib.sha256).digest()).decode()


def signature_header(secrets: list[str], msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value: space-separated signatures, one per secret."""
    return " ".join(sign(s, msg_id, timestamp, body) for s in secrets)


class UnsafeURL(ValueError):
    """A webhook URL we refuse to connect to."""


IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_PRIVATE_SUFFIXES = (".localhost", ".local", ".internal")
# inet_aton's spellings of an IPv4 address: "127.1", "0x7f000001", "2130706433",
# "0177.0.0.1". Every resolver (and so every HTTP client) reads them as addresses.
_LEGACY_V4 = re.compile(r"(0x[0-9a-f]+|[0-9]+)(\.(0x[0-9a-f]+|[0-9]+)){0,3}")


# IPv6 prefixes that carry an IPv4 address in their last 32 bits: a packet to
# one of them reaches (through a translator or a tunnel) the IPv4 address inside,
# so the address is exactly as public as that IPv4 address. Python's is_global
# judges only the prefix, which the registry calls global.
_V4_IN_LOW_32 = (
    ipaddress.IPv6Network("64:ff9b::/96"),  # NAT64, the well-known prefix (RFC 6052)
    ipaddress.IPv6Network("::ffff:0:0:0/96"),  # IPv4-translated, ::ffff:0:a.b.c.d (RFC 2765)
)
# Prefixes refused whatever they embed: the local-use NAT64 prefix (RFC 8215) is
# an operator's own translator, whose prefix length (so where the IPv4 address
# sits) we cannot know; Teredo (RFC 4380) hides the client's IPv4 address and
# is no place for a webhook receiver; IPv4-compatible addresses (::a.b.c.d,
# deprecated by RFC 4291) are read by some stacks as the IPv4 address itself.
_NEVER_PUBLIC = (
    ipaddress.IPv6Network("::/96"),
    ipaddress.IPv6Network("64:ff9b:1::/48"),
    ipaddress.IPv6Network("2001::/32"),
)


def _public(ip: IPAddress) -> bool:
    """Whether ``ip`` is a public unicast address, judging an IPv4 address embedded in
    an IPv6 one (mapped, translated, NAT64, 6to4) as the address it carries."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return _public(ip.ipv4_mapped)
        if ip.sixtofour is not None:
            return _public(ip.sixtofour)
        if any(ip in net for net in _NEVER_PUBLIC):
            return False
        if any(ip in net for net in _V4_IN_LOW_32):
            return _public(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return ip.is_global and not ip.is_multicast


def _literal(host: str) -> IPAddress | None:
    """The address a host spells, in any form a resolver accepts, or ``None`` for a name."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if _LEGACY_V4.fullmatch(host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError as exc:
            raise UnsafeURL("host is not a valid address") from exc
    return None


@dataclass(frozen=True, slots=True)
class Target:
    """Where one attempt connects: the checked address, and the host name it stands for."""

    host: str  # the URL's host name (SNI, certificate check, Host header)
    address: IPAddress | None  # None: not resolved here (private targets allowed)
    port: int
    url: str  # the URL with the host replaced by the address


def _split(url: str) -> tuple[Any, str]:
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise UnsafeURL("must be an absolute https URL")
    if parts.username or parts.password:
        raise UnsafeURL("must not carry credentials")
    # A trailing dot names the same host ("localhost." is localhost).
    host = parts.hostname.rstrip(".").lower()
    if not host:
        raise UnsafeURL("must be an absolute https URL")
    return parts, host


def resolve_target(url: str, *, allow_private: bool) -> Target:
    """Resolve ``url``'s host once and check every address it has; the one to connect to.

    Raises :class:`UnsafeURL` unless the URL is a webhook target we may call:
    ``https`` to public addresses only (all of them: a name with one private
    address is private), unless ``allow_private``. The caller connects to
    :attr:`Target.address`, so a DNS answer that changes afterwards (rebinding)
    cannot move the request anywhere else.
    """
    parts, host = _split(url)
    if not allow_private:
        if parts.scheme != "https":
            raise UnsafeURL("must use https")
        if host == "localhost" or host.endswith(_PRIVATE_SUFFIXES):
            raise UnsafeURL("must not point to a private host")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    literal = _literal(host)
    if literal is not None:
        addresses = [literal]
    else:
        try:
            infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
        except (OSError, UnicodeError) as exc:
            if allow_private:
                # Nothing is checked, so nothing needs pinning: the client resolves
                # (or fails to) on its own, as for any development target.
                return Target(host, None, port, url)
            raise UnsafeURL("host name does not resolve") from exc
        addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
        if not addresses:
            raise UnsafeURL("host name does not resolve")
    if not allow_private and not all(_public(ip) for ip in addresses):
        raise UnsafeURL("must not point to a private, loopback or link-local address")
    address = addresses[0]
    netloc = f"[{address}]" if address.version == 6 else str(address)
    pinned = parts._replace(netloc=f"{netloc}:{port}").geturl()
    return Target(host, address, port, pinned)


def check_url(url: str, *, allow_private: bool, resolve: bool = True) -> None:
    """Raise :class:`UnsafeURL` unless ``url`` is a webhook target we may call.

    With ``resolve``, every address the host name resolves to must be public
    (a name that resolves to 127.0.0.1 is as private as the literal); without,
    only the URL's own spelling is judged.
    """
    if resolve:
        resolve_target(url, allow_private=allow_private)
        return
    parts, host = _split(url)
    if allow_private:
        return
    if parts.scheme != "https":
        raise UnsafeURL("must use https")
    if host == "localhost" or host.endswith(_PRIVATE_SUFFIXES):
        raise UnsafeURL("must not point to a private host")
    literal = _literal(host)
    if literal is not None and not _public(literal):
        raise UnsafeURL("must not point to a private, loopback or link-local address")


def validate_webhook_url(url: str, *, allow_private: bool) -> str:
    """Check a URL a merchant configures.

    Loopback and private addresses are refused in every spelling, and so is a
    name that resolves to one. A name that does not resolve (yet) is accepted:
    every attempt resolves and checks it again.
    """
    try:
        check_url(url, allow_private=allow_private, resolve=False)
        if not allow_private:
            try:
                resolve_target(url, allow_private=False)
            except UnsafeURL as exc:
                if str(exc) != "host name does not resolve":
                    raise
    except UnsafeURL as exc:
        raise ValidationFailed(f"The webhook URL {exc}.") from exc
    return url


@dataclass(frozen=True, slots=True)
class Attempt:
    """The outcome of one delivery attempt."""

    ok: bool
    status: int | None
    error: str | None
    duration_ms: int
    #: Nothing was sent because the merchant has no webhook URL: the event is
    #: ``skipped``, not failed (no retry, no circuit, no attempt counted).
    skipped: bool = False


def deliver(
    client: httpx.Client,
    url: str,
    *,
    event_id: str,
    body: bytes,
    secrets: list[str],
    allow_private: bool,
) -> Attempt:
    """POST one event; any 2xx is success. Never raises for network or HTTP errors."""
    start = time.monotonic()

    def done(ok: bool, status: int | None, error: str | None) -> Attempt:
        return Attempt(ok, status, error, int((time.monotonic() - start) * 1000))

    try:
        target = resolve_target(url, allow_private=allow_private)
    except UnsafeURL as exc:
        return done(False, None, f"refused URL: {exc}")
    timestamp = int(time.time())
    default_port = 443 if target.url.startswith("https:") else 80
    headers = {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": event_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature_header(secrets, event_id, timestamp, body),
    }
    # httpx's read timeout bounds each read, not the whole body, so a receiver
    # that answers 2xx and then trickles its body a byte at a time could hold the
    # attempt (and the event's lease, timeout + 10 s) for days. The body is only
    # drained, never needed: reading stops once the attempt has used its budget.
    budget = client.timeout.read if client.timeout.read is not None else 10.0
    # Per-read timeouts do not bound a receiver that trickles its status line
    # and headers either: a watchdog shuts the socket down when the attempt's
    # budget is spent, so an attempt always ends well inside its lease.
    sockets: list[socket.socket] = []

    def trace(event: str, info: dict[str, Any]) -> None:
        if event.endswith(("connect_tcp.complete", "start_tls.complete")):
            sock = info["return_value"].get_extra_info("socket")
            if sock is not None:
                sockets.append(sock)

    def hang_up() -> None:
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    # One second past the read timeout, so that a plain timeout still reports as one.
    watchdog = threading.Timer(budget + 1.0, hang_up)
    watchdog.daemon = True
    watchdog.start()
    try:
        extensions: dict[str, Any] = {"trace": trace}
        if target.address is not None:
            # The request goes to the checked address; the host name stays what the
            # receiver sees (Host) and what TLS checks (SNI and the certificate).
            default = target.port == default_port
            headers["host"] = target.host if default else f"{target.host}:{target.port}"
            if _literal(target.host) is None:
                extensions["sni_hostname"] = target.host
        with client.stream(
            "POST", target.url, content=body, headers=headers, extensions=extensions
        ) as response:
            status = response.status_code
            location = response.headers.get("location")
            # The answer is the status; the body is drained only to be polite,
            # so a failure while draining it does not change the outcome.
            with contextlib.suppress(httpx.HTTPError):
                read = 0
                for chunk in response.iter_bytes():
                    read += len(chunk)
                    if read >= MAX_RESPONSE_BYTES or time.monotonic() - start > budget:
                        break
    except httpx.HTTPError as exc:
        return done(False, None, type(exc).__name__)
    finally:
        watchdog.cancel()
    if 200 <= status < 300:
        return done(True, status, None)
    if 300 <= status < 400:
        return done(False, status, _redirect_error(status, location))
    return done(False, status, f"HTTP {status}")


def _redirect_error(status: int, location: str | None) -> str:
    """Why a redirect failed, for the merchant: where it pointed, without its query string
    (which may carry a secret), and that redirects are never followed."""
    if not location:
        return f"HTTP {status} redirect without a Location (redirects are not followed)"
    parts = urlsplit(location[:500])
    shown = parts._replace(query="", fragment="").geturl()
    if parts.query:
        shown += "?..."
    return f"HTTP {status} redirect to {shown} (redirects are not followed)"


# httpx logs every request at INFO with its full URL, query string included (a
# merchant's ``?auth=...``); nothing of it belongs in our logs.
logging.getLogger("httpx").setLevel(logging.WARNING)


def http_client(
    timeout: float, max_connections: int = 16, verify: ssl.SSLContext | bool = True
) -> httpx.Client:
    """The worker's HTTP client: no redirects, bounded time, no proxies from the environment.

    It is shared by the worker's delivery threads (``max_connections`` of them).
    """
    return httpx.Client(
        # A fresh connection per attempt: the attempt's watchdog can only hang up
        # sockets it saw being opened (and merchants differ from one event to the next).
        limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=0),
        verify=verify,
        follow_redirects=False,
        timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
        trust_env=False,
    )
