"""``Idempotency-Key`` for ``POST /api/v1/links`` and the order actions (``mark_paid``, ...).

The first response for a key is stored for 24 h with a fingerprint of its
body. A retry with the same key and the same body gets that response again,
so a merchant's retry never yields a second usable link; the same key with
another body is refused. "The same body" means the same JSON: the body is
compared parsed, in canonical form (keys sorted, no spacing, escapes
decoded), so a client that re-serialises its request is not refused.

The stored record holds the link's URL, and the URL is the customer's bearer
credential, so the record is encrypted with a key derived for this purpose
from ``CHECKOUT_SECRET_KEYS`` and bound to its Redis key: Redis, its AOF and
its backups hold nothing a link can be rebuilt from without the service's
secrets.

Two racing first attempts both issue a link, but only the one whose record
lands first is ever returned: links are stateless, so the other one, never
shown to anybody, is as good as never made.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import TypeVar

import msgspec

from checkout_links.core.crypto.keyring import KeyRing
from checkout_links.core.errors import Conflict, FieldError, InvalidToken, ValidationFailed
from checkout_links.core.i18n.messages import INVALID
from checkout_links.core.primitives.jsonutil import dumps
from checkout_links.core.records import IssuedLink
from checkout_links.core.storage import redis_keys as keys
from checkout_links.core.storage.connection import Redis

TTL_SECONDS = 24 * 3600
MAX_KEY_LENGTH = 255
PURPOSE = "checkout-links/idempotency-record/v1"


class StoredResponse(msgspec.Struct, frozen=True):
    """The record of a link, sealed before it is stored: the first body's fingerprint and its
    response (an order action's record has the same shape, with the order as response)."""

    body: str
    response: IssuedLink


def _mismatch() -> ValidationFailed:
    return ValidationFailed(
        INVALID,
        errors=[
            FieldError(
                ("header", "Idempotency-Key"),
                "Use a new Idempotency-Key: this one came with another body.",
            )
        ],
    )


# Sorted keys, no spacing, escapes decoded: one spelling for equal JSON.
_canonical = msgspec.json.Encoder(order="sorted").encode


def fingerprint(body: bytes) -> str:
    """A hash of the JSON ``body`` in canonical form: equal for equal JSON however spelled.

    The body was validated first, so it parses (and every number in it is a bounded
    quantity, written the same by any shortest-form encoder).
    """
    return hashlib.sha256(_canonical(msgspec.json.decode(body))).hexdigest()


R = TypeVar("R", bound=msgspec.Struct)


class _Sealed(msgspec.Struct, frozen=True):
    """A record as opened, whatever answer it holds: read the fingerprint first."""

    body: str
    response: msgspec.Raw


def run(
    client: Redis,
    keyring: KeyRing,
    merchant_id: str,
    key: str,
    body: bytes,
    issue: Callable[[], IssuedLink],
) -> tuple[IssuedLink, bool]:
    """Return ``(response, replayed)`` for an idempotent link creation."""
    return run_action(client, keyring, merchant_id, key, "", body, issue, IssuedLink)


def run_action(
    client: Redis,
    keyring: KeyRing,
    merchant_id: str,
    key: str,
    scope: str,
    body: bytes,
    act: Callable[[], R],
    answer: type[R],
) -> tuple[R, bool]:
    """Return ``(response, replayed)`` for an idempotent request: ``act()``'s answer the first
    time, the stored one on a retry with the same key, ``scope`` and body.

    ``scope`` names what was asked (``orders/<id>/refund``; ``""`` for a link), so one
    key sent to two endpoints is the key reused with another request (422). An empty
    ``body`` counts as ``{}``.
    """
    if not key or len(key) > MAX_KEY_LENGTH:
        raise ValidationFailed(
            INVALID,
            errors=[
                FieldError(
                    ("header", "Idempotency-Key"), "Use an Idempotency-Key of 1 to 255 characters."
                )
            ],
        )
    record_key = keys.idempotency(merchant_id, hashlib.sha256(key.encode()).hexdigest())
    context = record_key.encode()
    body_hash = fingerprint(body or b"{}")
    if scope:
        body_hash = hashlib.sha256(f"{scope}\n{body_hash}".encode()).hexdigest()
    replay = _replay(keyring, context, client.get(record_key), body_hash, answer)
    if replay is not None:
        return replay, True
    response = act()
    record = keyring.encrypt(PURPOSE, dumps({"body": body_hash, "response": response}), context)
    if client.set(record_key, record, nx=True, ex=TTL_SECONDS):
        return response, False
    # A concurrent first attempt stored its response first: answer with that one.
    replay = _replay(keyring, context, client.get(record_key), body_hash, answer)
    if replay is not None:
        return replay, True
    # The record expired in between (the 24 h edge): this attempt is the first.
    client.set(record_key, record, ex=TTL_SECONDS)
    return response, False


def _replay(
    keyring: KeyRing,
    context: bytes,
    raw: bytes | str | None,
    body_hash: str,
    answer: type[R],
) -> R | None:
    if raw is None:
        return None
    blob = raw.encode() if isinstance(raw, str) else raw
    try:
        record = _decode_sealed(keyring.decrypt(PURPOSE, blob, context))
    except InvalidToken as exc:
        # Sealed with a secret since removed from CHECKOUT_SECRET_KEYS: the
        # answer cannot be given again, and issuing another link could give
        # the merchant two. The merchant retries with a new key.
        raise Conflict(
            "The answer stored for this Idempotency-Key can no longer be read; "
            "send the request with a new key."
        ) from exc
    if record.body != body_hash:
        raise _mismatch()
    return msgspec.json.decode(record.response, type=answer)


_decode_sealed = msgspec.json.Decoder(_Sealed).decode
