"""Issuing links: merge each requested line with its original product.

Nothing is written when a link is issued; the token carries the cart. The
same merge turns a token back into the lines shown to the customer, from the
product revisions the token names.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from checkout_links.core.catalog import Catalog
from checkout_links.core.config import Settings
from checkout_links.core.errors import ValidationFailed
from checkout_links.core.ids import LinkIds
from checkout_links.core.money import MAX_AMOUNT, minor_units, parse_amount
from checkout_links.core.schemas import LinkIn, LinkLineIn
from checkout_links.core.tokens import CartLine, Customer, LinkPayload, Subscription, TokenCodec

_TEXT_FIELDS = ("name", "sku", "vendor_code", "name_for_invoice", "description")


@dataclass(frozen=True, slots=True)
class Line:
    """A line as the customer sees it: link properties over catalog properties."""

    product_id: str
    name: str
    price: Decimal
    quantity: int
    sku: str
    vendor_code: str
    name_for_invoice: str
    description: str
    properties: dict[str, str]
    subscription: dict[str, Any] | None
    tax_code: str
    image_url: str | None
    delivery: str

    @property
    def amount(self) -> Decimal:
        return self.price * self.quantity

    def as_json(self) -> dict[str, Any]:
        return {
            "product_id": self.product_id,
            "name": self.name,
            "price": str(self.price),
            "quantity": self.quantity,
            "amount": str(self.amount),
            "sku": self.sku,
            "vendor_code": self.vendor_code,
            "name_for_invoice": self.name_for_invoice,
            "description": self.description,
            "properties": self.properties,
            "subscription": self.subscription,
            "tax_code": self.tax_code,
            "image_url": self.image_url,
            "delivery": self.delivery,
        }


def total_of(lines: list[Line]) -> Decimal:
    return sum((line.amount for line in lines), Decimal(0))


def merge(cart_line: CartLine, product: dict[str, Any], currency: str) -> Line:
    """Merge one token line with the product revision it names."""
    if cart_line.price_minor is not None:
        price = Decimal(cart_line.price_minor).scaleb(-minor_units(currency))
    else:
        price = parse_amount(product["price"], currency)
    sub = cart_line.subscription
    return Line(
        product_id=cart_line.product_id,
        name=cart_line.name if cart_line.name is not None else product["name"],
        price=price,
        quantity=cart_line.quantity,
        sku=cart_line.sku if cart_line.sku is not None else product.get("sku", ""),
        vendor_code=cart_line.vendor_code or "",
        name_for_invoice=cart_line.name_for_invoice or "",
        description=(
            cart_line.description
            if cart_line.description is not None
            else product.get("description", "")
        ),
        properties=dict(cart_line.properties or {}),
        subscription=(
            {"interval": sub.interval, "interval_count": sub.interval_count}
            if sub is not None
            else product.get("subscription")
        ),
        tax_code=product.get("tax_code", ""),
        image_url=product.get("image_url"),
        delivery=product.get("delivery", "digital"),
    )


def _iso(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


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
        self, i: int, line: LinkLineIn, product: dict[str, Any] | None, currency: str
    ) -> tuple[CartLine, list[dict[str, Any]]]:
        loc: list[Any] = ["body", "products", i]
        if product is None or not product.get("active", True):
            msg = f"unknown or inactive product {line.id!r}"
            return CartLine(line.id, 0), [{"loc": [*loc, "id"], "msg": msg}]
        errors = []
        sent = line.model_fields_set - {"id"}
        for field in sorted(sent - set(product.get("overridable", ()))):
            errors.append(
                {
                    "loc": [*loc, field],
                    "msg": f"product {line.id!r} does not allow overriding {field}",
                }
            )
        price: Decimal | None = None
        try:
            if line.price is not None:
                price = parse_amount(line.price, currency)
            elif product.get("price") is None:
                errors.append(
                    {
                        "loc": [*loc, "price"],
                        "msg": "price is required: the product has no default price",
                    }
                )
            elif product.get("currency") != currency:
                errors.append(
                    {
                        "loc": [*loc, "price"],
                        "msg": f"the product's default price is in {product.get('currency')}; "
                        f"send a price in {currency}",
                    }
                )
            else:
                price = parse_amount(product["price"], currency)
        except ValueError as exc:
            errors.append({"loc": [*loc, "price"], "msg": str(exc)})
        if price is not None:
            errors.extend(self._guard_rails(loc, price, product, currency))
        sub = line.subscription
        cart_line = CartLine(
            product_id=line.id,
            rev=int(product["rev"]),
            quantity=line.quantity or 1,
            price_minor=(
                int(price.scaleb(minor_units(currency)))
                if line.price is not None and price is not None
                else None
            ),
            properties=line.properties or None,
            subscription=Subscription(sub.interval, sub.interval_count) if sub else None,
            **{f: getattr(line, f) for f in _TEXT_FIELDS},
        )
        return cart_line, errors

    @staticmethod
    def _guard_rails(
        loc: list[Any], price: Decimal, product: dict[str, Any], currency: str
    ) -> list[dict[str, Any]]:
        low, high = product.get("price_min"), product.get("price_max")
        if low is None and high is None:
            return []
        if product.get("currency") != currency:
            msg = f"the product's price limits are in {product.get('currency')}, not {currency}"
            return [{"loc": [*loc, "price"], "msg": msg}]
        if low is not None and price < Decimal(low):
            return [
                {"loc": [*loc, "price"], "msg": f"price is below the product's minimum of {low}"}
            ]
        if high is not None and price > Decimal(high):
            return [
                {"loc": [*loc, "price"], "msg": f"price is above the product's maximum of {high}"}
            ]
        return []

    def issue(self, merchant: dict[str, Any], req: LinkIn) -> dict[str, Any]:
        """Validate ``req`` against the catalog and return the 201 body of a new link."""
        merchant_id = merchant["id"]
        currency = req.currency or merchant["currency"]
        products = self.catalog.current_products(merchant_id, [line.id for line in req.products])
        cart: list[CartLine] = []
        errors: list[dict[str, Any]] = []
        for i, line in enumerate(req.products):
            cart_line, line_errors = self._cart_line(i, line, products[line.id], currency)
            cart.append(cart_line)
            errors.extend(line_errors)
        if errors:
            raise ValidationFailed("The link request is invalid.", errors=errors)
        lines = [merge(c, products[c.product_id] or {}, currency) for c in cart]
        total = total_of(lines)
        if total > MAX_AMOUNT:
            raise ValidationFailed(
                "The cart total is too large.",
                errors=[{"loc": ["body", "products"], "msg": f"total is over {MAX_AMOUNT}"}],
            )
        now = int(time.time())
        customer = req.customer.model_dump() if req.customer else None
        payload = LinkPayload(
            link_rand=os.urandom(16),
            merchant_id=merchant_id,
            issued_at=now,
            expires_at=now + req.expires_in,
            currency=currency,
            lines=cart,
            customer=Customer(**customer) if customer and any(customer.values()) else None,
            additional_data=req.additional_data or None,
            external_ref=req.external_ref,
            return_url=req.return_url,
            locale=req.locale,
        )
        token = self.codec.encode(payload)
        path = "/c/" + token
        if len(path) > self.settings.max_link_path:
            raise ValidationFailed(
                f"The cart is too large for a link: its path would be {len(path)} characters "
                f"and the server accepts at most {self.settings.max_link_path}. "
                "Shorten the texts or split the cart into several links.",
                errors=[{"loc": ["body", "products"], "msg": "cart too large for a link"}],
            )
        return {
            "id": self.link_ids.make(payload.link_rand, payload.expires_at, merchant_id),
            "url": self.settings.base_url + path,
            "expires_at": _iso(payload.expires_at),
            "currency": currency,
            "total": str(total),
            "lines": [line.as_json() for line in lines],
        }

    def lines_of(self, payload: LinkPayload) -> list[Line]:
        """The merged lines a token shows, from the product revisions it names."""
        docs = self.catalog.snapshots(
            payload.merchant_id, [(c.product_id, c.rev) for c in payload.lines]
        )
        return [merge(c, docs[(c.product_id, c.rev)], payload.currency) for c in payload.lines]

    def link_id_of(self, payload: LinkPayload) -> str:
        return self.link_ids.make(payload.link_rand, payload.expires_at, payload.merchant_id)
