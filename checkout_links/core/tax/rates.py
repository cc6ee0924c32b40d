"""Tax rates: each merchant's in one Redis hash, and its tax setup for a cart.

A merchant's rates live in one hash under ``{t:<merchant>}`` (rate id ->
the rate as JSON): a cart reads them whole in one step, and a process caches
what it read for ``CHECKOUT_CACHE_SECONDS`` (a changed rate reaches every
page within that time; the process that changed it, at once). A merchant
without active rates costs the cart page one cached look-up and nothing more.
"""

from __future__ import annotations

import re
from typing import Annotated

import msgspec
from pydantic import AfterValidator, Field, StringConstraints

from checkout_links.core.errors import FieldError, NotFound, ValidationFailed
from checkout_links.core.i18n.messages import PERCENT_PATTERN
from checkout_links.core.merchants.store import Merchants
from checkout_links.core.primitives.clock import now_iso
from checkout_links.core.primitives.jsonutil import dumps
from checkout_links.core.primitives.text import NoControls
from checkout_links.core.records import MerchantAccount, TaxRate, TaxSettings
from checkout_links.core.schemas import Strict, check_country
from checkout_links.core.storage import redis_keys as keys
from checkout_links.core.storage.cache import TTLCache
from checkout_links.core.storage.connection import Redis
from checkout_links.core.tax.apply import TaxSetup

RATE_ID_PATTERN = r"^[a-z0-9_-]{1,40}$"
_RATE_ID = re.compile(RATE_ID_PATTERN)
#: The most rates one merchant may keep (a cart reads them all).
MAX_RATES = 500
_decode = msgspec.json.Decoder(TaxRate).decode


def _country(value: str) -> str:
    if not value:
        raise ValueError("Use an ISO 3166-1 alpha-2 country code such as DE.")
    return check_country(value)


class TaxRateIn(Strict):
    """Body of ``PUT /api/v1/tax_rates/{rate_id}``."""

    country: Annotated[str, StringConstraints(max_length=2), AfterValidator(_country)] = Field(
        ..., description="ISO 3166-1 alpha-2 country it applies in.", examples=["FR"]
    )
    region: Annotated[str, StringConstraints(min_length=1, max_length=100), NoControls] | None = (
        Field(
            None,
            description="Region or state as customers enter it (any case); null: all.",
            examples=["CA"],
        )
    )
    tax_code: Annotated[str, StringConstraints(min_length=1, max_length=64), NoControls] | None = (
        Field(
            None,
            description="Applies to products with this tax_code only; null: every product.",
            examples=["ebook"],
        )
    )
    percent: Annotated[str, StringConstraints(max_length=8, pattern=PERCENT_PATTERN)] = Field(
        ..., description="Percent as a decimal string, 0..100, up to 4 decimals.", examples=["20"]
    )
    display_name: Annotated[str, StringConstraints(min_length=1, max_length=40), NoControls] = (
        Field(..., description="What the customer reads, e.g. VAT, MwSt., TVA.", examples=["TVA"])
    )
    active: bool = Field(True, description="Inactive rates are never applied.", examples=[True])


def check_rate_id(rate_id: str) -> None:
    """Refuse a rate id outside ``[a-z0-9_-]{1,40}`` (422 naming the path)."""
    if not _RATE_ID.fullmatch(rate_id):
        raise ValidationFailed(
            "The tax rate id is invalid.",
            errors=[FieldError(("path", "rate_id"), f"must match {RATE_ID_PATTERN}")],
        )


class TaxRates:
    """Store the merchants' tax rates and hand out each one's tax setup."""

    def __init__(self, client: Redis, merchants: Merchants, cache_seconds: float) -> None:
        self.client = client
        self.merchants = merchants
        self._active: TTLCache[str, tuple[TaxRate, ...]] = TTLCache(cache_seconds, 10_000)

    def put(self, merchant_id: str, rate_id: str, body: TaxRateIn) -> tuple[TaxRate, bool]:
        """Create or replace a rate; returns ``(rate, created)``."""
        check_rate_id(rate_id)
        key = keys.tax_rates(merchant_id)
        previous = self.client.hget(key, rate_id)
        if previous is None and self.client.hlen(key) >= MAX_RATES:
            raise ValidationFailed(
                f"A merchant keeps at most {MAX_RATES} tax rates; deactivated ones count too.",
                errors=[FieldError(("path", "rate_id"), f"at most {MAX_RATES} rates")],
            )
        now = now_iso()
        rate = TaxRate(
            id=rate_id,
            created_at=_decode(previous).created_at if previous is not None else now,
            updated_at=now,
            **body.model_dump(),
        )
        self.client.hset(key, rate_id, dumps(rate))
        self._active.pop(merchant_id)
        return rate, previous is None

    def get(self, merchant_id: str, rate_id: str) -> TaxRate:
        """One rate; :class:`NotFound` if the merchant has none by that id."""
        raw = None
        if _RATE_ID.fullmatch(rate_id):
            raw = self.client.hget(keys.tax_rates(merchant_id), rate_id)
        if raw is None:
            raise NotFound(f"No tax rate {rate_id!r}.")
        return _decode(raw)

    def page(
        self, merchant_id: str, cursor: str | None, limit: int
    ) -> tuple[list[TaxRate], str | None]:
        """One page of rates in id order; the cursor is the last id returned."""
        rates = self._all(merchant_id)
        after = [r for r in rates if cursor is None or r.id > cursor]
        items = after[:limit]
        return items, (items[-1].id if len(after) > limit else None)

    def deactivate(self, merchant_id: str, rate_id: str) -> TaxRate:
        """Mark a rate inactive: it is kept (orders name it) but never applied again."""
        rate = msgspec.structs.replace(
            self.get(merchant_id, rate_id), active=False, updated_at=now_iso()
        )
        self.client.hset(keys.tax_rates(merchant_id), rate_id, dumps(rate))
        self._active.pop(merchant_id)
        return rate

    def _all(self, merchant_id: str) -> list[TaxRate]:
        raw = self.client.hgetall(keys.tax_rates(merchant_id))
        return sorted((_decode(v) for v in raw.values()), key=lambda r: r.id)

    def active(self, merchant_id: str) -> tuple[TaxRate, ...]:
        """The merchant's active rates, cached for ``CHECKOUT_CACHE_SECONDS``."""
        hit, rates = self._active.lookup(merchant_id)
        if hit and rates is not None:
            return rates
        found = tuple(r for r in self._all(merchant_id) if r.active)
        self._active.put(merchant_id, found)
        return found

    def setup(self, merchant_id: str) -> TaxSetup | None:
        """The merchant's tax setup, or ``None`` when it has no active rate (no tax at all)."""
        rates = self.active(merchant_id)
        if not rates:
            return None
        account = self.merchants.get(merchant_id).account
        settings = account.tax if isinstance(account, MerchantAccount) else None
        settings = settings or TaxSettings()
        return TaxSetup(settings=settings, rates=rates)
