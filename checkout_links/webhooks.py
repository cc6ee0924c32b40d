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
import socket
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


def _public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return _public(ip.ipv4_mapped)
    return ip.is_global and not ip.is_multicast


def check_url(url: str, *, allow_private: bool, resolve: bool = True) -> None:
    """Raise :class:`UnsafeURL` unless ``url`` is a webhook target we may call.

    With ``resolve``, every address the host name resolves to must be public
    (a name that resolves to 127.0.0.1 is as private as the literal).
    """
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise UnsafeURL("must be an absolute https URL")
    if parts.username or parts.password:
        raise UnsafeURL("must not carry credentials")
    if allow_private:
        return
    if parts.scheme != "https":
        raise UnsafeURL("must use https")
    host = parts.hostname
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        if host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
            raise UnsafeURL("must not point to a private host") from None
        if not resolve:
            return
        try:
            infos = socket.getaddrinfo(host, parts.port or 443, proto=socket.IPPROTO_TCP)
        except OSError:
            raise UnsafeURL("host name does not resolve") from None
        addresses = [ipaddress.ip_address(info[4][0]) for info in infos]
    if not all(_public(ip) for ip in addresses):
        raise UnsafeURL("must not point to a private, loopback or link-local address")


def validate_webhook_url(url: str, *, allow_private: bool) -> str:
    """Check a URL a merchant configures (no DNS lookup: the host may not exist yet)."""
    try:
        check_url(url, allow_private=allow_private, resolve=False)
    except UnsafeURL as exc:
        raise ValidationFailed(f"webhook URL {exc}") from None
    return url


@dataclass(frozen=True, slots=True)
class Attempt:
    """The outcome of one delivery attempt."""

    ok: bool
    status: int | None
    error: str | None
    duration_ms: int


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
        check_url(url, allow_private=allow_private)
    except UnsafeURL as exc:
        return done(False, None, f"refused URL: {exc}")
    timestamp = int(time.time())
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
        with client.stream(
            "POST", url, content=body, headers=headers, extensions={"trace": trace}
        ) as response:
            status = response.status_code
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
    return done(False, status, f"HTTP {status}")


def http_client(timeout: float) -> httpx.Client:
    """The worker's HTTP client: no redirects, bounded time, no proxies from the environment."""
    return httpx.Client(
        # A fresh connection per attempt: the attempt's watchdog can only hang up
        # sockets it saw being opened (and merchants differ from one event to the next).
        limits=httpx.Limits(max_keepalive_connections=0),
        follow_redirects=False,
        timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
        trust_env=False,
    )
