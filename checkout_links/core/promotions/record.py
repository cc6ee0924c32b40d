"""A promotion code's record and the sentences a customer sees about codes.

Stored by :mod:`checkout_links.core.promotions.codes`; pure, so pricing, the pages
and the API can use it without Redis.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec

from checkout_links.core import records
from checkout_links.core.errors import CodeRefused
from checkout_links.core.i18n.translatable import N_
from checkout_links.core.pricing import UNUSABLE_CODE, Discount, PromotionTerms
from checkout_links.core.primitives.clock import iso_seconds

# Customer-facing sentence for a code that may work on a second try (the web side
# translates it). Every code that cannot be used gets pricing.UNUSABLE_CODE.
RETRY = N_("Your code could not be applied just now. Please send the form again.")


def _iso(ts: int | None) -> str | None:
    return None if ts is None else iso_seconds(ts)


def refusal_error(reason: str) -> CodeRefused:
    """The 422 a customer gets for a code they cannot use, the same sentence whatever the
    ``reason`` (``unknown``, ``not_started``, ``expired``, ``inactive``, ``used_up``,
    ``not_applicable``)."""
    return CodeRefused(reason, UNUSABLE_CODE)


class Promotion(records.Promotion, frozen=True, kw_only=True):
    """A promotion code as stored, with its count of redemptions.

    Write :meth:`stored`, never the promotion itself: the count is kept apart.
    """

    redemptions: int = 0

    @classmethod
    def counted(cls, stored: records.Promotion, redemptions: int) -> Promotion:
        """``stored`` with its count of redemptions."""
        return cls(**msgspec.structs.asdict(stored), redemptions=redemptions)

    def stored(self) -> records.Promotion:
        """The terms as stored, without the count."""
        fields = msgspec.structs.asdict(self)
        del fields["redemptions"]
        return records.Promotion(**fields)

    def terms(self) -> PromotionTerms:
        """What pricing takes off for this code."""
        discount = Discount(
            percent=Decimal(self.percent) if self.percent else None,
            amount=Decimal(self.amount) if self.amount else None,
            label=self.label,
        )
        products = frozenset(self.products) if self.products is not None else None
        return PromotionTerms(self.code, discount, products)

    def as_json(self) -> dict[str, Any]:
        """The promotion as ``GET /api/v1/promotions/{code}`` returns it."""
        return {
            "code": self.code,
            "percent": str(Decimal(self.percent)) if self.percent else None,
            "amount": str(Decimal(self.amount)) if self.amount else None,
            "currency": self.currency,
            "label": self.label,
            "starts_at": _iso(self.starts_ts),
            "expires_at": _iso(self.expires_ts),
            "max_redemptions": self.max_redemptions,
            "products": sorted(self.products) if self.products is not None else None,
            "active": self.active,
            "redemptions": self.redemptions,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }

    def refusal(self, now: float, currency: str) -> str | None:
        """Why a customer cannot use the code now in ``currency`` (a reason of
        :func:`refusal_error`), or ``None``."""
        if not self.active:
            return "inactive"
        if self.starts_ts is not None and now < self.starts_ts:
            return "not_started"
        if self.expires_ts is not None and now >= self.expires_ts:
            return "expired"
        if self.max_redemptions is not None and self.redemptions >= self.max_redemptions:
            return "used_up"
        if self.amount is not None and self.currency != currency:
            return "not_applicable"
        return None
