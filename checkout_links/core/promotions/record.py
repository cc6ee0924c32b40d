"""A promotion code's record and the sentences a customer sees about codes.

Stored by :mod:`checkout_links.core.promotions.codes`; pure, so pricing, the pages
and the API can use it without Redis.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from checkout_links.core.errors import ValidationFailed
from checkout_links.core.i18n.translatable import N_
from checkout_links.core.pricing import NOT_APPLICABLE, Discount, PromotionTerms
from checkout_links.core.primitives.clock import iso_seconds

# Customer-facing sentences for the code field (the web side translates them).
UNKNOWN_CODE = N_("We do not know this code. Check it and try again.")
NOT_YET = N_("This code is not valid yet.")
EXPIRED = N_("This code has expired.")
INACTIVE = N_("This code is no longer valid.")
USED_UP = N_("This code has been used up.")
RETRY = N_("Your code could not be applied just now. Please send the form again.")


def _iso(ts: int | None) -> str | None:
    return None if ts is None else iso_seconds(ts)


def refusal_error(msgid: str) -> ValidationFailed:
    """The 422 a customer gets for a code: ``msgid`` on the ``promo_code`` field."""
    error = {"loc": ["form", "promo_code"], "msg": msgid, "msgid": msgid, "params": {}}
    return ValidationFailed(msgid, errors=[error])


@dataclass(frozen=True, slots=True)
class Promotion:
    """A promotion code as stored, with its count of redemptions."""

    code: str
    percent: Decimal | None
    amount: Decimal | None
    currency: str | None
    label: str | None
    starts_at: int | None
    expires_at: int | None
    max_redemptions: int | None
    products: frozenset[str] | None
    active: bool
    created_at: str
    updated_at: str
    redemptions: int = 0

    @classmethod
    def from_doc(cls, doc: dict[str, Any], redemptions: int) -> Promotion:
        products = doc.get("products")
        return cls(
            code=doc["code"],
            percent=Decimal(doc["percent"]) if doc.get("percent") else None,
            amount=Decimal(doc["amount"]) if doc.get("amount") else None,
            currency=doc.get("currency"),
            label=doc.get("label"),
            starts_at=doc.get("starts_ts"),
            expires_at=doc.get("expires_ts"),
            max_redemptions=doc.get("max_redemptions"),
            products=frozenset(products) if products is not None else None,
            active=bool(doc.get("active", True)),
            created_at=doc.get("created_at", ""),
            updated_at=doc.get("updated_at", ""),
            redemptions=redemptions,
        )

    def terms(self) -> PromotionTerms:
        """What pricing takes off for this code."""
        discount = Discount(percent=self.percent, amount=self.amount, label=self.label)
        return PromotionTerms(self.code, discount, self.products)

    def as_json(self) -> dict[str, Any]:
        """The promotion as ``GET /api/v1/promotions/{code}`` returns it."""
        return {
            "code": self.code,
            "percent": str(self.percent) if self.percent is not None else None,
            "amount": str(self.amount) if self.amount is not None else None,
            "currency": self.currency,
            "label": self.label,
            "starts_at": _iso(self.starts_at),
            "expires_at": _iso(self.expires_at),
            "max_redemptions": self.max_redemptions,
            "products": sorted(self.products) if self.products is not None else None,
            "active": self.active,
            "redemptions": self.redemptions,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }

    def refusal(self, now: float, currency: str) -> str | None:
        """Why a customer cannot use the code now in ``currency``, or ``None``."""
        if not self.active:
            return INACTIVE
        if self.starts_at is not None and now < self.starts_at:
            return NOT_YET
        if self.expires_at is not None and now >= self.expires_at:
            return EXPIRED
        if self.max_redemptions is not None and self.redemptions >= self.max_redemptions:
            return USED_UP
        if self.amount is not None and self.currency != currency:
            return NOT_APPLICABLE
        return None
