"""The link token: the whole dynamic cart, encrypted and authenticated.

Wire format (then base64url without padding)::

    header (1 byte: version << 4 | flags) | key id (1 byte) | nonce (12) | ciphertext + tag (16)

* The plaintext is the :class:`LinkPayload` as msgpack arrays (field order is
  the tag, so no field names are carried), raw-deflated when that is shorter.
* AES-256-GCM-SIV encrypts it, with the 2 header bytes as associated data.
  SIV keeps a repeated random nonce from leaking anything but equality, so
  one key can sign as many links as a busy service issues between rotations.
* Keys are derived per purpose from ``CHECKOUT_SECRET_KEYS`` with HKDF; the
  newest secret encrypts, all of them decrypt (rotation), and the key id byte
  lets a decoder skip keys that cannot match.

Catalog properties are not carried: each line names a product *revision*,
which is immutable, so the cart shown later is exactly the one issued.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import zlib
from collections.abc import Sequence
from functools import cached_property

import msgspec
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCMSIV
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from checkout_links.errors import InvalidToken

VERSION = 1
_FLAG_DEFLATED = 0x1
_NONCE = 12
_TAG = 16
_HEADER = 2
#: Raw deflate with a 4 KiB window: carts are small, and the smaller window
#: costs a third of the default's time and memory per call.
_WBITS = -12
_MAX_PLAINTEXT = 256 * 1024


class Subscription(msgspec.Struct, array_like=True, frozen=True):
    interval: str
    interval_count: int = 1


class CartLine(msgspec.Struct, array_like=True, omit_defaults=True, frozen=True):
    """One dynamic product: a product revision plus what the link overrides."""

    product_id: str
    rev: int
    quantity: int = 1
    #: Unit price in the link currency's minor units (``"12.50"`` EUR → 1250).
    price_minor: int | None = None
    name: str | None = None
    sku: str | None = None
    vendor_code: str | None = None
    name_for_invoice: str | None = None
    description: str | None = None
    properties: dict[str, str] | None = None
    subscription: Subscription | None = None


class Customer(msgspec.Struct, array_like=True, omit_defaults=True, frozen=True):
    """Customer data to pre-fill; ordered so that often-empty fields come last."""

    email: str = ""
    first_name: str = ""
    last_name: str = ""
    country: str = ""
    city: str = ""
    postal_code: str = ""
    address: str = ""
    company: str = ""
    phone: str = ""
    tax_id: str = ""
    region: str = ""
    language: str = ""


class LinkPayload(msgspec.Struct, array_like=True, omit_defaults=True, frozen=True):
    """Everything a link carries."""

    link_rand: bytes
    merchant_id: str
    issued_at: int
    expires_at: int
    currency: str
    lines: list[CartLine]
    customer: Customer | None = None
    additional_data: dict[str, str] | None = None
    external_ref: str | None = None
    return_url: str | None = None
    locale: str | None = None


_ENCODER = msgspec.msgpack.Encoder()
_DECODER = msgspec.msgpack.Decoder(LinkPayload)


def derive_key(secret: str, purpose: str) -> bytes:
    """A 32-byte key for ``purpose`` from one configured secret (HKDF-SHA256)."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose.encode())
    return hkdf.derive(secret.encode())


class KeyRing:
    """The configured secrets, newest last, turned into per-purpose keys."""

    def __init__(self, secrets: Sequence[str]) -> None:
        if not secrets:
            raise ValueError("at least one secret is needed")
        self._secrets = tuple(secrets)

    @cached_property
    def _aeads(self) -> list[tuple[int, AESGCMSIV]]:
        """(key id, cipher) newest first."""
        out = []
        for secret in reversed(self._secrets):
            key = derive_key(secret, "checkout-links/link-token/v1")
            out.append((hashlib.sha256(key).digest()[0], AESGCMSIV(key)))
        return out

    def mac_keys(self, purpose: str) -> list[bytes]:
        """HMAC keys for ``purpose``, newest first (the first one signs)."""
        cache = self.__dict__.setdefault("_mac_cache", {})
        if purpose not in cache:
            cache[purpose] = [derive_key(s, purpose) for s in reversed(self._secrets)]
        keys: list[bytes] = cache[purpose]
        return keys

    def seal(self, plaintext: bytes, header: bytes) -> bytes:
        kid, aead = self._aeads[0]
        head = header + bytes([kid])
        nonce = os.urandom(_NONCE)
        return head + nonce + aead.encrypt(nonce, plaintext, head)

    def open(self, blob: bytes) -> bytes:
        head, nonce, body = blob[:_HEADER], blob[_HEADER : _HEADER + _NONCE], blob[14:]
        for kid, aead in self._aeads:
            if kid != head[1]:
                continue
            try:
                return aead.decrypt(nonce, body, head)
            except InvalidTag:
                continue
        raise InvalidToken()


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    """Decode unpadded base64url, accepting only the one spelling ``_b64encode`` makes."""
    try:
        data = base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        raise InvalidToken() from None
    # b64decode also takes "+" and "/", "=" padding and stray low bits in the last
    # character, so a link id with one character altered ("-" -> "+") still
    # verified. Only the canonical spelling names a token or an id.
    if _b64encode(data) != text:
        raise InvalidToken()
    return data


class TokenCodec:
    """Encode and decode link tokens with a :class:`KeyRing`."""

    def __init__(self, keyring: KeyRing) -> None:
        self.keyring = keyring

    def encode(self, payload: LinkPayload) -> str:
        """Serialise, compress where it pays, encrypt and base64url ``payload``."""
        raw = _ENCODER.encode(payload)
        flags = 0
        packed = zlib.compress(raw, 6, _WBITS)
        if len(packed) < len(raw):
            raw, flags = packed, _FLAG_DEFLATED
        header = bytes([VERSION << 4 | flags])
        return _b64encode(self.keyring.seal(raw, header))

    def decode(self, token: str) -> LinkPayload:
        """Verify and decrypt ``token``; any defect raises :class:`InvalidToken`.

        Expiry is *not* judged here: the ledger judges it against one clock.
        """
        if len(token) > 16384 or len(token) < 40:
            raise InvalidToken()
        blob = _b64decode(token)
        if len(blob) < _HEADER + _NONCE + _TAG or blob[0] >> 4 != VERSION:
            raise InvalidToken()
        raw = self.keyring.open(blob)
        if blob[0] & _FLAG_DEFLATED:
            inflater = zlib.decompressobj(_WBITS)
            try:
                raw = inflater.decompress(raw, _MAX_PLAINTEXT)
            except zlib.error:
                raise InvalidToken() from None
            if inflater.unconsumed_tail:
                raise InvalidToken()
        try:
            return _DECODER.decode(raw)
        except (msgspec.DecodeError, msgspec.ValidationError):
            raise InvalidToken() from None


_LINK_ID_MAC = 10
_LINK_ID_PURPOSE = "checkout-links/link-id/v1"


class LinkIds:
    """Link ids that carry the link's random id and expiry under a MAC.

    ``lnk_`` + base64url(random 16 bytes | expiry, 4 bytes | MAC 10 bytes), the
    MAC also covering the merchant id, so a link id names its merchant and
    expiry without any stored row, and another merchant's id does not verify.
    """

    def __init__(self, keyring: KeyRing) -> None:
        self.keyring = keyring

    @staticmethod
    def _mac(key: bytes, body: bytes, merchant_id: str) -> bytes:
        return hmac.new(key, body + merchant_id.encode(), "sha256").digest()[:_LINK_ID_MAC]

    def make(self, link_rand: bytes, expires_at: int, merchant_id: str) -> str:
        body = link_rand + expires_at.to_bytes(4, "big")
        mac = self._mac(self.keyring.mac_keys(_LINK_ID_PURPOSE)[0], body, merchant_id)
        return "lnk_" + _b64encode(body + mac)

    def parse(self, link_id: str, merchant_id: str) -> tuple[bytes, int]:
        """Return ``(link_rand, expires_at)``; :class:`InvalidToken` unless it verifies."""
        if not link_id.startswith("lnk_") or len(link_id) != 44:
            raise InvalidToken()
        blob = _b64decode(link_id[4:])
        if len(blob) != 30:
            raise InvalidToken()
        body, mac = blob[:20], blob[20:]
        for key in self.keyring.mac_keys(_LINK_ID_PURPOSE):
            if hmac.compare_digest(self._mac(key, body, merchant_id), mac):
                return body[:16], int.from_bytes(body[16:20], "big")
        raise InvalidToken()


def order_id_for(link_rand: bytes) -> str:
    """The order id a link's order gets: stable, so a retried spend finds its own order."""
    return "ord_" + _b64encode(link_rand)


def event_id_for(link_rand: bytes) -> str:
    """The id of the ``order.created`` event of a link's order (the same on every retry)."""
    return "evt_" + _b64encode(link_rand)


def _rand_of(prefix: str, value: str) -> bytes:
    if not value.startswith(prefix) or len(value) != 26:
        raise InvalidToken()
    blob = _b64decode(value[4:])
    if len(blob) != 16:
        raise InvalidToken()
    return blob


def link_rand_of_order(order_id: str) -> bytes:
    """Inverse of :func:`order_id_for`; :class:`InvalidToken` for a malformed id."""
    return _rand_of("ord_", order_id)


def link_rand_of_event(event_id: str) -> bytes:
    """Inverse of :func:`event_id_for`; :class:`InvalidToken` for a malformed id."""
    return _rand_of("evt_", event_id)


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
        key = self.keyring.mac_keys(_CSRF_PURPOSE)[0]
        return _b64encode(body + self._mac(key, link_rand, body))

    def check(self, token: str, link_rand: bytes, now: int, max_age: int) -> str | None:
        """The token's nonce (the request id) if it is ours, fresh and for this link."""
        if len(token) != 43:
            return None
        try:
            blob = _b64decode(token)
        except InvalidToken:
            return None
        body, mac = blob[:16], blob[16:]
        issued = int.from_bytes(body[12:16], "big")
        if not issued - 300 <= now <= issued + max_age:
            return None
        for key in self.keyring.mac_keys(_CSRF_PURPOSE):
            if hmac.compare_digest(self._mac(key, link_rand, body), mac):
                return _b64encode(body[:12])
        return None
