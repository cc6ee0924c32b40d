"""Ids the service hands out: link ids, order ids and event ids.

A link id carries its link's random id and expiry under a MAC bound to the
merchant, so it needs no stored row; order and event ids are derived from the
link's random id, so a retried spend finds its own order.
"""

from __future__ import annotations

import hmac

from checkout_links.core.crypto.encoding import b64decode, b64encode
from checkout_links.core.crypto.keyring import KeyRing
from checkout_links.core.errors import InvalidToken
from checkout_links.core.storage import redis_keys as keys

_LINK_ID_MAC = 10
_LINK_ID_PURPOSE = "checkout-links/link-id/v1"


class LinkIds:
    """Link ids that carry the link's random id and expiry under a MAC.

    ``lnk_`` + base64url(random id | expiry, 4 bytes | MAC 10 bytes), the
    MAC also covering the merchant id, so a link id names its merchant and
    expiry without any stored row, and another merchant's id does not verify.
    The random id is 18 bytes (16 random, then the shard; see
    :func:`keys.new_link_rand`): 47 characters.
    """

    def __init__(self, keyring: KeyRing) -> None:
        self.keyring = keyring

    @staticmethod
    def _mac(key: bytes, body: bytes, merchant_id: str) -> bytes:
        return hmac.new(key, body + merchant_id.encode(), "sha256").digest()[:_LINK_ID_MAC]

    def make(self, link_rand: bytes, expires_at: int, merchant_id: str) -> str:
        if len(link_rand) != keys.RAND_BYTES:
            raise ValueError(f"a link's random id is {keys.RAND_BYTES} bytes")
        body = link_rand + expires_at.to_bytes(4, "big")
        mac = self._mac(self.keyring.signing_key(_LINK_ID_PURPOSE), body, merchant_id)
        return "lnk_" + b64encode(body + mac)

    def parse(self, link_id: str, merchant_id: str) -> tuple[bytes, int]:
        """Return ``(link_rand, expires_at)``; :class:`InvalidToken` unless it verifies."""
        if not link_id.startswith("lnk_") or len(link_id) != 47:
            raise InvalidToken()
        blob = b64decode(link_id[4:])
        if len(blob) != keys.RAND_BYTES + 4 + _LINK_ID_MAC:
            raise InvalidToken()
        body, mac = blob[:-_LINK_ID_MAC], blob[-_LINK_ID_MAC:]
        for key in self.keyring.verifying_keys(_LINK_ID_PURPOSE):
            if hmac.compare_digest(self._mac(key, body, merchant_id), mac):
                return body[:-4], int.from_bytes(body[-4:], "big")
        raise InvalidToken()


def order_id_for(link_rand: bytes) -> str:
    """The order id a link's order gets: stable, so a retried spend finds its own order."""
    return "ord_" + b64encode(link_rand)


def event_id_for(link_rand: bytes) -> str:
    """The id of the ``order.created`` event of a link's order (the same on every retry)."""
    return "evt_" + b64encode(link_rand)


def _rand_of(prefix: str, value: str) -> bytes:
    # 28 characters: the prefix and an 18-byte random id in base64url.
    if not value.startswith(prefix) or len(value) != 28:
        raise InvalidToken()
    blob = b64decode(value[4:])
    if not keys.valid_rand(blob):
        raise InvalidToken()
    return blob


def link_rand_of_order(order_id: str) -> bytes:
    """Inverse of :func:`order_id_for`; :class:`InvalidToken` for a malformed id."""
    return _rand_of("ord_", order_id)


def link_rand_of_event(event_id: str) -> bytes:
    """Inverse of :func:`event_id_for`; :class:`InvalidToken` for a malformed id."""
    return _rand_of("evt_", event_id)
