"""Unpadded base64url, in the one canonical spelling tokens and ids use."""

from __future__ import annotations

import base64
import binascii

from checkout_links.core.errors import InvalidToken


def b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64decode(text: str) -> bytes:
    """Decode unpadded base64url, accepting only the one spelling ``b64encode`` makes."""
    try:
        data = base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidToken() from exc
    # b64decode also takes "+" and "/", "=" padding and stray low bits in the
    # last character; only the canonical spelling names a token or an id, so a
    # link id with one character altered ("-" -> "+") is refused.
    if b64encode(data) != text:
        raise InvalidToken()
    return data


def text(value: bytes | str) -> str:
    """A Redis reply as ``str``: clients built with ``decode_responses`` give str, others bytes."""
    return value.decode() if isinstance(value, bytes) else value
