"""A merchant's public settings: how the seller appears on the customer pages.

``GET/PATCH /api/v1/account`` and ``checkout-links merchant set-account`` read
and change them with JSON merge semantics (a field sent as ``null`` is
cleared). The brand colour is kept only with the text colour that reads on it
(contrast of at least 4.5:1, WCAG 2.2 AA).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import msgspec
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from checkout_links.core.errors import FieldError, ValidationFailed
from checkout_links.core.i18n.countries import EU_COUNTRIES
from checkout_links.core.i18n.locales import page_locale
from checkout_links.core.merchants.payment import PaymentPatch, payment_view
from checkout_links.core.primitives import text
from checkout_links.core.records import (
    ConsentSettings,
    LegalIdentity,
    Merchant,
    MerchantAccount,
    TaxSettings,
)
from checkout_links.core.schemas import check_country, check_email, check_locale

#: The settings, in the order the API shows them.
FIELDS = (
    "display_name",
    "logo_url",
    "brand_color",
    "support_email",
    "support_url",
    "website_url",
    "terms_url",
    "privacy_url",
    "default_locale",
)

DARK_TEXT = "#000000"
LIGHT_TEXT = "#ffffff"
MIN_CONTRAST = 4.5


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def luminance(color: str) -> float:
    """WCAG relative luminance of ``#rrggbb``."""
    r, g, b = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two ``#rrggbb`` colours (1..21)."""
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


@lru_cache(maxsize=4096)
def text_on(color: str) -> str:
    """The text colour (dark or white) with the higher contrast on ``color``.

    One of the two always reaches 4.58:1 or more, so every brand colour gets
    a readable text colour and none needs refusing.
    """
    return max((LIGHT_TEXT, DARK_TEXT), key=lambda text: contrast(color, text))


def _https(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        raise ValueError("must be an absolute https URL")
    if not url.isascii() or any(ch.isspace() or not ch.isprintable() for ch in url):
        raise ValueError("must be ASCII without spaces: percent-encode it")
    return url


def _default_locale(tag: str) -> str:
    check_locale(tag)
    if page_locale(tag) is None:
        raise ValueError("must be a locale such as de or de-AT")
    return tag


def _color(value: str) -> str:
    if not re.fullmatch(r"#[0-9a-fA-F]{6}", value):
        raise ValueError("must be a colour as #rrggbb, e.g. #0a58ca")
    return value.lower()


def _email(value: str) -> str:
    if not value:
        raise ValueError("must be an email address")
    return check_email(value)


HttpsUrl = Annotated[str, StringConstraints(max_length=2048), AfterValidator(_https)]


def _lines(value: str) -> str:
    """The lines of a multi-line text, each stripped, blank ones dropped."""
    return "\n".join(line.strip() for line in value.split("\n") if line.strip())


def _origin(value: str) -> str:
    if not value:
        raise ValueError("Use an ISO 3166-1 alpha-2 country code such as DE.")
    return check_country(value)


class TaxPatch(BaseModel):
    """The ``tax`` object of ``PATCH /api/v1/account``: each field optional, ``null`` resets it."""

    model_config = ConfigDict(extra="forbid", strict=True, str_strip_whitespace=True)

    prices_include_tax: bool | None = Field(
        None,
        description="true: prices contain the tax (shown as contained); false (default): added.",
        examples=[False],
    )
    origin_country: (
        Annotated[str, StringConstraints(max_length=2), AfterValidator(_origin)] | None
    ) = Field(
        None, description="ISO 3166-1 alpha-2 country the seller sells from.", examples=["DE"]
    )
    reverse_charge: bool | None = Field(
        None,
        description="true: a business in another EU country with a valid VAT id pays no tax "
        "(needs an EU origin_country).",
        examples=[True],
    )


class LegalPatch(BaseModel):
    """The ``legal`` object of ``PATCH /api/v1/account``: replaced whole (null clears it)."""

    model_config = ConfigDict(extra="forbid", strict=True, str_strip_whitespace=True)

    name: Annotated[str, StringConstraints(max_length=200), text.NoControls, *text.NotBlank] = (
        Field(..., description="The seller's legal name.", examples=["Ruiz Software GmbH"])
    )
    address: Annotated[
        str,
        StringConstraints(max_length=500, pattern=text.MULTILINE_PATTERN),
        AfterValidator(_lines),
        *text.NotBlank,
    ] = Field(
        ...,
        description="Postal address; lines separated by newlines (no other control character).",
        examples=["Invalidenstr. 1\n10115 Berlin\nGermany"],
    )
    vat_id: Annotated[str, StringConstraints(max_length=40), text.NoControls] | None = Field(
        None, description="VAT identification number.", examples=["DE136695976"]
    )
    registration: Annotated[str, StringConstraints(max_length=200), text.NoControls] | None = Field(
        None,
        description="Register entry as it should read.",
        examples=["Amtsgericht Berlin HRB 12345"],
    )


class ConsentPatch(BaseModel):
    """The ``consent`` object of ``PATCH /api/v1/account``."""

    model_config = ConfigDict(extra="forbid", strict=True)

    terms: Literal["none", "required"] = Field(
        "none",
        description="required: customers tick a box accepting terms_url before ordering.",
        examples=["required"],
    )


class AccountPatch(BaseModel):
    """Body of ``PATCH /api/v1/account``: every field optional, ``null`` clears it."""

    model_config = ConfigDict(extra="forbid", strict=True, str_strip_whitespace=True)

    display_name: (
        Annotated[str, StringConstraints(max_length=80), text.NoControls, *text.NotBlank] | None
    ) = Field(
        None,
        description="The name customers see; null shows the merchant id.",
        examples=["Ruiz Software GmbH"],
    )
    logo_url: HttpsUrl | None = Field(
        None,
        description="An https URL of the logo (square, shown 40 px).",
        examples=["https://cdn.ruiz.example/logo.png"],
    )
    brand_color: (
        Annotated[str, StringConstraints(pattern=r"^#[0-9a-fA-F]{6}$"), AfterValidator(_color)]
        | None
    ) = Field(
        None,
        description="The brand colour as #rrggbb; text on it is black or white, whichever reads.",
        examples=["#1b2a6b"],
    )
    support_email: (
        Annotated[str, StringConstraints(max_length=254), AfterValidator(_email)] | None
    ) = Field(
        None, description="Where customers write about an order.", examples=["help@ruiz.example"]
    )
    support_url: HttpsUrl | None = Field(
        None, description="An https URL of the help pages.", examples=["https://ruiz.example/help"]
    )
    website_url: HttpsUrl | None = Field(
        None,
        description="An https URL the confirmation page links back to.",
        examples=["https://ruiz.example/"],
    )
    terms_url: HttpsUrl | None = Field(
        None, description="An https URL of the terms.", examples=["https://ruiz.example/terms"]
    )
    privacy_url: HttpsUrl | None = Field(
        None,
        description="An https URL of the privacy policy.",
        examples=["https://ruiz.example/privacy"],
    )
    default_locale: (
        Annotated[str, StringConstraints(max_length=35), AfterValidator(_default_locale)] | None
    ) = Field(
        None,
        description="The pages' language when neither link, customer nor browser decides.",
        examples=["de"],
    )
    payment: PaymentPatch | None = Field(
        None,
        description="How orders are paid (docs/payments.md); null resets to provider none. "
        "Stripe's secret_key and webhook_secret are write-only.",
        examples=[{"provider": "manual", "instructions": "Pay by bank transfer within 14 days."}],
    )
    tax: TaxPatch | None = Field(
        None,
        description="How prices meet tax (merged field by field; null resets all).",
        examples=[{"prices_include_tax": False, "origin_country": "DE", "reverse_charge": True}],
    )
    legal: LegalPatch | None = Field(
        None,
        description="The seller's legal identity, shown on every page and email (null clears).",
        examples=[{"name": "Ruiz Software GmbH", "address": "Invalidenstr. 1\n10115 Berlin"}],
    )
    consent: ConsentPatch | None = Field(
        None,
        description="What customers agree to before ordering (null: nothing).",
        examples=[{"terms": "required"}],
    )


def _settings(record: Merchant) -> MerchantAccount:
    return record.account if isinstance(record.account, MerchantAccount) else _EMPTY


_EMPTY = MerchantAccount()
_NO_TAX = TaxSettings()
_NO_CONSENT = ConsentSettings()
NEEDS_TERMS = "consent.terms required needs a terms_url."
NEEDS_EU_ORIGIN = "reverse_charge needs origin_country to be an EU country."


def account_of(record: Merchant, base_url: str | None = None) -> dict[str, Any]:
    """The public settings of a merchant, as ``GET /api/v1/account`` shows them.

    With ``base_url`` (the service's public origin) they include the payment
    settings, without secrets (:func:`~checkout_links.core.merchants.payment.payment_view`).
    """
    settings = _settings(record)
    out: dict[str, Any] = {"merchant_id": record.id}
    for name in FIELDS:
        out[name] = getattr(settings, name)
    color = out["brand_color"]
    out["brand_text_color"] = text_on(color) if color else None
    if base_url is not None:
        out["payment"] = msgspec.to_builtins(payment_view(record, base_url))
    out["tax"] = msgspec.structs.asdict(settings.tax or _NO_TAX)
    out["legal"] = msgspec.structs.asdict(settings.legal) if settings.legal else None
    out["consent"] = msgspec.structs.asdict(settings.consent or _NO_CONSENT)
    return out


def merged(record: Merchant, patch: AccountPatch, sent: set[str]) -> Merchant:
    """``record`` with the ``sent`` fields of ``patch`` applied (``null`` clears)."""
    changes: dict[str, Any] = {}
    for name in sent & set(FIELDS):
        value = getattr(patch, name)
        changes[name] = value.lower() if name == "brand_color" and value else value
    if "tax" in sent:
        changes["tax"] = _tax(_settings(record).tax, patch.tax)
    if "legal" in sent:
        legal = patch.legal
        changes["legal"] = LegalIdentity(**legal.model_dump()) if legal is not None else None
    if "consent" in sent:
        consent = patch.consent
        required = consent is not None and consent.terms == "required"
        changes["consent"] = ConsentSettings(terms="required") if required else None
    account = msgspec.structs.replace(_settings(record), **changes)
    if (
        account.consent is not None
        and account.consent.terms == "required"
        and not account.terms_url
    ):
        raise ValidationFailed(
            NEEDS_TERMS, errors=[FieldError(("body", "consent", "terms"), NEEDS_TERMS)]
        )
    return msgspec.structs.replace(record, account=account)


def _tax(current: TaxSettings | None, patch: TaxPatch | None) -> TaxSettings | None:
    """The tax settings with ``patch`` merged in (``None``: back to the defaults)."""
    if patch is None:
        return None
    defaults = msgspec.structs.asdict(_NO_TAX)
    changes = {
        name: defaults[name] if getattr(patch, name) is None else getattr(patch, name)
        for name in patch.model_fields_set
    }
    settings = msgspec.structs.replace(current or _NO_TAX, **changes)
    if settings.reverse_charge and settings.origin_country not in EU_COUNTRIES:
        raise ValidationFailed(
            NEEDS_EU_ORIGIN,
            errors=[FieldError(("body", "tax", "origin_country"), NEEDS_EU_ORIGIN)],
        )
    return None if settings == _NO_TAX else settings


@dataclass(frozen=True, slots=True)
class Seller:
    """Who sells, as every customer page shows it."""

    merchant_id: str
    name: str
    logo_url: str | None = None
    brand_color: str | None = None
    support_email: str | None = None
    support_url: str | None = None
    website_url: str | None = None
    terms_url: str | None = None
    privacy_url: str | None = None
    default_locale: str | None = None
    legal: LegalIdentity | None = None
    #: The terms the customer must accept before ordering; ``None``: none asked.
    terms_required: str | None = None

    @property
    def contactable(self) -> bool:
        return bool(self.support_email or self.support_url)


def _shown(name: str | None) -> str:
    # A name stored before the free-text rule refused a character (a line separator
    # breaks every email header it is in) is shown without it, so one old setting
    # cannot stop every receipt of the merchant.
    return " ".join(text.FORBIDDEN.sub(" ", name).split()) if name else ""


def seller_of(record: Merchant) -> Seller:
    """The seller shown on the pages and in emails: the display name, else the merchant's
    name or id, without characters the free-text rule refuses."""
    settings = _settings(record)
    consent = settings.consent
    required = consent is not None and consent.terms == "required"
    return Seller(
        merchant_id=record.id,
        name=_shown(settings.display_name) or _shown(record.name) or record.id,
        **{k: getattr(settings, k) for k in FIELDS if k != "display_name"},
        legal=settings.legal,
        terms_required=settings.terms_url if required else None,
    )
