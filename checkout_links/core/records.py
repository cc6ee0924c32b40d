"""The domain's records: one typed, immutable model per concept.

Each record is a frozen, keyword-only msgspec Struct whose fields, in declaration order,
are the JSON object as stored in Redis and as the API and webhooks show it:
``msgspec.json`` writes the fields in this order, and money (``Decimal``) as
its exact decimal string (``"1249.00"``). Records decode leniently (unknown
fields are ignored, missing optional ones take their defaults).

The link token carries lines in its own compact wire form
(:class:`~checkout_links.core.links.token.CartLine`); ``links/issue.py`` converts between
the two. Pydantic models in ``schemas.py`` validate what comes in over HTTP.

The records the API answers with carry its documentation: the first paragraph
of a record's docstring and each field's :func:`about` (a ``msgspec.Meta``) are
the description and example of the OpenAPI document, which
:mod:`checkout_links.web.api.openapi` generates from them; they change no
byte of what is stored or written.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

import msgspec
from msgspec import UNSET, Meta, UnsetType

_MONEY = {"type": "string", "format": "decimal", "pattern": r"^\d+(\.\d{1,3})?$"}
#: Money: a decimal written as its exact string, at most the currency's minor units.
Money = Annotated[Decimal, Meta(extra_json_schema=_MONEY)]
#: Money kept as the decimal string the merchant sent.
MoneyText = Annotated[str, Meta(extra_json_schema=_MONEY)]
#: An RFC 3339 UTC time.
Time = Annotated[str, Meta(extra_json_schema={"format": "date-time"})]
#: How a product reaches the customer.
Delivery = Literal["digital", "physical"]
#: A subscription's billing period.
Interval = Literal["day", "week", "month", "year"]
#: The type of an event (and of its webhook).
EventType = Literal[
    "order.created", "order.paid", "order.payment_failed", "order.refunded", "order.canceled"
]
#: How a merchant's orders are paid (``core/payments/``).
ProviderName = Literal["none", "manual", "stripe"]
#: Where an order's payment stands (``core/payments/state.py`` has the transitions).
PaymentStatus = Literal[
    "not_required", "pending", "paid", "partially_refunded", "refunded", "canceled"
]


def about(description: str, example: Any) -> Meta:
    """A field's description and example, as the API's document shows them."""
    return Meta(description=description, examples=[example])


class Subscription(msgspec.Struct, frozen=True, kw_only=True):
    """Billing terms of a recurring line."""

    interval: Annotated[Interval, about("The billing period.", "year")]
    interval_count: Annotated[int, about("Number of periods between charges, 1..365.", 1)] = 1


class WebhookSecret(msgspec.Struct, frozen=True, kw_only=True):
    """One signing secret; ``expires_at`` is set once a newer one replaced it."""

    secret: str
    expires_at: str | None = None


class TaxSettings(msgspec.Struct, frozen=True, kw_only=True):
    """How the merchant's prices meet tax (``PATCH /api/v1/account`` ``tax``).

    Rules: :mod:`checkout_links.core.tax` and docs/tax.md.
    """

    prices_include_tax: Annotated[
        bool,
        about("true: prices contain the tax (totals stay, the tax is shown); false: added.", False),
    ] = False
    origin_country: Annotated[
        str | None, about("ISO 3166-1 alpha-2 country the seller sells from.", "DE")
    ] = None
    reverse_charge: Annotated[
        bool,
        about("true: EU businesses in another EU country with a valid VAT id pay no tax.", True),
    ] = False


class LegalIdentity(msgspec.Struct, frozen=True, kw_only=True):
    """Who legally sells: shown in every customer page's footer and every email.

    Distance-selling law (in the EU and Germany) wants the seller's legal name,
    postal address and, where they have them, VAT id and register entry.
    """

    name: Annotated[str, about("The seller's legal name.", "Ruiz Software GmbH")]
    address: Annotated[
        str, about("Postal address, one line per line.", "Invalidenstr. 1\n10115 Berlin\nGermany")
    ]
    vat_id: Annotated[str | None, about("VAT identification number.", "DE136695976")] = None
    registration: Annotated[
        str | None,
        about("Register entry as written, e.g. court and number.", "Amtsgericht Berlin HRB 12345"),
    ] = None


class ConsentSettings(msgspec.Struct, frozen=True, kw_only=True):
    """What the customer must agree to before placing an order."""

    terms: Annotated[
        Literal["none", "required"],
        about("required: an unticked box to accept the terms (needs terms_url).", "required"),
    ] = "none"


class MerchantAccount(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """A merchant's public settings: how the seller appears on the customer pages.

    Rules and merging: :mod:`checkout_links.core.merchants.account`. Unset fields are not stored.
    """

    display_name: str | None = None
    logo_url: str | None = None
    brand_color: str | None = None
    support_email: str | None = None
    support_url: str | None = None
    website_url: str | None = None
    terms_url: str | None = None
    privacy_url: str | None = None
    default_locale: str | None = None
    tax: TaxSettings | None = None
    legal: LegalIdentity | None = None
    consent: ConsentSettings | None = None


class StripeSettingsView(msgspec.Struct, frozen=True, kw_only=True):
    """The merchant's Stripe keys as the API shows them: never the secrets."""

    publishable_key: Annotated[str | None, about("The publishable key.", "pk_test_51H")] = None
    secret_key_set: Annotated[bool, about("Whether a secret key is stored.", True)] = False
    webhook_secret_set: Annotated[
        bool, about("Whether the webhook signing secret is stored.", True)
    ] = False
    webhook_url: Annotated[
        str,
        about(
            "Register this URL at Stripe for payment_intent.* events.",
            "https://pay.example.com/webhooks/stripe/acme",
        ),
    ]


class PaymentSettingsView(msgspec.Struct, frozen=True, kw_only=True):
    """How the merchant's orders are paid (secrets are write-only)."""

    provider: Annotated[ProviderName, about("none, manual or stripe.", "manual")] = "none"
    instructions: Annotated[
        str | None, about("manual: what the customer must do to pay.", "Pay by bank transfer")
    ] = None
    stripe: Annotated[StripeSettingsView, about("Stripe's keys (without secrets).", {})]


class AccountView(msgspec.Struct, frozen=True, kw_only=True):
    """The merchant's public settings: how the seller appears on the customer pages.

    The stored :class:`MerchantAccount` with its merchant and the computed text
    colour (:func:`checkout_links.core.merchants.account.account_of`).
    """

    merchant_id: Annotated[str, about("The merchant.", "acme")]
    display_name: Annotated[
        str | None, about("Name customers see (else the merchant id).", "Ruiz GmbH")
    ] = None
    logo_url: Annotated[str | None, about("https logo.", None)] = None
    brand_color: Annotated[str | None, about("#rrggbb.", "#1b2a6b")] = None
    brand_text_color: Annotated[
        str | None,
        about("Text colour the pages put on brand_color (contrast at least 4.5:1).", "#ffffff"),
    ] = None
    support_email: Annotated[str | None, about("Where customers write.", None)] = None
    support_url: Annotated[str | None, about("https help pages.", None)] = None
    website_url: Annotated[
        str | None, about("https site the confirmation links back to.", None)
    ] = None
    terms_url: Annotated[str | None, about("https terms.", None)] = None
    privacy_url: Annotated[str | None, about("https privacy policy.", None)] = None
    default_locale: Annotated[
        str | None, about("Page language when nothing else decides.", "de")
    ] = None
    payment: Annotated[
        PaymentSettingsView | None, about("How orders are paid (see docs/payments.md).", None)
    ] = None
    tax: Annotated[TaxSettings, about("How prices meet tax.", {"prices_include_tax": False})] = (
        TaxSettings()
    )
    legal: Annotated[LegalIdentity | None, about("The seller's legal identity, or null.", None)] = (
        None
    )
    consent: Annotated[
        ConsentSettings, about("What customers must agree to.", {"terms": "none"})
    ] = ConsentSettings()


class StripeSettings(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """A merchant's Stripe keys as stored: the secrets sealed (``core/payments/settings.py``)."""

    publishable_key: str | None = None
    #: base64url of the secret key sealed with the payment-secrets key, bound to the merchant.
    secret_key_sealed: str | None = None
    webhook_secret_sealed: str | None = None


class PaymentSettings(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """How a merchant's orders are paid, as stored with the merchant (secrets sealed)."""

    provider: ProviderName = "none"
    instructions: str | None = None
    stripe: StripeSettings | None = None


class Merchant(msgspec.Struct, frozen=True, kw_only=True):
    """A merchant (tenant) as stored under its id."""

    id: str
    name: str = ""
    webhook_url: str | None = None
    currency: str = "EUR"
    webhook_secrets: tuple[WebhookSecret, ...] = ()
    created_at: str = ""
    #: Absent (not stored at all) until the merchant sets one.
    account: MerchantAccount | UnsetType = UNSET
    #: Absent until the merchant chooses a payment provider (``none`` until then).
    payment: PaymentSettings | UnsetType = UNSET

    def active_secrets(self, now: str) -> list[str]:
        """Secrets that sign at ``now`` (an ISO time): the current one and any in grace."""
        return [
            s.secret for s in self.webhook_secrets if s.expires_at is None or s.expires_at > now
        ]


class ApiKey(msgspec.Struct, frozen=True, kw_only=True):
    """An API key as stored under its key id: only a SHA-256 of the key itself."""

    merchant_id: str
    sha256: str
    created_at: str = ""
    revoked: bool = False


class KeyInfo(msgspec.Struct, frozen=True, kw_only=True):
    """An API key as listed to its merchant (no digest)."""

    key_id: str
    created_at: str
    revoked: bool


class ProductText(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """A product's name and description in one language (empty: the product's own)."""

    name: Annotated[str, about("The name in this language.", "Profi-Lizenz")] = ""
    description: Annotated[
        str, about("The description in this language.", "Lizenz pro Arbeitsplatz.")
    ] = ""


class Product(msgspec.Struct, frozen=True, kw_only=True):
    """An original product of the merchant's catalog, as stored and returned.

    A revision as stored (``updated_at`` only on the current one). Prices stay
    the decimal strings the merchant sent; they are parsed against the link's
    currency where they are used.
    """

    name: Annotated[str, about("Name shown on the cart page.", "Pro licence")]
    description: Annotated[str, about("Longer text under the name.", "Per-seat licence.")] = ""
    price: Annotated[
        MoneyText | None, about("Default unit price, used when a link sends none.", "95.00")
    ] = None
    currency: Annotated[
        str | None, about("ISO 4217 currency of price and price limits.", "EUR")
    ] = None
    sku: Annotated[str, about("Stock keeping unit.", "PRO")] = ""
    tax_code: Annotated[str, about("The merchant's tax category.", "SW-LIC")] = ""
    image_url: Annotated[str | None, about("https image shown beside the line.", None)] = None
    delivery: Annotated[Delivery, about("How the product reaches the customer.", "digital")] = (
        "digital"
    )
    subscription: Annotated[
        Subscription | None, about("Billing terms when the product recurs.", None)
    ] = None
    overridable: Annotated[
        tuple[str, ...],
        about(
            "Line properties a link may set for this product.",
            ["name", "price", "quantity", "properties"],
        ),
    ] = ()
    price_min: Annotated[MoneyText | None, about("Lowest unit price a link may set.", "10.00")] = (
        None
    )
    price_max: Annotated[
        MoneyText | None, about("Highest unit price a link may set.", "100000.00")
    ] = None
    active: Annotated[bool, about("Inactive products cannot be sold.", True)] = True
    # UNSET (left out of the JSON) when there are none: a product's stored bytes, and so
    # its revision number, are what they were before translations existed.
    translations: Annotated[
        dict[str, ProductText] | UnsetType,
        about(
            "Name and description per locale (BCP 47 tag in CLDR's spelling), shown on the "
            "pages and in the receipt of a customer in that locale.",
            {"de": {"name": "Profi-Lizenz", "description": "Lizenz pro Arbeitsplatz."}},
        ),
    ] = UNSET
    id: Annotated[str, about("The product id of the URL.", "pro-licence")]
    rev: Annotated[
        int, about("Revision: changes whenever the product changes; links keep theirs.", 3184290411)
    ]
    updated_at: Annotated[
        Time | UnsetType, about("When this revision was saved.", "2026-11-27T18:00:00Z")
    ] = UNSET


class ProductPage(msgspec.Struct, frozen=True, kw_only=True):
    """One page of products, in id order."""

    items: Annotated[list[Product], about("The products of this page.", [])]
    next_cursor: Annotated[
        str | None, about("Pass as cursor for the next page; null on the last.", "kit")
    ] = None


class Line(msgspec.Struct, frozen=True, kw_only=True):
    """A line as the customer sees it: the link's properties over the catalog's.

    The same record is shown on the cart page, returned in the 201 body of a
    new link, and stored in the order.
    """

    product_id: Annotated[str, about("The original product.", "pro-licence")]
    name: Annotated[str, about("Name shown on the cart page.", "Pro licence")]
    price: Annotated[Money, about("Unit price.", "1249.00")]
    quantity: Annotated[int, about("Number of units, 1..1,000,000.", 1)]
    amount: Annotated[Money, about("price times quantity.", "1249.00")]
    sku: Annotated[str, about("Stock keeping unit.", "PRO")] = ""
    vendor_code: Annotated[str, about("The merchant's own line code.", "")] = ""
    name_for_invoice: Annotated[str, about("Name on the invoice.", "")] = ""
    description: Annotated[str, about("Longer text under the name.", "")] = ""
    properties: Annotated[dict[str, str], about("Shown key/value details.", {"seats": "25"})] = {}
    subscription: Annotated[
        Subscription | None, about("Billing terms when the line recurs.", None)
    ] = None
    tax_code: Annotated[str, about("The product's tax category.", "SW-LIC")] = ""
    image_url: Annotated[str | None, about("Image of the product.", None)] = None
    delivery: Annotated[Delivery, about("How the product reaches the customer.", "digital")] = (
        "digital"
    )
    #: Set on a line the customer added from the link's optional items.
    optional: Annotated[bool, about("Added by the customer from the optional items.", False)] = (
        False
    )
    #: On an up-sell: the product id of the line it replaced.
    replaced: Annotated[str | None, about("An up-sell: the product id it replaced.", None)] = None
    #: On an order whose merchant has tax rates: the line after its discounts
    #: (its own and its share of the cart's), the rate applied and the tax.
    amount_after_discounts: Annotated[
        Money | UnsetType,
        about(
            "Orders with tax: amount less the line's discounts and its share of the cart's.",
            "1124.10",
        ),
    ] = UNSET
    tax_rate_id: Annotated[
        str | UnsetType | None, about("Orders with tax: the rate applied (null: none).", "de-vat")
    ] = UNSET
    tax_amount: Annotated[
        Money | UnsetType, about("Orders with tax: this line's tax, rounded half-up.", "213.58")
    ] = UNSET


class DiscountRow(msgspec.Struct, frozen=True, kw_only=True):
    """One discount, rounded once (half-up) to the currency's minor unit.

    Pricing computes it (:func:`checkout_links.core.pricing.price`), the order
    stores it, and the API and the webhook show it.
    """

    label: Annotated[str | None, about("What the customer reads.", "Launch offer")]
    amount: Annotated[Money, about("The amount taken off.", "12.50")]
    #: ``line`` (then ``line`` is the index in the cart's lines), ``cart`` or ``promotion``.
    applies_to: Annotated[
        Literal["line", "cart", "promotion"],
        about("A line's discount, the link's, or the promotion code's.", "cart"),
    ]
    line: Annotated[int | None, about("For a line discount: the line's index.", None)] = None


class Consent(msgspec.Struct, frozen=True, kw_only=True):
    """The customer's acceptance of the seller's terms, as the order records it."""

    terms_accepted_at: Annotated[
        Time, about("When the customer ticked the box and ordered.", "2026-12-07T10:00:00.125Z")
    ]
    terms_url: Annotated[str, about("The terms they accepted.", "https://ruiz.example/terms")]


class CustomFieldRow(msgspec.Struct, frozen=True, kw_only=True):
    """One answer to a custom field as the customer read it (stored, never shown by the API).

    For the confirmation page and the receipt: the field's label in the order's
    locale and the answer's text (a dropdown's option label, a number as typed).
    """

    label: str
    text: str


class TaxRow(msgspec.Struct, frozen=True, kw_only=True):
    """One tax of an order: the sum of its lines' tax at one rate.

    Each line's tax is rounded half-up to the minor unit; a row is their exact sum.
    """

    rate_id: Annotated[str, about("The tax rate.", "fr-tva")]
    display_name: Annotated[str, about("What the customer reads.", "TVA")]
    percent: Annotated[str, about("The rate in percent, as the merchant set it.", "20")]
    amount: Annotated[Money, about("The tax at this rate.", "249.80")]


class TaxRate(msgspec.Struct, frozen=True, kw_only=True):
    """A tax rate of the merchant (``/api/v1/tax_rates/{rate_id}``).

    The most specific active rate for the customer's country (and region) and
    the line's ``tax_code`` applies (docs/tax.md).
    """

    id: Annotated[str, about("The rate id of the URL.", "fr-tva")]
    country: Annotated[str, about("ISO 3166-1 alpha-2 country it applies in.", "FR")]
    region: Annotated[
        str | None, about("Region or state it applies in; null: the whole country.", None)
    ] = None
    tax_code: Annotated[
        str | None, about("Products with this tax_code only; null: every product.", None)
    ] = None
    percent: Annotated[str, about("Percent, 0..100, up to 4 decimals.", "20")]
    display_name: Annotated[str, about("What the customer reads.", "TVA")]
    active: Annotated[bool, about("Inactive rates are never applied.", True)] = True
    created_at: Annotated[Time, about("When it was created.", "2026-03-01T09:00:00Z")] = ""
    updated_at: Annotated[Time, about("When it last changed.", "2026-03-01T09:00:00Z")] = ""


class TaxRatePage(msgspec.Struct, frozen=True, kw_only=True):
    """One page of tax rates, in id order."""

    items: Annotated[list[TaxRate], about("The rates of this page.", [])]
    next_cursor: Annotated[str | None, about("Pass as cursor for the next page.", None)] = None


class Customer(msgspec.Struct, frozen=True, kw_only=True):
    """The customer's details as they submitted them on the checkout page.

    All strings, maybe empty.
    """

    email: Annotated[str, about("Email address.", "ana@example.com")] = ""
    first_name: Annotated[str, about("First name.", "Ana")] = ""
    last_name: Annotated[str, about("Last name.", "Ruiz")] = ""
    company: Annotated[str, about("Company.", "Ruiz GmbH")] = ""
    phone: Annotated[str, about("Phone number.", "+49 30 1234567")] = ""
    country: Annotated[str, about("ISO 3166-1 alpha-2 country.", "DE")] = ""
    region: Annotated[str, about("Region or state.", "")] = ""
    city: Annotated[str, about("City.", "Berlin")] = ""
    postal_code: Annotated[str, about("Postal code.", "10115")] = ""
    address: Annotated[str, about("Street address.", "Invalidenstr. 1")] = ""
    tax_id: Annotated[str, about("VAT or tax id.", "DE123456789")] = ""
    language: Annotated[str, about("Preferred language.", "de")] = ""


class DeliveryAddress(msgspec.Struct, frozen=True, kw_only=True):
    """Where an order's physical items go: the billing address, or the one the customer gave.

    All strings, maybe empty (a field the country's address has no place for is).
    """

    first_name: Annotated[str, about("Recipient's first name.", "Ana")] = ""
    last_name: Annotated[str, about("Recipient's last name.", "Ruiz")] = ""
    company: Annotated[str, about("Company.", "Ruiz GmbH")] = ""
    country: Annotated[str, about("ISO 3166-1 alpha-2 country.", "DE")] = ""
    region: Annotated[str, about("Region or state.", "")] = ""
    city: Annotated[str, about("City.", "Hamburg")] = ""
    postal_code: Annotated[str, about("Postal code.", "20095")] = ""
    address: Annotated[str, about("Street address.", "Mönckebergstr. 7")] = ""


class Promotion(msgspec.Struct, frozen=True, kw_only=True):
    """A promotion code's terms as stored (the ``doc`` of its definition hash).

    Amounts stay the decimal strings the merchant sent; ``starts_ts`` and
    ``expires_ts`` are Unix seconds. The count of redemptions is kept beside
    it (:mod:`checkout_links.core.promotions.codes`), never in it.
    """

    code: str
    percent: str | None = None
    amount: str | None = None
    currency: str | None = None
    label: str | None = None
    starts_ts: int | None = None
    expires_ts: int | None = None
    max_redemptions: int | None = None
    #: Original product ids it applies to, sorted; ``None``: every line.
    products: tuple[str, ...] | None = None
    active: bool = True
    created_at: str = ""
    updated_at: str = ""


class PromotionView(msgspec.Struct, frozen=True, kw_only=True):
    """A promotion code (``GET /api/v1/promotions/{code}``).

    Built from the stored :class:`Promotion` and its count of redemptions by
    :meth:`checkout_links.core.promotions.record.Promotion.as_json`.
    """

    code: Annotated[str, about("The code, in upper case.", "SPRING-15")]
    percent: Annotated[MoneyText | None, about("Percent off, or null.", "15")]
    amount: Annotated[MoneyText | None, about("Amount off, or null.", None)]
    currency: Annotated[str | None, about("The amount's currency.", None)]
    label: Annotated[str | None, about("The discount row's text.", "Spring")]
    starts_at: Annotated[Time | None, about("Valid from (UTC).", None)]
    expires_at: Annotated[Time | None, about("Valid until (UTC).", None)]
    max_redemptions: Annotated[int | None, about("The most orders it may yield.", 50)]
    products: Annotated[
        list[str] | None, about("Original products it applies to; null: all.", None)
    ]
    active: Annotated[bool, about("false: refused on the page.", True)]
    redemptions: Annotated[int, about("Orders placed with it.", 0)]
    created_at: Annotated[Time, about("When it was created.", "2026-03-01T09:00:00Z")]
    updated_at: Annotated[Time, about("When it last changed.", "2026-03-01T09:00:00Z")]


class PromotionPage(msgspec.Struct, frozen=True, kw_only=True):
    """One page of promotion codes, in code order."""

    items: Annotated[list[PromotionView], about("The codes of this page.", [])]
    next_cursor: Annotated[str | None, about("Pass as cursor for the next page.", None)] = None


class IssuedLink(msgspec.Struct, frozen=True, kw_only=True):
    """A new checkout link (the 201 of ``POST /api/v1/links``).

    Also what an idempotent replay returns.
    """

    id: Annotated[
        str,
        about(
            "Link id: names the link in the status and revoke endpoints.",
            "lnk_z--88V_HdxXmqR_lIZftY2sRy8qmbhWRp61A-gTJ",
        ),
    ]
    url: Annotated[
        str,
        about(
            "The one-time checkout URL to send the customer to.",
            "https://pay.example.com/c/ERIJ4BEfgjzuYz5uxltOYqgPDRp7ChkC",
        ),
    ]
    expires_at: Annotated[Time, about("When the link stops working.", "2026-12-03T20:06:34Z")]
    currency: Annotated[str, about("ISO 4217 currency of every amount.", "EUR")]
    total: Annotated[Money, about("Sum of the line amounts.", "1534.00")]
    lines: Annotated[tuple[Line, ...], about("The cart, in request order.", [])]
    #: The locale whose words the page shows (a shipped catalog, or ``en``).
    locale: Annotated[
        str,
        about(
            "The language the checkout page's words are in: the link's locale, its "
            "parent (de for de-CH) or en; amounts use the exact locale. Without a link locale "
            "or customer language, the customer's browser language may still choose.",
            "de",
        ),
    ] = "en"
    #: Only for links with cart choices: the cart as issued before its discounts.
    subtotal: Annotated[
        Money | None,
        about("Links with cart choices: the cart as issued before its discounts.", "1534.00"),
    ] = None
    discounts: Annotated[
        tuple[DiscountRow, ...], about("The discounts of the cart as issued.", [])
    ] = ()


#: Where a link stands.
LinkState = Literal["open", "expired", "completed", "revoked"]


class LinkStatus(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """Where a link stands; ``order_id`` only once it produced an order."""

    id: Annotated[str, about("The link id.", "lnk_z--88V_HdxXmqR_lIZftY2sRy8qmbhW")]
    status: Annotated[
        LinkState,
        about("open: usable; completed: an order was placed; expired; revoked.", "completed"),
    ]
    order_id: Annotated[
        str | None,
        about("The order the link produced (completed links only).", "ord_0Yt2sRy8qmbhWRp61A-gTJ"),
    ] = None


class Refund(msgspec.Struct, frozen=True, kw_only=True):
    """One refund recorded on an order (``POST /api/v1/orders/{id}/refund`` or the PSP's)."""

    reference: Annotated[str, about("The PSP's refund id, or ours for a manual one.", "re_3Q")]
    amount: Annotated[Money, about("The amount refunded.", "10.00")]
    created_at: Annotated[Time, about("When it was recorded.", "2026-12-08T09:00:00.000Z")]


class Payment(msgspec.Struct, frozen=True, kw_only=True):
    """How the order is paid and where its payment stands.

    ``not_required`` (provider none: the merchant collects payment its own way),
    ``pending`` (awaiting payment), ``paid``, ``partially_refunded``,
    ``refunded``, ``canceled``. A failed card attempt leaves it ``pending``.
    """

    provider: Annotated[ProviderName, about("none, manual or stripe.", "manual")]
    status: Annotated[PaymentStatus, about("Where the payment stands.", "paid")]
    amount_paid: Annotated[Money, about("What was received.", "1249.00")]
    amount_refunded: Annotated[Money, about("What was given back.", "0.00")]
    reference: Annotated[
        str | None, about("The PSP's payment id, or the merchant's reference.", "pi_3Q")
    ] = None
    paid_at: Annotated[Time | None, about("When it was paid.", "2026-12-07T10:00:00.000Z")] = None
    canceled_at: Annotated[Time | None, about("When it was canceled.", None)] = None
    #: ``merchant`` (``POST .../cancel``) or ``expired`` (``CHECKOUT_PAYMENT_WINDOW_SECONDS``).
    cancel_reason: Annotated[
        Literal["expired", "merchant"] | None,
        about("merchant: canceled through the API; expired: unpaid past the window.", None),
    ] = None
    #: When an unpaid order is canceled (``CHECKOUT_PAYMENT_WINDOW_SECONDS`` after placing).
    due_by: Annotated[Time | None, about("Unpaid by then, it is canceled.", None)] = None
    refunds: Annotated[tuple[Refund, ...], about("Each refund, oldest first.", [])] = ()
    #: The PSP's references of failed attempts, newest last (the last 20 kept).
    failed_attempts: Annotated[
        tuple[str, ...], about("PSP references of failed attempts (the last 20).", [])
    ] = ()


class OrderView(msgspec.Struct, frozen=True, kw_only=True):
    """An order placed through a link.

    As the merchant API shows it and webhooks send it. The stored :class:`Order`
    adds its merchant; pass :meth:`Order.public`, never the order itself, where
    this is written (msgspec writes every field it has).
    """

    id: Annotated[str, about("Order id.", "ord_0Yt2sRy8qmbhWRp61A-gTJ")]
    link_id: Annotated[str, about("The link it came from.", "lnk_z--88V_HdxXmqR")]
    number: Annotated[
        str | None,
        about(
            "The customer-facing order number: unique per merchant, shown on the confirmation "
            "and in emails (null on orders placed before numbers existed).",
            "7KQ4-M2XH-9D",
        ),
    ] = None
    status: Annotated[Literal["placed"], about("Always placed.", "placed")] = "placed"
    payment: Annotated[
        Payment | None,
        about(
            "How the order is paid and where its payment stands.",
            {
                "provider": "manual",
                "status": "pending",
                "amount_paid": "0.00",
                "amount_refunded": "0.00",
            },
        ),
    ] = None
    created_at: Annotated[
        Time, about("When it was placed (ms precision).", "2026-11-27T18:00:00.125Z")
    ]
    currency: Annotated[str, about("ISO 4217 currency of every amount.", "EUR")]
    total: Annotated[
        Money,
        about("What the customer pays: after discounts, with tax when it is added.", "1534.00"),
    ]
    lines: Annotated[tuple[Line, ...], about("The lines as the customer saw them.", [])]
    customer: Annotated[
        Customer,
        about(
            "What the customer submitted.",
            {"email": "ana@example.com", "first_name": "Ana", "country": "DE"},
        ),
    ]
    additional_data: Annotated[
        dict[str, str], about("The link's hidden key/values.", {"crm_deal": "8812"})
    ] = {}
    external_ref: Annotated[str | None, about("The link's external_ref.", "quote-2026-118")] = None
    locale: Annotated[str | None, about("The link's locale.", "de")] = None
    #: The chosen lines' sum before discounts; ``None`` for a link without cart choices.
    subtotal: Annotated[
        Money | None, about("The chosen lines' sum, before discounts.", "1534.00")
    ] = None
    discounts: Annotated[tuple[DiscountRow, ...], about("Each discount.", [])] = ()
    promotion_code: Annotated[str | None, about("The code redeemed, if any.", "SPRING-15")] = None
    tax: Annotated[
        tuple[TaxRow, ...],
        about(
            "Each tax, one row per rate.",
            [{"rate_id": "fr-tva", "display_name": "TVA", "percent": "20", "amount": "249.80"}],
        ),
    ] = ()
    tax_total: Annotated[Money, about("The sum of the taxes.", "249.80")] = Decimal(0)
    prices_include_tax: Annotated[
        bool, about("true: the total contains the tax; false: the tax was added.", False)
    ] = False
    reverse_charge: Annotated[
        bool, about("true: an EU business customer accounts for the VAT (no tax).", False)
    ] = False
    consent: Annotated[
        Consent | None, about("What the customer agreed to; null when nothing was asked.", None)
    ] = None
    delivery_address: Annotated[
        DeliveryAddress | None,
        about(
            "Where the physical items go (the billing address when the customer kept "
            '"same as billing"); null when no line is physical.',
            {
                "first_name": "Ana",
                "last_name": "Ruiz",
                "company": "",
                "country": "DE",
                "region": "",
                "city": "Hamburg",
                "postal_code": "20095",
                "address": "Mönckebergstr. 7",
            },
        ),
    ] = None
    custom_fields: Annotated[
        dict[str, str],
        about(
            "The customer's answers to the link's custom fields by key, in the link's order "
            '("" for an optional one left empty; a number as a plain decimal such as "2.5", '
            "a dropdown's option value); {} when the link has none.",
            {"licence_holder": "Ana Ruiz", "seats": "25", "region": "eu-west"},
        ),
    ] = {}


class Order(OrderView, frozen=True, kw_only=True):
    """An order as stored in its link's shard: the public order, then its merchant."""

    merchant_id: str
    #: The answers as the customer read them (labels in the order's locale), for the
    #: confirmation page and the receipt; empty optional answers left out.
    custom_field_rows: tuple[CustomFieldRow, ...] = ()

    def public(self) -> OrderView:
        """The order without the internal ``merchant_id`` and ``custom_field_rows``."""
        fields = msgspec.structs.asdict(self)
        del fields["merchant_id"]
        del fields["custom_field_rows"]
        return OrderView(**fields)


class OrderPage(msgspec.Struct, frozen=True, kw_only=True):
    """One page of orders, newest first."""

    items: Annotated[list[OrderView], about("The orders of this page.", [])]
    next_cursor: Annotated[
        str | None,
        about(
            "Pass as cursor for the next page; null on the last.",
            "1764266400125.ord_0Yt2sRy8qmbhWRp61A-gTJ",
        ),
    ] = None


#: Where an event's webhook delivery stands: ``skipped`` when its merchant had no
#: webhook URL at delivery time (never retried; a redelivery sends it once a URL is set).
EventState = Literal["pending", "retrying", "delivered", "dead", "skipped"]
#: Where an order's customer receipt stands.
ReceiptState = Literal["pending", "retrying", "sent", "failed"]


class Receipt(msgspec.Struct, frozen=True, kw_only=True):
    """The customer receipt's delivery state, kept in its event's hash (Unix milliseconds)."""

    state: ReceiptState
    attempts: int = 0
    last_attempt_ms: int | None = None
    next_ms: int | None = None
    #: An SMTP code and a short text of ours, never an address.
    last_error: str | None = None


class ReceiptView(msgspec.Struct, frozen=True, kw_only=True):
    """The email receipt of an order.created event, sent to the customer.

    As ``GET /api/v1/events`` shows it.
    """

    state: Annotated[ReceiptState, about("failed: refused (5xx) or out of retries.", "sent")]
    attempts: Annotated[int, about("Sending attempts so far.", 1)]
    last_attempt_at: Annotated[Time | None, about("The last attempt.", None)] = None
    next_attempt_at: Annotated[Time | None, about("The next one, if due.", None)] = None
    last_error: Annotated[
        str | None, about("SMTP code and reason; never an address.", "451 4.3.0 busy")
    ] = None


class Event(msgspec.Struct, frozen=True, kw_only=True):
    """An event's delivery record (a Redis hash; times in Unix milliseconds)."""

    id: str
    type: EventType
    order_id: str
    merchant_id: str
    created_ms: int
    state: EventState
    attempts: int = 0
    next_ms: int | None = None
    last_attempt_ms: int | None = None
    last_status: int | None = None
    last_error: str | None = None
    #: Bumped by every redelivery request; an attempt that saw another value
    #: records its outcome but leaves the event due (see ``worker._FINISH``).
    redeliveries: int = 0
    #: ``None`` when no receipt is owed (SMTP was not configured when it was registered).
    receipt: Receipt | None = None


class EventView(msgspec.Struct, frozen=True, kw_only=True):
    """An order event and the state of its webhook delivery.

    As ``GET /api/v1/events`` shows it.
    """

    id: Annotated[str, about("Event id, the webhook-id header.", "evt_0Yt2sRy8qmbh")]
    type: Annotated[EventType, about("Event type.", "order.created")]
    order_id: Annotated[str, about("The order.", "ord_0Yt2sRy8qmbhWRp61A-gTJ")]
    created_at: Annotated[Time, about("When the event was written.", "2026-11-27T18:00:00.125Z")]
    state: Annotated[
        EventState,
        about(
            "Delivery state: dead after retries ran out; skipped when the merchant had no "
            "webhook URL (never retried; redeliver it once a URL is set).",
            "delivered",
        ),
    ]
    attempts: Annotated[int, about("Delivery attempts so far.", 1)]
    last_attempt_at: Annotated[
        Time | None, about("When the last attempt was made.", "2026-11-27T18:00:01.002Z")
    ] = None
    last_status: Annotated[int | None, about("HTTP status of the last attempt.", 200)] = None
    last_error: Annotated[str | None, about("Why the last attempt failed.", "timed out")] = None
    next_attempt_at: Annotated[Time | None, about("When the next attempt is due.", None)] = None
    #: The customer receipt's delivery, or ``None`` when none is owed.
    receipt: Annotated[
        ReceiptView | None,
        about("The customer's email receipt; null when none is owed.", None),
    ] = None


class EventPage(msgspec.Struct, frozen=True, kw_only=True):
    """One page of events, newest first."""

    items: Annotated[list[EventView], about("The events of this page.", [])]
    next_cursor: Annotated[
        str | None,
        about(
            "Pass as cursor for the next page; null on the last.",
            "1764266400125.evt_0Yt2sRy8qmbh",
        ),
    ] = None


class EventBody(msgspec.Struct, frozen=True, kw_only=True):
    """The JSON body of a webhook request: the same bytes on every attempt."""

    id: str
    type: EventType
    created_at: str
    data: OrderView
