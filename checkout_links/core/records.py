"""The domain's records: one typed, immutable model per concept.

Each record is a frozen, keyword-only msgspec Struct whose fields, in declaration order,
are the JSON object as stored in Redis and as the API and webhooks show it:
``msgspec.json`` writes the fields in this order, and money (``Decimal``) as
its exact decimal string (``"1249.00"``). Records decode leniently (unknown
fields are ignored, missing optional ones take their defaults).

The link token carries lines in its own compact wire form
(:class:`~checkout_links.core.links.token.CartLine`); ``links/issue.py`` converts between
the two. Pydantic models in ``schemas.py`` validate what comes in over HTTP.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Generic, Literal, TypeVar

import msgspec
from msgspec import UNSET, UnsetType

T = TypeVar("T")


class Subscription(msgspec.Struct, frozen=True, kw_only=True):
    """A recurring line's billing interval."""

    interval: str
    interval_count: int = 1


class WebhookSecret(msgspec.Struct, frozen=True, kw_only=True):
    """One signing secret; ``expires_at`` is set once a newer one replaced it."""

    secret: str
    expires_at: str | None = None


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


class Product(msgspec.Struct, frozen=True, kw_only=True):
    """An original product revision as stored (``updated_at`` only on the current one).

    Prices stay the decimal strings the merchant sent; they are parsed against
    the link's currency where they are used.
    """

    name: str
    description: str = ""
    price: str | None = None
    currency: str | None = None
    sku: str = ""
    tax_code: str = ""
    image_url: str | None = None
    delivery: str = "digital"
    subscription: Subscription | None = None
    overridable: tuple[str, ...] = ()
    price_min: str | None = None
    price_max: str | None = None
    active: bool = True
    id: str
    rev: int
    updated_at: str | UnsetType = UNSET


class Line(msgspec.Struct, frozen=True, kw_only=True):
    """A line as the customer sees it: link properties over catalog properties.

    The same record is shown on the cart page, returned in the 201 body of a
    new link, and stored in the order.
    """

    product_id: str
    name: str
    price: Decimal
    quantity: int
    amount: Decimal
    sku: str = ""
    vendor_code: str = ""
    name_for_invoice: str = ""
    description: str = ""
    properties: dict[str, str] = {}
    subscription: Subscription | None = None
    tax_code: str = ""
    image_url: str | None = None
    delivery: str = "digital"
    #: Set on a line the customer added from the link's optional items.
    optional: bool = False
    #: On an up-sell: the product id of the line it replaced.
    replaced: str | None = None


class DiscountRow(msgspec.Struct, frozen=True, kw_only=True):
    """One discount: its label, its amount (rounded once) and what it applied to.

    Pricing computes it (:func:`checkout_links.core.pricing.price`), the order
    stores it, and the API and the webhook show it.
    """

    label: str | None
    amount: Decimal
    #: ``line`` (then ``line`` is the index in the cart's lines), ``cart`` or ``promotion``.
    applies_to: Literal["line", "cart", "promotion"]
    line: int | None = None


class Customer(msgspec.Struct, frozen=True, kw_only=True):
    """The customer's details as entered on the checkout form (all strings, maybe empty)."""

    email: str = ""
    first_name: str = ""
    last_name: str = ""
    company: str = ""
    phone: str = ""
    country: str = ""
    region: str = ""
    city: str = ""
    postal_code: str = ""
    address: str = ""
    tax_id: str = ""
    language: str = ""


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


class IssuedLink(msgspec.Struct, frozen=True, kw_only=True):
    """The 201 body of ``POST /api/v1/links`` (also what an idempotent replay returns)."""

    id: str
    url: str
    expires_at: str
    currency: str
    total: Decimal
    lines: tuple[Line, ...]
    #: The locale whose words the page shows (a shipped catalog, or ``en``).
    locale: str = "en"
    #: Only for links with cart choices: the cart as issued before its discounts.
    subtotal: Decimal | None = None
    discounts: tuple[DiscountRow, ...] = ()


class OrderView(msgspec.Struct, frozen=True, kw_only=True):
    """An order as the merchant API shows it and webhooks send it.

    The stored :class:`Order` adds its merchant; pass :meth:`Order.public`, never
    the order itself, where this is written (msgspec writes every field it has).
    """

    id: str
    link_id: str
    status: Literal["placed"] = "placed"
    created_at: str
    currency: str
    total: Decimal
    lines: tuple[Line, ...]
    customer: Customer
    additional_data: dict[str, str] = {}
    external_ref: str | None = None
    locale: str | None = None
    #: The chosen lines' sum before discounts; ``None`` for a link without cart choices.
    subtotal: Decimal | None = None
    discounts: tuple[DiscountRow, ...] = ()
    promotion_code: str | None = None


class Order(OrderView, frozen=True, kw_only=True):
    """An order as stored in its link's shard: the public order, then its merchant."""

    merchant_id: str

    def public(self) -> OrderView:
        """The order without the internal ``merchant_id``."""
        fields = msgspec.structs.asdict(self)
        del fields["merchant_id"]
        return OrderView(**fields)


#: Where an event's webhook delivery stands.
EventState = Literal["pending", "retrying", "delivered", "dead"]
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
    """The receipt of an ``order.created`` event as ``GET /api/v1/events`` shows it."""

    state: ReceiptState
    attempts: int
    last_attempt_at: str | None
    next_attempt_at: str | None
    last_error: str | None


class Event(msgspec.Struct, frozen=True, kw_only=True):
    """An event's delivery record (a Redis hash; times in Unix milliseconds)."""

    id: str
    type: str
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


class EventView(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """An event as ``GET /api/v1/events`` shows it (the API writes ``receipt: null`` itself)."""

    id: str
    type: str
    order_id: str
    created_at: str
    state: EventState
    attempts: int
    last_attempt_at: str | None
    last_status: int | None
    last_error: str | None
    next_attempt_at: str | None
    #: The customer receipt's delivery, or ``None`` when none is owed.
    receipt: ReceiptView | None = None


class EventBody(msgspec.Struct, frozen=True, kw_only=True):
    """The JSON body of a webhook request: the same bytes on every attempt."""

    id: str
    type: str
    created_at: str
    data: OrderView


class Page(msgspec.Struct, Generic[T], frozen=True, kw_only=True):
    """One page of a list endpoint; ``next_cursor`` is ``None`` on the last page."""

    items: list[T]
    next_cursor: str | None = None
