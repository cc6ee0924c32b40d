"""Issuing links: merge each requested line with its original product.

Nothing is written when a link is issued; the token carries the cart. The
same merge turns a token back into the lines shown to the customer, from the
product revisions the token names.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from decimal import Decimal
from typing import cast

from msgspec import UnsetType

from checkout_links.core import pricing
from checkout_links.core.catalog.products import Catalog
from checkout_links.core.config import Settings
from checkout_links.core.errors import FieldError, ValidationFailed
from checkout_links.core.i18n.locales import PageLocale, issued_locale, text_tags
from checkout_links.core.i18n.messages import INVALID
from checkout_links.core.links import custom_fields, offers
from checkout_links.core.links.choices import LinkChoicesIn
from checkout_links.core.links.ids import LinkIds
from checkout_links.core.links.token import CartLine, LinkPayload, TokenCodec
from checkout_links.core.links.token import Customer as TokenCustomer
from checkout_links.core.links.token import Subscription as TokenSubscription
from checkout_links.core.money import MAX_AMOUNT, minor_units, parse_amount
from checkout_links.core.primitives.clock import iso_seconds
from checkout_links.core.records import (
    Interval,
    IssuedLink,
    Line,
    Merchant,
    Product,
    ProductText,
    Subscription,
)
from checkout_links.core.schemas import CustomerIn, LinkIn, LinkLineIn
from checkout_links.core.storage import redis_keys as keys

_TEXT_FIELDS = ("name", "sku", "vendor_code", "name_for_invoice", "description")
#: Fields of a line that set the customer's choices, not properties of the product.
_CHOICE_FIELDS = frozenset({"adjustable_quantity", "discount", "replaces"})


def total_of(lines: Sequence[Line]) -> Decimal:
    return sum((line.amount for line in lines), Decimal(0))


# The token's compact wire form and the domain records meet only here: a
# validated request line becomes a CartLine, and a CartLine merged with its
# product revision becomes the Line that is shown, returned and stored.


def cart_line_of(line: LinkLineIn, rev: int, price_minor: int | None) -> CartLine:
    """The token form of a validated request line against product revision ``rev``."""
    sub = line.subscription
    return CartLine(
        product_id=line.id,
        rev=rev,
        quantity=line.quantity or 1,
        price_minor=price_minor,
        properties=line.properties or None,
        subscription=TokenSubscription(sub.interval, sub.interval_count) if sub else None,
        **{f: getattr(line, f) for f in _TEXT_FIELDS},
    )


def merge(
    cart_line: CartLine, product: Product, currency: str, page: PageLocale | None = None
) -> Line:
    """Merge one token line with the product revision it names.

    For a page in ``page``'s locale the product's name and description are its
    translation there (:func:`~checkout_links.core.i18n.locales.text_tags`), when
    it has one and the link did not set its own.
    """
    text = _text_for(product.translations, page) if page is not None else None
    name = (text.name if text is not None else "") or product.name
    description = (text.description if text is not None else "") or product.description
    if cart_line.price_minor is not None:
        price = Decimal(cart_line.price_minor).scaleb(-minor_units(currency))
    else:
        price = parse_amount(product.price or "", currency)
    sub = cart_line.subscription
    return Line(
        product_id=cart_line.product_id,
        name=cart_line.name if cart_line.name is not None else name,
        price=price,
        quantity=cart_line.quantity,
        amount=price * cart_line.quantity,
        sku=cart_line.sku if cart_line.sku is not None else product.sku,
        vendor_code=cart_line.vendor_code or "",
        name_for_invoice=cart_line.name_for_invoice or "",
        description=(cart_line.description if cart_line.description is not None else description),
        properties=dict(cart_line.properties or {}),
        subscription=(
            Subscription(
                interval=cast(Interval, sub.interval),  # validated when issued
                interval_count=sub.interval_count,
            )
            if sub is not None
            else product.subscription
        ),
        tax_code=product.tax_code,
        image_url=product.image_url,
        delivery=product.delivery,
        optional=False,
        replaced=None,
    )


def _text_for(
    translations: dict[str, ProductText] | UnsetType, page: PageLocale
) -> ProductText | None:
    """The product's text for the page's locale: the best of its translations, or none."""
    if not isinstance(translations, dict) or not translations:
        return None
    for tag in text_tags(page):
        found = translations.get(tag)
        if found is not None:
            return found
    return None


def customer_of(customer: CustomerIn | None) -> TokenCustomer | None:
    """The token form of the customer data to pre-fill (``None`` when all is empty)."""
    if customer is None:
        return None
    fields = customer.model_dump()
    return TokenCustomer(**fields) if any(fields.values()) else None


class Links:
    """Issue links and read the cart back out of a token."""

    def __init__(
        self, settings: Settings, catalog: Catalog, codec: TokenCodec, link_ids: LinkIds
    ) -> None:
        self.settings = settings
        self.catalog = catalog
        self.codec = codec
        self.link_ids = link_ids

    def _cart_line(
        self,
        i: int,
        line: LinkLineIn,
        product: Product | None,
        currency: str,
        group: str = "products",
    ) -> tuple[CartLine, list[FieldError]]:
        loc: tuple[str | int, ...] = ("body", group, i)
        if product is None or not product.active:
            msg = (
                f"Your catalog has no active product {line.id!r}: create it first, with "
                f"PUT /api/v1/products/{line.id} or `checkout-links catalog import`."
            )
            return CartLine(line.id, 0), [FieldError((*loc, "id"), msg)]
        errors = []
        sent = line.model_fields_set - {"id"} - _CHOICE_FIELDS
        adjustable = getattr(line, "adjustable_quantity", None)
        if adjustable is not None and adjustable.enabled:
            # Letting the customer choose the quantity is setting it.
            sent = sent | {"quantity"}
        for field in sorted(sent - set(product.overridable)):
            errors.append(
                FieldError(
                    (*loc, field),
                    f"Product {line.id!r} does not let a link set {field}: "
                    "leave it out, or add it to the product's overridable list.",
                )
            )
        price: Decimal | None = None
        try:
            if line.price is not None:
                price = parse_amount(line.price, currency)
            elif product.price is None:
                errors.append(
                    FieldError((*loc, "price"), "Send a price: the product has no default price.")
                )
            elif product.currency != currency:
                errors.append(
                    FieldError(
                        (*loc, "price"),
                        f"Send a price in {currency}: the product's default "
                        f"price is in {product.currency}.",
                    )
                )
            else:
                price = parse_amount(product.price, currency)
        except ValueError as exc:
            errors.append(FieldError((*loc, "price"), str(exc)))
        if price is not None:
            errors.extend(self._guard_rails(loc, price, product, currency))
        price_minor = (
            int(price.scaleb(minor_units(currency)))
            if line.price is not None and price is not None
            else None
        )
        return cart_line_of(line, product.rev, price_minor), errors

    @staticmethod
    def _guard_rails(
        loc: tuple[str | int, ...], price: Decimal, product: Product, currency: str
    ) -> list[FieldError]:
        low, high = product.price_min, product.price_max
        if low is None and high is None:
            return []
        if product.currency != currency:
            msg = f"Issue the link in {product.currency}: the product's price limits are in it."
            return [FieldError((*loc, "price"), msg)]
        if low is not None and price < Decimal(low):
            return [
                FieldError(
                    (*loc, "price"), f"Use a price of at least the product's minimum of {low}."
                )
            ]
        if high is not None and price > Decimal(high):
            return [
                FieldError(
                    (*loc, "price"), f"Use a price of at most the product's maximum of {high}."
                )
            ]
        return []

    def issue(self, merchant: Merchant, req: LinkIn) -> IssuedLink:
        """Validate ``req`` against the catalog and return the 201 body of a new link."""
        merchant_id = merchant.id
        currency = req.currency or merchant.currency
        choice_req = req if isinstance(req, LinkChoicesIn) else None
        extras = (choice_req.optional_items or []) if choice_req is not None else []
        products = self.catalog.current_products(
            merchant_id, [line.id for line in req.products] + [item.id for item in extras]
        )
        cart: list[CartLine] = []
        lines: list[Line] = []
        errors: list[FieldError] = []
        for i, line in enumerate(req.products):
            product = products[line.id]
            cart_line, line_errors = self._cart_line(i, line, product, currency)
            cart.append(cart_line)
            errors.extend(line_errors)
            if product is not None and not errors:
                lines.append(merge(cart_line, product, currency))
        extra_cart: list[CartLine] = []
        extra_lines: list[Line] = []
        for j, item in enumerate(extras):
            product = products[item.id]
            cart_line, line_errors = self._cart_line(j, item, product, currency, "optional_items")
            extra_cart.append(cart_line)
            errors.extend(line_errors)
            if product is not None and not errors:
                extra_lines.append(merge(cart_line, product, currency))
        choices = None
        questions = choice_req.custom_fields if choice_req is not None else None
        if choice_req is not None:
            choices, choice_errors = offers.build_choices(choice_req, currency, extra_cart)
            errors.extend(choice_errors)
        if questions:
            errors.extend(custom_fields.field_errors(questions))
        if errors:
            raise ValidationFailed(INVALID, errors=errors)
        total = total_of(lines)
        if choices is None and total > MAX_AMOUNT:
            raise ValidationFailed(
                INVALID,
                errors=[FieldError(("body", "products"), f"Keep the total at most {MAX_AMOUNT}.")],
            )
        now = int(time.time())
        payload = LinkPayload(
            link_rand=keys.new_link_rand(self.settings.ledger_shards),
            merchant_id=merchant_id,
            issued_at=now,
            expires_at=now + req.expires_in,
            currency=currency,
            lines=cart,
            customer=customer_of(req.customer),
            additional_data=req.additional_data or None,
            external_ref=req.external_ref,
            return_url=req.return_url,
            locale=req.locale,
            choices=choices,
            custom_fields=custom_fields.token_fields(questions),
        )
        priced = None
        if choices is not None:
            offer = offers.offer_of(payload, lines, extra_lines)
            offer_errors = offers.validate_offer(offer)
            if offer_errors:
                raise ValidationFailed("The link request is invalid.", errors=offer_errors)
            # The cart as issued: every line at its quantity, no offer taken.
            priced = pricing.price(offer, pricing.default_choice(offer))
            total = priced.total
        token = self.codec.encode(payload)
        path = "/c/" + token
        if len(path) > self.settings.max_link_path:
            msg = (
                f"The cart is too large for a link: its path would be {len(path)} characters "
                f"and the server accepts at most {self.settings.max_link_path}. "
                "Shorten the texts or split the cart into several links."
            )
            raise ValidationFailed(INVALID, errors=[FieldError(("body", "products"), msg)])
        return IssuedLink(
            id=self.link_ids.make(payload.link_rand, payload.expires_at, merchant_id),
            url=self.settings.base_url + path,
            expires_at=iso_seconds(payload.expires_at),
            currency=currency,
            total=total,
            lines=tuple(lines),
            locale=issued_locale(
                req.locale,
                req.customer.language if req.customer else None,
                merchant.account.default_locale if merchant.account else None,
            ),
            subtotal=priced.subtotal if priced is not None else None,
            discounts=offers.discount_rows(priced) if priced is not None else (),
        )

    def lines_of(self, payload: LinkPayload, page: PageLocale | None = None) -> tuple[Line, ...]:
        """The merged lines a token shows, from the product revisions it names (in ``page``'s
        language where the catalog has it)."""
        docs = self.catalog.snapshots(
            payload.merchant_id, [(c.product_id, c.rev) for c in payload.lines]
        )
        return tuple(
            merge(c, docs[(c.product_id, c.rev)], payload.currency, page) for c in payload.lines
        )

    def optional_lines_of(
        self, payload: LinkPayload, page: PageLocale | None = None
    ) -> tuple[Line, ...]:
        """The merged optional items a token offers (none for most links)."""
        extra = offers.optional_cart_lines(payload)
        if not extra:
            return ()
        docs = self.catalog.snapshots(payload.merchant_id, [(c.product_id, c.rev) for c in extra])
        return tuple(merge(c, docs[(c.product_id, c.rev)], payload.currency, page) for c in extra)

    def link_id_of(self, payload: LinkPayload) -> str:
        return self.link_ids.make(payload.link_rand, payload.expires_at, payload.merchant_id)
