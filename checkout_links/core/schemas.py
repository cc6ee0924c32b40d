"""Pydantic models of the merchant API: its input limits and its output shapes.

The OpenAPI document is generated from these models, so a limit written here
is the limit documented.
"""

from __future__ import annotations

import ipaddress
import re
from decimal import Decimal
from functools import lru_cache
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from annotated_types import Ge, Le
from babel import Locale, UnknownLocaleError
from email_validator import EmailNotValidError, validate_email
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
)

from checkout_links.core.money import check_currency
from checkout_links.core.text import PATTERN as NO_CONTROLS_PATTERN
from checkout_links.core.text import NoControls

# Every free-text field carries NoControls (core/text.py); fields with a
# pattern of their own (ids, money, phone) already exclude those characters.
Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200), NoControls]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000), NoControls]
Code = Annotated[str, StringConstraints(strip_whitespace=True, max_length=64), NoControls]
#: Keys and values of ``properties`` and ``additional_data``.
Key = Annotated[str, StringConstraints(min_length=1, max_length=64), NoControls]
Value = Annotated[str, StringConstraints(max_length=500), NoControls]
#: A product id: what ``PUT /api/v1/products/{product_id}`` accepts (anchored
#: for pydantic and JSON Schema; ``re.fullmatch`` gives the same verdict).
PRODUCT_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
PRODUCT_ID = re.compile(PRODUCT_ID_PATTERN)
ProductId = Annotated[str, StringConstraints(pattern=PRODUCT_ID_PATTERN)]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$"), AfterValidator(check_currency)]
#: Money is a decimal string; its minor units are checked against the currency
#: where the currency is known (see ``money.parse_amount``).
MoneyText = Annotated[
    str,
    StringConstraints(pattern=r"^\d{1,12}(\.\d{1,3})?$"),
    Field(examples=["19.99"], json_schema_extra={"format": "decimal"}),
]


def _keys_without_controls(schema: dict[str, Any]) -> None:
    # pydantic states a key pattern as patternProperties, which lets other
    # keys through; propertyNames says every key must match.
    schema.setdefault("propertyNames", {})["pattern"] = NO_CONTROLS_PATTERN


Props = Annotated[
    dict[Key, Value],
    Field(max_length=50, json_schema_extra=_keys_without_controls),
]
AdditionalData = Annotated[
    dict[Key, Value], Field(max_length=20, json_schema_extra=_keys_without_controls)
]

OVERRIDABLE = (
    "name",
    "price",
    "quantity",
    "sku",
    "vendor_code",
    "name_for_invoice",
    "description",
    "properties",
    "subscription",
)
Overridable = Literal[
    "name",
    "price",
    "quantity",
    "sku",
    "vendor_code",
    "name_for_invoice",
    "description",
    "properties",
    "subscription",
]
_ALL_OVERRIDABLE: tuple[Overridable, ...] = OVERRIDABLE  # type: ignore[assignment]

# Exceptionally reserved and special codes CLDR lists as territories but that
# are not countries a customer lives in.
_NOT_COUNTRIES = {"EU", "EZ", "UN", "QO", "XA", "XB", "ZZ"}


@lru_cache(maxsize=1)
def _countries() -> frozenset[str]:
    codes = [str(code) for code in Locale("en").territories]
    return frozenset(c for c in codes if re.fullmatch(r"[A-Z]{2}", c) and c not in _NOT_COUNTRIES)


def check_country(code: str) -> str:
    if code and code.upper() not in _countries():
        raise ValueError("must be an ISO 3166-1 alpha-2 country code such as DE")
    return code.upper()


#: A BCP 47-style tag (``de``, ``de-AT``, ``zh-Hant-TW``, POSIX ``de_AT`` too).
_LOCALE = re.compile(r"[A-Za-z]{2,8}(?:[_-][A-Za-z0-9]{1,8})*")


@lru_cache(maxsize=256)
def check_locale(code: str) -> str:
    # Babel alone accepts "de@<x>" or "de_DE.UTF-8" (modifier, encoding), which
    # would then travel in the token and into the page's lang attribute.
    if not _LOCALE.fullmatch(code):
        raise ValueError("must be a locale such as de or de-AT")
    try:
        Locale.parse(code.replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        raise ValueError("must be a locale such as de or de-AT") from None
    return code


#: A DNS host name, each label 1..63 letters, digits or inner hyphens.
_HOSTNAME = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)(?:\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*\.?")


def _valid_host(host: str) -> bool:
    if _HOSTNAME.fullmatch(host) and not host.replace(".", "").isdigit():
        return True  # a name; only all-digit dotted forms need the IP parser
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return bool(_HOSTNAME.fullmatch(host))
    return True


# Cached: a merchant sends the same few return URLs with every link, and the
# check is a pure function of the string (a refused URL raises, which is not cached).
@lru_cache(maxsize=1024)
def check_return_url(url: str) -> str:
    parts = urlsplit(url)
    loopback = parts.hostname in ("localhost", "127.0.0.1", "::1")
    if not (parts.scheme == "https" or (parts.scheme == "http" and loopback)) or not parts.hostname:
        raise ValueError("must be an absolute https URL (http only for loopback hosts)")
    # The checkout page puts this URL's origin into its Content-Security-Policy
    # header and redirects to it, so it must not carry a space or ";" (which
    # would start another CSP directive) nor tabs or newlines (which urlsplit
    # drops), and headers must be ASCII-safe.
    if not url.isascii() or any(ch.isspace() or not ch.isprintable() for ch in url):
        raise ValueError(
            "must be ASCII without spaces: percent-encode the path, use punycode for the host"
        )
    try:
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        raise ValueError("must have a valid port") from None
    if parts.username is not None or not _valid_host(parts.hostname):
        raise ValueError("must have a plain host name, without user info")
    return url


#: RFC 5322 dot-atom local part, ASCII: what almost every address uses.
_LOCAL_PART = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")


@lru_cache(maxsize=4096)
def _check_domain(domain: str) -> tuple[bool, str]:
    """``(True, normalised domain)`` or ``(False, reason)``; cached, domains repeat a lot."""
    try:
        return True, validate_email("x@" + domain, check_deliverability=False).ascii_domain
    except EmailNotValidError as exc:
        return False, str(exc)


def check_email(value: str) -> str:
    """Empty, or a syntactically valid address (no DNS lookup: issuance must not block).

    email-validator costs ~0.3 ms per address, mostly on the domain; the common
    ASCII dot-atom local part is checked here and the domain verdict cached.
    """
    if not value:
        return value
    local, at, domain = value.rpartition("@")
    if at and value.isascii() and len(local) <= 64 and _LOCAL_PART.fullmatch(local):
        ok, result = _check_domain(domain)
        if not ok:
            raise ValueError(f"not a valid email address: {result}")
        return f"{local}@{result}"
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValueError(f"not a valid email address: {exc}") from None


Email = Annotated[
    str,
    StringConstraints(max_length=254),
    NoControls,
    AfterValidator(check_email),
    Field(json_schema_extra={"format": "email"}),
]


def _whole_number(value: object) -> object:
    # JSON has one number type: 2.0 is the integer 2 (JSON Schema agrees), but
    # true and "2" are not numbers at all and must not become a quantity.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("must be an integer")
    return value


# Integers as JSON means them: 3 or 3.0, never true or "3". (The bounds come
# before the validator so that the JSON Schema states them as minimum/maximum.)
_LaxInt = (Field(strict=False), BeforeValidator(_whole_number))
Quantity = Annotated[int, Ge(1), Le(1_000_000), *_LaxInt]
ExpiresIn = Annotated[int, Ge(1), Le(2_592_000), *_LaxInt]
IntervalCount = Annotated[int, Ge(1), Le(365), *_LaxInt]


class Strict(BaseModel):
    # strict: JSON true is not a quantity and "3" is not an integer; a merchant
    # bug should be a 422, not a silently different cart.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, strict=True)


class SubscriptionIn(Strict):
    interval: Literal["day", "week", "month", "year"]
    interval_count: IntervalCount = 1


class ProductIn(Strict):
    """Body of ``PUT /api/v1/products/{product_id}``."""

    name: Text = Field(min_length=1)
    description: LongText = ""
    price: MoneyText | None = None
    currency: Currency | None = None
    sku: Code = ""
    tax_code: Code = ""
    image_url: Annotated[str, AfterValidator(check_return_url)] | None = None
    delivery: Literal["digital", "physical"] = "digital"
    subscription: SubscriptionIn | None = None
    overridable: list[Overridable] = Field(default_factory=lambda: list(_ALL_OVERRIDABLE))
    price_min: MoneyText | None = None
    price_max: MoneyText | None = None
    active: bool = True


class Product(ProductIn):
    """An original product as stored and returned."""

    id: ProductId
    rev: int
    updated_at: str


class ProductPage(BaseModel):
    items: list[Product]
    next_cursor: str | None = None


class CustomerIn(Strict):
    """Customer data: all optional; the same rules apply to the checkout form."""

    email: Email = ""
    first_name: Annotated[str, StringConstraints(max_length=100), NoControls] = ""
    last_name: Annotated[str, StringConstraints(max_length=100), NoControls] = ""
    company: Annotated[str, StringConstraints(max_length=200), NoControls] = ""
    phone: Annotated[str, StringConstraints(max_length=40, pattern=r"^[0-9+()./ -]*$")] = ""
    country: Annotated[str, StringConstraints(max_length=2), AfterValidator(check_country)] = ""
    region: Annotated[str, StringConstraints(max_length=100), NoControls] = ""
    city: Annotated[str, StringConstraints(max_length=100), NoControls] = ""
    postal_code: Annotated[str, StringConstraints(max_length=20), NoControls] = ""
    address: Annotated[str, StringConstraints(max_length=300), NoControls] = ""
    tax_id: Annotated[str, StringConstraints(max_length=40), NoControls] = ""
    language: Annotated[str, StringConstraints(max_length=35, pattern=r"^[A-Za-z_-]*$")] = ""


class LinkLineIn(Strict):
    """One dynamic product: an original product id plus per-link properties."""

    id: ProductId
    name: Text | None = Field(default=None, min_length=1)
    price: MoneyText | None = None
    quantity: Quantity | None = None
    sku: Code | None = None
    vendor_code: Code | None = None
    name_for_invoice: Text | None = None
    description: LongText | None = None
    properties: Props | None = None
    subscription: SubscriptionIn | None = None


class LinkIn(Strict):
    """Body of ``POST /api/v1/links``."""

    currency: Currency | None = None
    products: list[LinkLineIn] = Field(min_length=1, max_length=100)
    customer: CustomerIn | None = None
    additional_data: AdditionalData | None = None
    external_ref: Annotated[str, StringConstraints(max_length=128), NoControls] | None = None
    expires_in: ExpiresIn = 604_800
    return_url: (
        Annotated[str, StringConstraints(max_length=2048), AfterValidator(check_return_url)] | None
    ) = None
    locale: (
        Annotated[str, StringConstraints(max_length=35), AfterValidator(check_locale)] | None
    ) = None


class LineOut(BaseModel):
    """A line as shown to the customer: request properties over the catalog's."""

    product_id: str
    name: str
    price: Decimal
    quantity: int
    amount: Decimal
    sku: str = ""
    vendor_code: str = ""
    name_for_invoice: str = ""
    description: str = ""
    properties: dict[str, str] = Field(default_factory=dict)
    subscription: SubscriptionIn | None = None
    tax_code: str = ""
    image_url: str | None = None
    delivery: Literal["digital", "physical"] = "digital"


class LinkOut(BaseModel):
    """Response of ``POST /api/v1/links``."""

    id: str
    url: str
    expires_at: str
    currency: str
    total: Decimal
    lines: list[LineOut]


LinkStatusName = Literal["open", "expired", "completed", "revoked"]


class LinkStatus(BaseModel):
    id: str
    status: LinkStatusName
    order_id: str | None = None


class Order(BaseModel):
    """An order as placed by the customer."""

    id: str
    link_id: str
    status: Literal["placed"] = "placed"
    created_at: str
    currency: str
    total: Decimal
    lines: list[LineOut]
    customer: CustomerIn
    additional_data: dict[str, str] = Field(default_factory=dict)
    external_ref: str | None = None
    locale: str | None = None


class OrderPage(BaseModel):
    items: list[Order]
    next_cursor: str | None = None


class Event(BaseModel):
    """An order event and the state of its webhook delivery."""

    id: str
    type: Literal["order.created"]
    order_id: str
    created_at: str
    state: Literal["pending", "retrying", "delivered", "dead"]
    attempts: int
    last_attempt_at: str | None = None
    last_status: int | None = None
    last_error: str | None = None
    next_attempt_at: str | None = None


class EventPage(BaseModel):
    items: list[Event]
    next_cursor: str | None = None
