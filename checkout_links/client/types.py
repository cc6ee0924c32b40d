"""The shapes the API answers with, as ``TypedDict``\\ s a type checker follows.

Money is a decimal **string** on the wire (``"1249.00"``, never a float): the
:data:`Money` alias marks those fields; use ``decimal.Decimal(value)`` to compute.
Fields the API may leave out are marked ``NotRequired``. Each type mirrors a
schema of the service's OpenAPI document (``GET /api/v1/openapi.json``);
``tests/unit/client/test_client_types.py`` compares them.
"""

# No ``from __future__ import annotations`` here: Python 3.11 reads ``NotRequired``
# only from evaluated annotations, and ``__required_keys__`` must be right.

from dataclasses import dataclass
from typing import Generic, Literal, NotRequired, TypedDict, TypeVar

#: A decimal amount as a string, e.g. ``"49.90"``; exact, in the currency's minor units.
Money = str

T = TypeVar("T")


class Subscription(TypedDict):
    """Billing terms of a recurring line."""

    interval: Literal["day", "week", "month", "year"]
    interval_count: int


class ProductText(TypedDict, total=False):
    """A product's name and description in one locale (an empty one shows the product's own)."""

    name: str
    description: str


class Product(TypedDict):
    """An original product (``PUT``/``GET /products/{id}``)."""

    id: str
    rev: int
    #: When this revision was saved (always there on a product the API returns).
    updated_at: NotRequired[str]
    name: str
    description: str
    price: Money | None
    currency: str | None
    sku: str
    tax_code: str
    image_url: str | None
    delivery: Literal["digital", "physical"]
    subscription: Subscription | None
    overridable: list[str]
    price_min: Money | None
    price_max: Money | None
    active: bool
    #: Left out when the product has none.
    translations: NotRequired[dict[str, ProductText]]


class Line(TypedDict):
    """One line of a link or an order."""

    product_id: str
    name: str
    price: Money
    quantity: int
    amount: Money
    sku: str
    vendor_code: str
    name_for_invoice: str
    description: str
    properties: dict[str, str]
    subscription: Subscription | None
    tax_code: str
    image_url: str | None
    delivery: Literal["digital", "physical"]
    #: Added by the customer from the link's optional items.
    optional: bool
    #: An up-sell: the product id of the line it replaced.
    replaced: str | None
    #: Orders of a merchant with tax rates: the amount less its discounts and its
    #: share of the cart's, the rate applied (``None``: none) and the line's tax.
    amount_after_discounts: NotRequired[Money]
    tax_rate_id: NotRequired[str | None]
    tax_amount: NotRequired[Money]


class Discount(TypedDict):
    """One discount of a link or an order, rounded once to the currency's minor unit."""

    label: str | None
    amount: Money
    applies_to: Literal["line", "cart", "promotion"]
    #: For a line discount: the index of the line in ``lines``.
    line: int | None


class Link(TypedDict):
    """A link just issued (``POST /links``): send the customer to ``url``."""

    id: str
    url: str
    expires_at: str
    currency: str
    total: Money
    lines: list[Line]
    #: The language of the checkout page's words (``de`` for a ``de-CH`` link, else ``en``).
    locale: str
    #: Links with cart choices: the cart as issued before its discounts.
    subtotal: Money | None
    discounts: list[Discount]


class LinkStatus(TypedDict):
    """Where a link stands; ``order_id`` only once it produced an order."""

    id: str
    status: Literal["open", "expired", "completed", "revoked"]
    order_id: NotRequired[str | None]


class Customer(TypedDict):
    """What the customer submitted on the checkout page (``""`` for a field left empty)."""

    email: str
    first_name: str
    last_name: str
    company: str
    phone: str
    country: str
    region: str
    city: str
    postal_code: str
    address: str
    tax_id: str
    language: str


EventType = Literal[
    "order.created", "order.paid", "order.payment_failed", "order.refunded", "order.canceled"
]
PaymentProvider = Literal["none", "manual", "stripe"]


class Refund(TypedDict):
    """One refund recorded on an order."""

    reference: str
    amount: Money
    created_at: str


class Payment(TypedDict):
    """How an order is paid and where its payment stands."""

    provider: PaymentProvider
    status: Literal["not_required", "pending", "paid", "partially_refunded", "refunded", "canceled"]
    amount_paid: Money
    amount_refunded: Money
    reference: str | None
    paid_at: str | None
    canceled_at: str | None
    cancel_reason: Literal["expired", "merchant"] | None
    #: When an unpaid order is canceled.
    due_by: str | None
    refunds: list[Refund]
    failed_attempts: list[str]


class Consent(TypedDict):
    """The customer's acceptance of the terms, as an order records it."""

    terms_accepted_at: str
    terms_url: str


class DeliveryAddress(TypedDict):
    """Where an order's physical items go (every field a string, maybe empty)."""

    first_name: str
    last_name: str
    company: str
    country: str
    region: str
    city: str
    postal_code: str
    address: str


class TaxRow(TypedDict):
    """One tax of an order: its lines' tax at one rate."""

    rate_id: str
    display_name: str
    percent: str
    amount: Money


class TaxRate(TypedDict):
    """A tax rate of the merchant (``/tax_rates/{rate_id}``)."""

    id: str
    country: str
    #: ``None``: the whole country.
    region: str | None
    #: ``None``: every product.
    tax_code: str | None
    percent: str
    display_name: str
    active: bool
    created_at: str
    updated_at: str


class Order(TypedDict):
    """An order a customer placed through a link."""

    id: str
    link_id: str
    #: The customer-facing order number (``None`` on orders from before numbers existed).
    number: str | None
    status: Literal["placed"]
    payment: Payment | None
    created_at: str
    currency: str
    total: Money
    lines: list[Line]
    customer: Customer
    additional_data: dict[str, str]
    external_ref: str | None
    locale: str | None
    #: The chosen lines' sum before discounts (``None`` for a link without cart choices).
    subtotal: Money | None
    discounts: list[Discount]
    #: The promotion code the customer redeemed, if any.
    promotion_code: str | None
    #: One row per tax rate applied; their sum is ``tax_total``.
    tax: list[TaxRow]
    tax_total: Money
    #: ``True``: ``total`` contains the tax; ``False``: the tax was added to it.
    prices_include_tax: bool
    #: ``True``: an EU business customer accounts for the VAT; no tax was charged.
    reverse_charge: bool
    #: The terms the customer accepted, when the seller asked; else ``None``.
    consent: Consent | None
    #: ``None`` when no line of the order is physical.
    delivery_address: DeliveryAddress | None
    #: The answers to the link's custom fields by key (``""``: an optional one left empty).
    custom_fields: dict[str, str]


EventState = Literal["pending", "retrying", "delivered", "dead", "skipped"]
ReceiptState = Literal["pending", "retrying", "sent", "failed"]


class Receipt(TypedDict):
    """The customer's email receipt of an order: ``failed`` when refused or out of retries."""

    state: ReceiptState
    attempts: int
    last_attempt_at: str | None
    next_attempt_at: str | None
    #: An SMTP code and reason; never an address.
    last_error: str | None


class Event(TypedDict):
    """A webhook event and the state of its delivery."""

    id: str
    type: EventType
    order_id: str
    created_at: str
    state: EventState
    attempts: int
    last_attempt_at: str | None
    last_status: int | None
    last_error: str | None
    next_attempt_at: str | None
    #: ``None`` when no receipt is owed.
    receipt: Receipt | None


class Promotion(TypedDict):
    """A promotion code (``/promotions/{code}``): ``percent`` or ``amount`` off."""

    code: str
    percent: Money | None
    amount: Money | None
    currency: str | None
    label: str | None
    starts_at: str | None
    expires_at: str | None
    max_redemptions: int | None
    #: The original products it applies to; ``None``: all.
    products: list[str] | None
    active: bool
    redemptions: int
    created_at: str
    updated_at: str


class StripeSettings(TypedDict):
    """The merchant's Stripe keys as the API shows them: never the secrets."""

    publishable_key: str | None
    secret_key_set: bool
    webhook_secret_set: bool
    #: The URL to register at Stripe for payment_intent.* events.
    webhook_url: str


class PaymentSettings(TypedDict):
    """How the merchant's orders are paid."""

    provider: PaymentProvider
    instructions: str | None
    stripe: StripeSettings


class TaxSettings(TypedDict):
    """How the merchant's prices meet tax (``/account`` ``tax``)."""

    prices_include_tax: bool
    origin_country: str | None
    reverse_charge: bool


class LegalIdentity(TypedDict):
    """Who legally sells (``/account`` ``legal``): on every customer page and email."""

    name: str
    #: Lines separated by newlines.
    address: str
    vat_id: str | None
    registration: str | None


class ConsentSettings(TypedDict):
    """What customers must agree to (``/account`` ``consent``)."""

    terms: Literal["none", "required"]


class Account(TypedDict):
    """The merchant's public settings (``/account``): how the seller appears to customers."""

    merchant_id: str
    display_name: str | None
    logo_url: str | None
    brand_color: str | None
    brand_text_color: str | None
    support_email: str | None
    support_url: str | None
    website_url: str | None
    terms_url: str | None
    privacy_url: str | None
    default_locale: str | None
    payment: PaymentSettings | None
    tax: TaxSettings
    legal: LegalIdentity | None
    consent: ConsentSettings


class WebhookEvent(TypedDict):
    """The body of a webhook request, as :func:`verify_webhook` returns it."""

    id: str
    type: EventType
    created_at: str
    data: Order


class Page(TypedDict, Generic[T]):
    """One page of a listing; pass ``next_cursor`` back for the next (``None``: the last)."""

    items: list[T]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class ResponseInfo:
    """What the last response said besides its body (see ``CheckoutLinksClient.last_response``)."""

    status: int
    headers: dict[str, str]  # names lower-cased

    @property
    def request_id(self) -> str | None:
        """The service's ``X-Request-ID``: quote it when you report a problem."""
        return self.headers.get("x-request-id")

    @property
    def idempotent_replayed(self) -> bool:
        """``True`` when ``POST /links`` answered with the link an earlier request issued."""
        return self.headers.get("idempotent-replayed", "").lower() == "true"
