"""CSRF tokens of the checkout form, which double as the spend's request id."""

from __future__ import annotations

import hmac
import os

from checkout_links.core.crypto.encoding import b64decode, b64encode
from checkout_links.core.crypto.keyring import KeyRing
from checkout_links.core.errors import InvalidToken

_CSRF_PURPOSE = "checkout-links/csrf/v2"
_CSRF_MAC = 16


class FormTokens:
    """CSRF tokens for the checkout form, bound to one link, that double as request ids.

    ``base64url(nonce 12 | issued at, 4 | HMAC-SHA256(link | nonce | time)[:16])``.
    No cookie and no Referer are needed (the page sends no Referer on purpose):
    only the service can mint a token for a link, and a cross-site form would
    need one taken from that link's own page. The nonce becomes the spend's
    request id, so a resubmitted form is recognised as the same attempt.
    """

    def __init__(self, keyring: KeyRing) -> None:
        self.keyring = keyring

    @staticmethod
    def _mac(key: bytes, link_rand: bytes, body: bytes) -> bytes:
        return hmac.new(key, link_rand + body, "sha256").digest()[:_CSRF_MAC]

    def make(self, link_rand: bytes, now: int) -> str:
        body = os.urandom(12) + now.to_bytes(4, "big")
        key = self.keyring.signing_key(_CSRF_PURPOSE)
        return b64encode(body + self._mac(key, link_rand, body))

    def check(self, token: str, link_rand: bytes, now: int, max_age: int) -> str | None:
        """The token's nonce (the request id) if it is ours, fresh and for this link."""
        if len(token) != 43:
            return None
        try:
            blob = b64decode(token)
        except InvalidToken:
            return None
        body, mac = blob[:16], blob[16:]
        issued = int.from_bytes(body[12:16], "big")
        if not issued - 300 <= now <= issued + max_age:
            return None
        for key in self.keyring.verifying_keys(_CSRF_PURPOSE):
            if hmac.compare_digest(self._mac(key, link_rand, body), mac):
                return b64encode(body[:12])
        return None
