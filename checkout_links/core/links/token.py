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

import zlib

import msgspec

from checkout_links.core.crypto.encoding import b64decode, b64encode
from checkout_links.core.crypto.keyring import KeyRing
from checkout_links.core.errors import InvalidToken

VERSION = 1
_FLAG_DEFLATED = 0x1
#: Header and key id, nonce, and the tag: the shortest blob that can be a token.
_MIN_BLOB = 2 + 12 + 16
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


class QuantityBounds(msgspec.Struct, array_like=True, frozen=True):
    """The quantities the customer may choose for a line, inclusive."""

    minimum: int
    maximum: int


class LinkDiscount(msgspec.Struct, array_like=True, frozen=True):
    """A merchant's discount: ``percent_bp`` hundredths of a percent (1000 = 10 %) or
    ``amount_minor`` in the link currency's minor units, and an optional label."""

    percent_bp: int | None = None
    amount_minor: int | None = None
    label: str | None = None


class OptionalItem(msgspec.Struct, array_like=True, frozen=True):
    """An offer the customer may add; ``replaces`` makes it an up-sell for that line."""

    line: CartLine
    bounds: QuantityBounds | None = None
    discount: LinkDiscount | None = None
    replaces: int | None = None


class Choices(msgspec.Struct, array_like=True, frozen=True):
    """What the customer may change: carried only by links that offer choices.

    ``bounds`` and ``discounts``, when present, hold one entry per line of
    :attr:`LinkPayload.lines` (``None`` for a line without).
    """

    bounds: list[QuantityBounds | None] | None = None
    discounts: list[LinkDiscount | None] | None = None
    optional: list[OptionalItem] | None = None
    discount: LinkDiscount | None = None
    promotion_codes: bool = False


#: A seller's text: one for every page, or per locale (CLDR tags, ``core/links/custom_fields.py``).
Label = str | dict[str, str]


class FieldOption(msgspec.Struct, array_like=True, frozen=True):
    """One choice of a dropdown: the value the order records, the label the customer reads."""

    value: str
    label: Label


class CustomField(msgspec.Struct, array_like=True, omit_defaults=True, frozen=True):
    """A question the checkout form asks (``cf_<key>``); the order holds the answer."""

    key: str
    label: Label
    #: ``text``, ``numeric`` or ``dropdown``.
    type: str = "text"
    optional: bool = False
    #: A dropdown's choices, in the seller's order.
    options: list[FieldOption] | None = None


class LinkPayload(msgspec.Struct, array_like=True, omit_defaults=True, frozen=True):
    """Everything a link carries.

    Fields are only ever appended, with defaults: msgpack arrays are decoded
    by position, so a token issued before a field existed still decodes.
    """

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
    choices: Choices | None = None
    #: The seller's questions (0..3); ``None`` for a link without.
    custom_fields: list[CustomField] | None = None


_ENCODER = msgspec.msgpack.Encoder()
_DECODER = msgspec.msgpack.Decoder(LinkPayload)


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
        return b64encode(self.keyring.seal(raw, header))

    def decode(self, token: str) -> LinkPayload:
        """Verify and decrypt ``token``; any defect raises :class:`InvalidToken`.

        Expiry is *not* judged here: the ledger judges it against one clock.
        """
        if len(token) > 16384 or len(token) < 40:
            raise InvalidToken()
        blob = b64decode(token)
        if len(blob) < _MIN_BLOB or blob[0] >> 4 != VERSION:
            raise InvalidToken()
        raw = self.keyring.open(blob)
        if blob[0] & _FLAG_DEFLATED:
            inflater = zlib.decompressobj(_WBITS)
            try:
                raw = inflater.decompress(raw, _MAX_PLAINTEXT)
            except zlib.error as exc:
                raise InvalidToken() from exc
            if inflater.unconsumed_tail:
                raise InvalidToken()
        try:
            return _DECODER.decode(raw)
        except (msgspec.DecodeError, msgspec.ValidationError):
            # Not chained: the decoder may quote a value of the decrypted payload.
            raise InvalidToken() from None
