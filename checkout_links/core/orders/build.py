"""The order record a checkout stores: built from the link and the customer's answers.

The record is what the ledger writes with the link's spend
(:class:`~checkout_links.core.ledger.store.SpendRequest`);
:meth:`~checkout_links.core.records.Order.public` is what the API and
webhooks show of it.
"""

from __future__ import annotations

from decimal import Decimal

from checkout_links.core.links.issue import total_of
from checkout_links.core.links.offers import discount_rows
from checkout_links.core.links.token import LinkPayload
from checkout_links.core.money import quantize
from checkout_links.core.pricing import PricedCart
from checkout_links.core.primitives.clock import iso_ms
from checkout_links.core.records import (
    Consent,
    Customer,
    CustomFieldRow,
    DeliveryAddress,
    Line,
    Order,
    Payment,
)


def no_payment(currency: str) -> Payment:
    """The payment of an order of provider ``none``: nothing to pay through the service."""
    zero = quantize(Decimal(0), currency)
    return Payment(provider="none", status="not_required", amount_paid=zero, amount_refunded=zero)


def build_order(
    *,
    order_id: str,
    link_id: str,
    payload: LinkPayload,
    lines: tuple[Line, ...],
    customer: Customer,
    created_ms: int,
    priced: PricedCart | None = None,
    locale: str | None = None,
    number: str | None = None,
    payment: Payment | None = None,
    consent: Consent | None = None,
    delivery_address: DeliveryAddress | None = None,
    custom_fields: dict[str, str] | None = None,
    custom_field_rows: tuple[CustomFieldRow, ...] = (),
) -> Order:
    """The order record as stored.

    ``priced`` is the customer's choice as priced (links with cart choices);
    ``lines`` are then the chosen lines. Without it the cart is as issued.
    ``locale`` is the one the page spoke (kept for the receipt and the
    confirmation); without it, the link's. ``number`` and ``payment`` are the
    order number (``orders/numbers.py``) and the initial payment
    (``payments/state.py``); without a payment, provider ``none``'s. ``consent``
    is what the customer accepted, when the seller asked; ``delivery_address`` where
    the physical lines go (``None``: none is physical); ``custom_fields`` the
    answers to the link's custom fields by key and ``custom_field_rows`` them as
    the customer read them (``checkout/custom_fields.py``). ``priced.total`` is what
    the customer pays (tax included when it is added to the prices): the order's
    ``total``, which a payment charges.
    """
    total = priced.total if priced is not None else total_of(lines)
    zero = quantize(Decimal(0), payload.currency)
    return Order(
        id=order_id,
        link_id=link_id,
        number=number,
        payment=payment if payment is not None else no_payment(payload.currency),
        merchant_id=payload.merchant_id,
        created_at=iso_ms(created_ms),
        currency=payload.currency,
        total=total,
        lines=lines,
        customer=customer,
        additional_data=dict(payload.additional_data or {}),
        external_ref=payload.external_ref,
        locale=locale if locale is not None else payload.locale,
        subtotal=priced.subtotal if priced is not None else total,
        discounts=discount_rows(priced) if priced is not None else (),
        promotion_code=priced.promotion_code if priced is not None else None,
        tax=priced.tax if priced is not None else (),
        tax_total=priced.tax_total if priced is not None and priced.line_taxes else zero,
        prices_include_tax=priced.prices_include_tax if priced is not None else False,
        reverse_charge=priced.reverse_charge if priced is not None else False,
        consent=consent,
        delivery_address=delivery_address,
        custom_fields=custom_fields or {},
        custom_field_rows=custom_field_rows,
    )
