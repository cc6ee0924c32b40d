"""Verifying the Standard Webhooks signature of an incoming event."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from collections.abc import Iterable, Sequence
from typing import Protocol, cast

from checkout_links.client.errors import WebhookVerificationError
from checkout_links.client.types import WebhookEvent


class HeaderMapping(Protocol):
    """Headers as ``verify_webhook`` reads them.

    Any ``Mapping[str, str]`` fits, and so do ``httpx.Headers`` and Flask's
    ``request.headers`` (which is no ``Mapping`` to a type checker).
    """

    def get(self, key: str, /) -> str | None: ...
    def items(self) -> Iterable[tuple[str, str]]: ...


def _header(headers: HeaderMapping, name: str) -> str:
    value = headers.get(name)
    if value is None:
        value = next((v for k, v in headers.items() if k.lower() == name), None)
    if not value:
        raise WebhookVerificationError(f"missing {name} header")
    return value


def _key(secret: str) -> bytes:
    if not isinstance(secret, str):
        raise WebhookVerificationError("a webhook secret is a string")
    encoded = secret.removeprefix("whsec_")
    try:
        key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise WebhookVerificationError(
            "malformed webhook secret: 'whsec_' followed by base64 expected"
        ) from None
    if not key:
        raise WebhookVerificationError("the webhook secret is empty")
    return key


def verify_webhook(
    body: bytes,
    headers: HeaderMapping,
    secret: str | Sequence[str],
    *,
    tolerance: int = 300,
    now: float | None = None,
) -> WebhookEvent:
    """The event of a webhook request, once its signature and timestamp check out.

    ``body`` must be the raw request body (re-serialized JSON will not verify);
    ``headers`` may be any mapping (names are looked up case-insensitively), including
    ``request.headers`` in Flask.
    ``secret`` may be a list while you rotate secrets: any one may match. The
    timestamp must be within ``tolerance`` seconds of ``now``, either way.
    Raises :class:`WebhookVerificationError` for every request or secret that does not
    verify: missing or malformed headers, a stale timestamp, no matching signature, a
    body that is not a JSON object, and a malformed or empty secret (list).
    """
    msg_id = _header(headers, "webhook-id")
    raw_ts = _header(headers, "webhook-timestamp")
    signatures = _header(headers, "webhook-signature")
    if isinstance(body, str):
        raise WebhookVerificationError("the body must be the raw request bytes, not text")
    if not isinstance(body, bytes | bytearray | memoryview):
        raise WebhookVerificationError("the body must be the raw request bytes")
    body = bytes(body)
    # At most 12 digits: a longer "timestamp" is no time, and int() of thousands of
    # digits raises ValueError.
    if not (raw_ts.isascii() and raw_ts.isdigit() and len(raw_ts) <= 12):
        raise WebhookVerificationError("invalid webhook-timestamp header")
    current = time.time() if now is None else now
    if abs(current - int(raw_ts)) > tolerance:
        raise WebhookVerificationError("webhook-timestamp is outside the tolerance")
    if isinstance(secret, str):
        keys = [_key(secret)]
    elif isinstance(secret, Sequence) and not isinstance(secret, bytes | bytearray):
        keys = [_key(s) for s in secret]
    else:
        raise WebhookVerificationError("the secret is a 'whsec_' string or a list of them")
    if not keys:
        raise WebhookVerificationError("no webhook secret given")
    signed = f"{msg_id}.{raw_ts}.".encode() + body
    expected = [hmac.new(key, signed, hashlib.sha256).digest() for key in keys]
    for candidate in signatures.split():
        version, _, encoded = candidate.partition(",")
        if version != "v1":
            continue
        try:
            given = base64.b64decode(encoded, validate=True)
        except binascii.Error:
            continue
        if any(hmac.compare_digest(given, digest) for digest in expected):
            break
    else:
        raise WebhookVerificationError("no matching signature")
    try:
        event = json.loads(body)
    except ValueError:
        raise WebhookVerificationError("the body is not JSON") from None
    if not isinstance(event, dict):
        raise WebhookVerificationError("the body is not a JSON object")
    return cast(WebhookEvent, event)
