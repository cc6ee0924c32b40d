"""The customer's personal data in a stored order, encrypted at rest.

An order is written to Redis with its personal fields (:data:`PERSONAL`: the
customer's name, email, phone, addresses, tax id and language, the link's
``additional_data``, the ``delivery_address`` and the answers to the custom fields,
``custom_fields`` with their ``custom_field_rows``) taken out and sealed into one
field, ``sealed``: AES-256-GCM-SIV
under a key derived for :data:`PURPOSE` from the newest of
``CHECKOUT_SECRET_KEYS`` (``core/crypto/keyring.py``), with the order id as
associated data, so a sealed field copied into another order does not open.
Everything else (lines, amounts, ids, times) stays readable for the indexes,
the retention pass and an operator. No Redis value, AOF line or backup then
holds a customer readable without the service's keys.

This is a wrapper at serialization, the one place orders are written
(:func:`seal`) and read (:func:`unseal`); the record itself
(:class:`~checkout_links.core.records.Order`) and everything built from it, the
API, webhooks, exports and emails, are unchanged. Orders stored before sealing
(no ``sealed`` field) are read as they are.

Key rotation: a secret added to the end of ``CHECKOUT_SECRET_KEYS`` seals new
orders; every configured secret opens. Before removing a secret, run
``checkout-links orders reseal`` so no stored order still needs it; an order no
configured key opens reads with its personal fields empty (and a warning).
"""

from __future__ import annotations

import base64
import logging
from typing import Any

import msgspec

from checkout_links.core.crypto.keyring import KeyRing
from checkout_links.core.errors import InvalidToken
from checkout_links.core.primitives.jsonutil import dumps
from checkout_links.core.records import Customer, CustomFieldRow, DeliveryAddress, Order

log = logging.getLogger(__name__)

#: The key ring purpose of the sealed field.
PURPOSE = "checkout-links/order-personal-data/v1"
#: The order's fields that hold personal data.
PERSONAL = (
    "customer",
    "additional_data",
    "delivery_address",
    "custom_fields",
    "custom_field_rows",
)


class Personal(msgspec.Struct, frozen=True, kw_only=True):
    """What the sealed field holds."""

    customer: Customer = Customer()
    additional_data: dict[str, str] = {}
    delivery_address: DeliveryAddress | None = None
    custom_fields: dict[str, str] = {}
    custom_field_rows: tuple[CustomFieldRow, ...] = ()


class StoredOrder(Order, frozen=True, kw_only=True):
    """An order as its Redis value: personal fields empty, their values in ``sealed``."""

    #: base64url of the sealed :class:`Personal`; ``None``: not sealed (older, or erased).
    sealed: str | None = None


_decode_stored = msgspec.json.Decoder(StoredOrder).decode
_decode_personal = msgspec.json.Decoder(Personal).decode
_EMPTY = Personal()
_NOWHERE = DeliveryAddress()


def _context(order_id: str) -> bytes:
    return b"order:" + order_id.encode()


def _fields(order: Order) -> dict[str, Any]:
    return {f: getattr(order, f) for f in order.__struct_fields__}


def _without_personal(order: Order) -> dict[str, Any]:
    """``order``'s fields with the personal ones emptied (a delivery address stays
    an empty one, so that the stored value still says the order has one)."""
    address = order.delivery_address
    return {
        **_fields(order),
        "customer": _EMPTY.customer,
        "additional_data": {},
        "delivery_address": None if address is None else _NOWHERE,
        "custom_fields": {},
        "custom_field_rows": (),
    }


def seal(keyring: KeyRing, order: Order) -> bytes:
    """The Redis value of ``order``: its personal fields sealed, the rest as it is."""
    personal = Personal(
        customer=order.customer,
        additional_data=order.additional_data,
        delivery_address=order.delivery_address,
        custom_fields=order.custom_fields,
        custom_field_rows=order.custom_field_rows,
    )
    blob = keyring.encrypt(PURPOSE, dumps(personal), _context(order.id))
    stored = StoredOrder(
        **_without_personal(order),
        sealed=base64.urlsafe_b64encode(blob).rstrip(b"=").decode(),
    )
    return dumps(stored)


def read_stored(raw: bytes | str) -> StoredOrder:
    """The order a Redis value holds as stored: personal fields empty, ``sealed`` unopened.

    For steps that change an order without its personal data (a payment's
    transition, a renumbered spend): re-encoded, it keeps the sealed field as it was.
    """
    return _decode_stored(raw)


def erased(order: Order) -> bytes:
    """The Redis value of ``order`` with every personal field erased (nothing sealed)."""
    return dumps(StoredOrder(**_without_personal(order)))


def unseal(keyring: KeyRing, raw: bytes | str, *, strict: bool = False) -> Order:
    """The order a Redis value holds, its personal fields opened.

    A sealed field no configured key opens reads as empty personal data, or raises
    :class:`~checkout_links.core.errors.InvalidToken` when ``strict``.
    """
    stored = _decode_stored(raw)
    fields = _fields(stored)
    sealed = fields.pop("sealed")
    if sealed is not None:
        personal = _open(keyring, stored.id, sealed, strict=strict)
        fields["customer"] = personal.customer
        fields["additional_data"] = personal.additional_data
        fields["custom_fields"] = personal.custom_fields
        fields["custom_field_rows"] = personal.custom_field_rows
        if stored.delivery_address is not None:
            # Opened with a key no longer configured: the order still has an (empty) address.
            fields["delivery_address"] = personal.delivery_address or _NOWHERE
    return Order(**fields)


def _open(keyring: KeyRing, order_id: str, sealed: str, *, strict: bool) -> Personal:
    try:
        blob = base64.urlsafe_b64decode(sealed + "=" * (-len(sealed) % 4))
        return _decode_personal(keyring.decrypt(PURPOSE, blob, _context(order_id)))
    except (InvalidToken, ValueError, msgspec.DecodeError) as exc:
        if strict:
            raise InvalidToken() from exc
        # Its key was removed from CHECKOUT_SECRET_KEYS (or the value was changed by
        # hand): the order stays usable, without the data no configured key opens.
        log.warning("order personal data does not open", extra={"order_id": order_id})
        return _EMPTY


def is_sealed_with_newest(keyring: KeyRing, raw: bytes | str) -> bool:
    """Whether a Redis value needs no reseal: sealed with the newest key, or holding no
    personal data (erased); an order stored before sealing needs one."""
    stored = _decode_stored(raw)
    if stored.sealed is None:
        return (
            stored.customer == _EMPTY.customer
            and not stored.additional_data
            and not stored.custom_fields
            and stored.delivery_address in (None, _NOWHERE)
        )
    blob = base64.urlsafe_b64decode(stored.sealed + "=" * (-len(stored.sealed) % 4))
    return keyring.sealed_with_newest(PURPOSE, blob, _context(stored.id))
