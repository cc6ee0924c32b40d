"""``Idempotency-Key`` for ``POST /api/v1/links``.

The first response for a key is stored for 24 h with a hash of its body. A
retry with the same key and body gets that response again, so a merchant's
retry never yields a second usable link; the same key with another body is
refused. Two racing first attempts both issue a link, but only the one whose
record lands first is ever returned: links are stateless, so the other one,
never shown to anybody, is as good as never made.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import msgspec

from checkout_links.core import keys
from checkout_links.core.errors import ValidationFailed
from checkout_links.core.jsonutil import dumps
from checkout_links.core.messages import INVALID
from checkout_links.core.records import IssuedLink
from checkout_links.core.store import Redis

TTL_SECONDS = 24 * 3600
MAX_KEY_LENGTH = 255


class StoredResponse(msgspec.Struct, frozen=True):
    """The stored record: a hash of the first request's body and its response."""

    body: str
    response: IssuedLink


_decode_stored = msgspec.json.Decoder(StoredResponse).decode


def _mismatch() -> ValidationFailed:
    return ValidationFailed(
        INVALID,
        errors=[
            {
                "loc": ["header", "Idempotency-Key"],
                "msg": "Use a new Idempotency-Key: this one came with another body.",
            }
        ],
    )


def run(
    client: Redis,
    merchant_id: str,
    key: str,
    body: bytes,
    issue: Callable[[], IssuedLink],
) -> tuple[IssuedLink, bool]:
    """Return ``(response, replayed)`` for an idempotent link creation."""
    if not key or len(key) > MAX_KEY_LENGTH:
        raise ValidationFailed(
            INVALID,
            errors=[
                {
                    "loc": ["header", "Idempotency-Key"],
                    "msg": "Use an Idempotency-Key of 1 to 255 characters.",
                }
            ],
        )
    record_key = keys.idempotency(merchant_id, hashlib.sha256(key.encode()).hexdigest())
    body_hash = hashlib.sha256(body).hexdigest()
    replay = _replay(client.get(record_key), body_hash)
    if replay is not None:
        return replay, True
    response = issue()
    record = dumps(StoredResponse(body=body_hash, response=response))
    if client.set(record_key, record, nx=True, ex=TTL_SECONDS):
        return response, False
    # A concurrent first attempt stored its response first: answer with that one.
    replay = _replay(client.get(record_key), body_hash)
    if replay is not None:
        return replay, True
    # The record expired in between (the 24 h edge): this attempt is the first.
    client.set(record_key, record, ex=TTL_SECONDS)
    return response, False


def _replay(raw: bytes | str | None, body_hash: str) -> IssuedLink | None:
    if raw is None:
        return None
    record = _decode_stored(raw)
    if record.body != body_hash:
        raise _mismatch()
    return record.response
