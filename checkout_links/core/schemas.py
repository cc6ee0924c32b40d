"""Pydantic models of what the merchant API accepts: its input limits.

The OpenAPI document is generated from these models, so a limit written here
is the limit documented. What the API answers is in ``records.py``.
"""

from __future__ import annotations

import ipaddress
import re
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
    WithJsonSchema,
)

from checkout_links.core.i18n.countries import countries
from checkout_links.core.i18n.locales import canonical_tag
from checkout_links.core.money import check_currency
from checkout_links.core.primitives.text import PATTERN as NO_CONTROLS_PATTERN
from checkout_links.core.primitives.text import NoControls

# Every free-text field carries NoControls (core/primitives/text.py); fields with a
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
    StringConstraints(pattern=r"^\d{1,12}(\.\d{1,12})?$"),
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


def check_country(code: str) -> str:
    if code and code.upper() not in countries():
        raise ValueError("Use an ISO 3166-1 alpha-2 country code such as DE.")
    return code.upper()


#: A BCP 47-style tag (``de``, ``de-AT``, ``zh-Hant-TW``, POSIX ``de_AT`` too).
_LOCALE = re.compile(r"[A-Za-z]{2,8}(?:[_-][A-Za-z0-9]{1,8})*")


@lru_cache(maxsize=256)
def check_locale(code: str) -> str:
    # Babel alone accepts "de@<x>" or "de_DE.UTF-8" (modifier, encoding), which
    # would then travel in the token and into the page's lang attribute.
    if not _LOCALE.fullmatch(code):
        raise ValueError("Use a locale such as de or de-AT.")
    try:
        Locale.parse(code.replace("-", "_"))
    except (ValueError, UnknownLocaleError) as exc:
        raise ValueError("Use a locale such as de or de-AT.") from exc
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
        raise ValueError("Use an absolute https URL (http only for loopback hosts).")
    # The checkout page puts this URL's origin into its Content-Security-Policy
    # header and redirects to it, so it must not carry a space or ";" (which
    # would start another CSP directive) nor tabs or newlines (which urlsplit
    # drops), and headers must be ASCII-safe.
    if not url.isascii() or any(ch.isspace() or not ch.isprintable() for ch in url):
        raise ValueError(
            "Use ASCII without spaces in the URL: percent-encode the path, punycode the host."
        )
    try:
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError as exc:
        raise ValueError("Use a port number between 0 and 65535 in the URL.") from exc
    if parts.username is not None or not _valid_host(parts.hostname):
        raise ValueError("Use a plain host name in the URL, without user info.")
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


class NonAsciiMailbox(ValueError):
    """An address with letters beyond ASCII before the ``@``.

    Such a mailbox can only be written to over SMTPUTF8 (RFC 6531), which
    neither every relay nor every receiving server offers, so a receipt to it
    could fail for good after the page promised one. The domain may be
    internationalised: it is sent as its IDNA (``xn--``) form.
    """


def check_email(value: str) -> str:
    """Empty, or a syntactically valid address that an email can carry (no DNS lookup:
    issuance must not block); raises :class:`NonAsciiMailbox` for a non-ASCII local part.

    email-validator costs ~0.3 ms per address, mostly on the domain; the common
    ASCII dot-atom local part is checked here and the domain verdict cached.
    """
    if not value:
        return value
    local, at, domain = value.rpartition("@")
    if at and value.isascii() and len(local) <= 64 and _LOCAL_PART.fullmatch(local):
        ok, result = _check_domain(domain)
        if not ok:
            raise ValueError(f"Enter a valid email address. {result}")
        return f"{local}@{result}"
    try:
        checked = validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(f"Enter a valid email address. {exc}") from exc
    if not checked.local_part.isascii():
        raise NonAsciiMailbox(
            "Enter an email address with only ASCII letters, digits and symbols before the @: "
            "receipts cannot reach an internationalised mailbox (SMTPUTF8)."
        )
    return checked.normalized


#: Empty (no address given) or an address; the document says both, since a
#: bare ``format: email`` called the empty default invalid.
Email = Annotated[
    str,
    StringConstraints(max_length=254),
    NoControls,
    AfterValidator(check_email),
    WithJsonSchema(
        {"anyOf": [{"type": "string", "maxLength": 0}, {"type": "string", "format": "email"}]}
    ),
]


def _whole_number(value: object) -> object:
    # JSON has one number type: 2.0 is the integer 2 (JSON Schema agrees), but
    # true and "2" are not numbers at all and must not become a quantity.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("Send a whole number.")
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


def _doc(default: Any, text: str, example: Any, **constraints: Any) -> Any:
    """A field's default with the description and example the OpenAPI document shows."""
    return Field(default, description=text, examples=[example], **constraints)


class SubscriptionIn(Strict):
    """Billing terms of a recurring product or line."""

    interval: Literal["day", "week", "month", "year"] = _doc(..., "The billing period.", "year")
    interval_count: IntervalCount = _doc(1, "Periods between charges, 1..365.", 1)


class ProductTextIn(Strict):
    """A product's name and description in one language; an empty one shows the product's own."""

    name: Text = _doc("", "The name in this language.", "Profi-Lizenz")
    description: LongText = _doc("", "The description in this language.", "Lizenz pro Platz.")


def _locale_keys(value: dict[str, ProductTextIn]) -> dict[str, ProductTextIn]:
    """Keys as CLDR spells them (``pt-br`` -> ``pt-BR``); a key that is no locale is refused."""
    out: dict[str, ProductTextIn] = {}
    for key, text in value.items():
        tag = canonical_tag(key)
        if tag is None or len(key) > 35:
            raise ValueError(f"{key[:40]!r} is not a locale such as de, pt-BR or zh-Hans.")
        if tag in out:
            raise ValueError(f"{key[:40]!r} names the same locale as another key.")
        out[tag] = text
    return out


Translations = Annotated[
    dict[str, ProductTextIn], Field(max_length=60), AfterValidator(_locale_keys)
]


class ProductIn(Strict):
    """Body of ``PUT /api/v1/products/{product_id}``."""

    # A price or a price limit is checked against the currency's minor units,
    # so it needs the currency: the document states it (dependentRequired).
    model_config = ConfigDict(
        json_schema_extra={
            "dependentRequired": {f: ["currency"] for f in ("price", "price_min", "price_max")}
        }
    )

    name: Text = _doc(..., "Name shown on the cart page.", "Pro licence", min_length=1)
    description: LongText = _doc("", "Longer text under the name.", "Per-seat licence.")
    price: MoneyText | None = _doc(None, "Default unit price (needs currency).", "95.00")
    currency: Currency | None = _doc(None, "ISO 4217 currency of the prices.", "EUR")
    sku: Code = _doc("", "Stock keeping unit.", "PRO")
    tax_code: Code = _doc("", "The merchant's tax category.", "SW-LIC")
    image_url: Annotated[str, AfterValidator(check_return_url)] | None = _doc(
        None, "Absolute https URL of an image shown beside the line.", "https://shop.example/a.png"
    )
    delivery: Literal["digital", "physical"] = _doc(
        "digital", "How the product reaches the customer.", "digital"
    )
    subscription: SubscriptionIn | None = _doc(None, "Billing terms if it recurs.", None)
    overridable: list[Overridable] = Field(
        default_factory=lambda: list(_ALL_OVERRIDABLE),
        description="Line properties a link may set (default: all).",
        examples=[["price", "quantity", "properties"]],
    )
    price_min: MoneyText | None = _doc(None, "Lowest unit price a link may set.", "10.00")
    price_max: MoneyText | None = _doc(None, "Highest unit price a link may set.", "100000.00")
    active: bool = _doc(True, "false: links can no longer sell it.", True)
    translations: Translations = Field(
        default_factory=dict,
        description=(
            "Name and description per locale (de, pt-BR, zh-Hans, ...), used on the pages and "
            "in the receipt of a customer in that locale; a link's own name wins."
        ),
        examples=[{"de": {"name": "Profi-Lizenz", "description": "Lizenz pro Arbeitsplatz."}}],
    )


class CustomerIn(Strict):
    """Customer data: all optional; the same rules apply to the checkout form."""

    email: Email = _doc("", "A valid email address.", "ana@example.com")
    first_name: Annotated[str, StringConstraints(max_length=100), NoControls] = _doc(
        "", "First name.", "Ana"
    )
    last_name: Annotated[str, StringConstraints(max_length=100), NoControls] = _doc(
        "", "Last name.", "Ruiz"
    )
    company: Annotated[str, StringConstraints(max_length=200), NoControls] = _doc(
        "", "Company.", "Ruiz GmbH"
    )
    phone: Annotated[str, StringConstraints(max_length=40, pattern=r"^[0-9+()./ -]*$")] = _doc(
        "", "Digits, spaces and + ( ) . / -", "+49 30 1234567"
    )
    country: Annotated[str, StringConstraints(max_length=2), AfterValidator(check_country)] = _doc(
        "", "ISO 3166-1 alpha-2 country code.", "DE"
    )
    region: Annotated[str, StringConstraints(max_length=100), NoControls] = _doc(
        "", "Region or state.", ""
    )
    city: Annotated[str, StringConstraints(max_length=100), NoControls] = _doc(
        "", "City.", "Berlin"
    )
    postal_code: Annotated[str, StringConstraints(max_length=20), NoControls] = _doc(
        "", "Postcode.", "10115"
    )
    address: Annotated[str, StringConstraints(max_length=300), NoControls] = _doc(
        "", "Street address.", "Invalidenstr. 1"
    )
    tax_id: Annotated[str, StringConstraints(max_length=40), NoControls] = _doc(
        "", "VAT or tax id.", "DE123456789"
    )
    language: Annotated[str, StringConstraints(max_length=35, pattern=r"^[A-Za-z_-]*$")] = _doc(
        "", "Preferred language, such as de.", "de"
    )


class LinkLineIn(Strict):
    """One dynamic product: an original product id plus per-link properties.

    Every field but ``id`` overrides the product's own, if the product lists it
    in ``overridable``.
    """

    id: ProductId = _doc(..., "An active product of the merchant's catalog.", "pro-licence")
    name: Text | None = _doc(
        None, "Name shown on the cart page.", "Pro licence, 25 seats", min_length=1
    )
    price: MoneyText | None = _doc(None, "Unit price in the link's currency.", "1249.00")
    quantity: Quantity | None = _doc(None, "Units, 1..1,000,000 (default 1).", 1)
    sku: Code | None = _doc(None, "Stock keeping unit.", "PRO-25-1Y")
    vendor_code: Code | None = _doc(None, "The merchant's own line code.", "crm-line-8812")
    name_for_invoice: Text | None = _doc(None, "Name on the invoice.", "Pro licence (25 seats)")
    description: LongText | None = _doc(None, "Longer text under the name.", "Seat calculator")
    properties: Props | None = _doc(None, "Key/value details shown on the line.", {"seats": "25"})
    subscription: SubscriptionIn | None = _doc(None, "Billing terms if it recurs.", None)


class LinkIn(Strict):
    """Body of ``POST /api/v1/links``."""

    currency: Currency | None = _doc(None, "ISO 4217; default: the merchant's currency.", "EUR")
    products: list[LinkLineIn] = Field(
        min_length=1,
        max_length=100,
        description="The cart: 1..100 lines.",
        examples=[[{"id": "pro-licence", "price": "1249.00"}, {"id": "support", "quantity": 3}]],
    )
    customer: CustomerIn | None = _doc(
        None, "Pre-fills the checkout form; the customer may edit it.", {"email": "ana@example.com"}
    )
    additional_data: AdditionalData | None = _doc(
        None, "Hidden key/values carried to the order.", {"crm_deal": "8812"}
    )
    external_ref: Annotated[str, StringConstraints(max_length=128), NoControls] | None = _doc(
        None, "Your reference, carried to the order.", "quote-2026-118"
    )
    expires_in: ExpiresIn = _doc(604_800, "Seconds until the link expires.", 86400)
    return_url: (
        Annotated[str, StringConstraints(max_length=2048), AfterValidator(check_return_url)] | None
    ) = _doc(None, "https URL the customer returns to, with order_id.", "https://shop.example/ok")
    locale: (
        Annotated[str, StringConstraints(max_length=35), AfterValidator(check_locale)] | None
    ) = _doc(None, "Locale of the checkout page.", "de")
