"""What the merchant API answers: one pydantic model per response shape.

These models are the contract's output side. The OpenAPI document takes its
response schemas from them, and every view's answer is written through them
(:mod:`checkout_links.web.api.operations`), so a field that is not declared here
cannot reach a merchant. They read the core's records and plain dicts alike
(``from_attributes``). Money is a ``Decimal`` written as its exact decimal
string, never a JSON number.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

#: A decimal string with at most the currency's minor units (JPY 0, EUR 2, KWD 3).
Money = Annotated[
    Decimal,
    WithJsonSchema({"type": "string", "format": "decimal", "pattern": r"^\d+(\.\d{1,3})?$"}),
]
#: An RFC 3339 UTC time.
Time = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time"})]


class Out(BaseModel):
    """Base of the response models: they read records by attribute as well as dicts.

    Every field is written, defaults too, so the document lists every field as
    required (in a response, "required" says the key is always there).
    """

    model_config = ConfigDict(
        from_attributes=True, json_schema_serialization_defaults_required=True
    )
    #: Fields whose value is ``None`` are left out of the JSON instead of written as null.
    omit_none: ClassVar[bool] = False


#: The configuration of a model with ``omit_none``: its defaulted fields may be absent.
_MAY_OMIT = ConfigDict(from_attributes=True, json_schema_serialization_defaults_required=False)


class SubscriptionOut(Out):
    """Billing terms of a recurring line."""

    interval: Literal["day", "week", "month", "year"] = Field(
        description="The billing period.", examples=["year"]
    )
    interval_count: int = Field(
        1, description="Number of periods between charges, 1..365.", examples=[1]
    )


class Product(Out):
    """An original product of the merchant's catalog, as stored and returned."""

    name: str = Field(description="Name shown on the cart page.", examples=["Pro licence"])
    description: str = Field(
        "", description="Longer text under the name.", examples=["Per-seat licence."]
    )
    price: Money | None = Field(
        None, description="Default unit price, used when a link sends none.", examples=["95.00"]
    )
    currency: str | None = Field(
        None, description="ISO 4217 currency of price and price limits.", examples=["EUR"]
    )
    sku: str = Field("", description="Stock keeping unit.", examples=["PRO"])
    tax_code: str = Field("", description="The merchant's tax category.", examples=["SW-LIC"])
    image_url: str | None = Field(
        None, description="https image shown beside the line.", examples=[None]
    )
    delivery: Literal["digital", "physical"] = Field(
        "digital", description="How the product reaches the customer.", examples=["digital"]
    )
    subscription: SubscriptionOut | None = Field(
        None, description="Billing terms when the product recurs.", examples=[None]
    )
    overridable: list[str] = Field(
        description="Line properties a link may set for this product.",
        examples=[["name", "price", "quantity", "properties"]],
    )
    price_min: Money | None = Field(
        None, description="Lowest unit price a link may set.", examples=["10.00"]
    )
    price_max: Money | None = Field(
        None, description="Highest unit price a link may set.", examples=["100000.00"]
    )
    active: bool = Field(True, description="Inactive products cannot be sold.", examples=[True])
    id: str = Field(description="The product id of the URL.", examples=["pro-licence"])
    rev: int = Field(
        description="Revision: changes whenever the product changes; links keep theirs.",
        examples=[3184290411],
    )
    updated_at: Time = Field(
        description="When this revision was saved.", examples=["2026-11-27T18:00:00Z"]
    )


class ProductPage(Out):
    """One page of products, in id order."""

    items: list[Product] = Field(description="The products of this page.", examples=[[]])
    next_cursor: str | None = Field(
        None, description="Pass as cursor for the next page; null on the last.", examples=["kit"]
    )


class LineOut(Out):
    """A line as the customer sees it: the link's properties over the catalog's."""

    product_id: str = Field(description="The original product.", examples=["pro-licence"])
    name: str = Field(description="Name shown on the cart page.", examples=["Pro licence"])
    price: Money = Field(description="Unit price.", examples=["1249.00"])
    quantity: int = Field(description="Number of units, 1..1,000,000.", examples=[1])
    amount: Money = Field(description="price times quantity.", examples=["1249.00"])
    sku: str = Field("", description="Stock keeping unit.", examples=["PRO"])
    vendor_code: str = Field("", description="The merchant's own line code.", examples=[""])
    name_for_invoice: str = Field("", description="Name on the invoice.", examples=[""])
    description: str = Field("", description="Longer text under the name.", examples=[""])
    properties: dict[str, str] = Field(
        default_factory=dict, description="Shown key/value details.", examples=[{"seats": "25"}]
    )
    subscription: SubscriptionOut | None = Field(
        None, description="Billing terms when the line recurs.", examples=[None]
    )
    tax_code: str = Field("", description="The product's tax category.", examples=["SW-LIC"])
    image_url: str | None = Field(None, description="Image of the product.", examples=[None])
    delivery: Literal["digital", "physical"] = Field(
        "digital", description="How the product reaches the customer.", examples=["digital"]
    )
    optional: bool = Field(
        False, description="Added by the customer from the optional items.", examples=[False]
    )
    replaced: str | None = Field(
        None, description="An up-sell: the product id it replaced.", examples=[None]
    )


class DiscountOut(Out):
    """One discount, rounded once (half-up) to the currency's minor unit."""

    label: str | None = Field(description="What the customer reads.", examples=["Launch offer"])
    amount: Money = Field(description="The amount taken off.", examples=["12.50"])
    applies_to: Literal["line", "cart", "promotion"] = Field(
        description="A line's discount, the link's, or the promotion code's.", examples=["cart"]
    )
    line: int | None = Field(
        None, description="For a line discount: the line's index.", examples=[None]
    )


class LinkOut(Out):
    """A new checkout link (the 201 of ``POST /api/v1/links``)."""

    id: str = Field(
        description="Link id: names the link in the status and revoke endpoints.",
        examples=["lnk_z--88V_HdxXmqR_lIZftY2sRy8qmbhWRp61A-gTJ"],
    )
    url: str = Field(
        description="The one-time checkout URL to send the customer to.",
        examples=["https://pay.example.com/c/ERIJ4BEfgjzuYz5uxltOYqgPDRp7ChkC"],
    )
    expires_at: Time = Field(
        description="When the link stops working.", examples=["2026-12-03T20:06:34Z"]
    )
    currency: str = Field(description="ISO 4217 currency of every amount.", examples=["EUR"])
    total: Money = Field(description="Sum of the line amounts.", examples=["1534.00"])
    lines: list[LineOut] = Field(description="The cart, in request order.", examples=[[]])
    locale: str = Field(
        "en",
        description="The language the checkout page's words are in: the link's locale, its "
        "parent (de for de-CH) or en; amounts use the exact locale. Without a link locale "
        "or customer language, the customer's browser language may still choose.",
        examples=["de"],
    )
    subtotal: Money | None = Field(
        None,
        description="Links with cart choices: the cart as issued before its discounts.",
        examples=["1534.00"],
    )
    discounts: list[DiscountOut] = Field(
        default_factory=list, description="The discounts of the cart as issued.", examples=[[]]
    )


class LinkStatus(Out):
    """Where a link stands; ``order_id`` only once it produced an order."""

    model_config = _MAY_OMIT
    omit_none: ClassVar[bool] = True

    id: str = Field(description="The link id.", examples=["lnk_z--88V_HdxXmqR_lIZftY2sRy8qmbhW"])
    status: Literal["open", "expired", "completed", "revoked"] = Field(
        description="open: usable; completed: an order was placed; expired; revoked.",
        examples=["completed"],
    )
    order_id: str | None = Field(
        None,
        description="The order the link produced (completed links only).",
        examples=["ord_0Yt2sRy8qmbhWRp61A-gTJ"],
    )


class CustomerOut(Out):
    """The customer's details as they submitted them on the checkout page."""

    email: str = Field("", description="Email address.", examples=["ana@example.com"])
    first_name: str = Field("", description="First name.", examples=["Ana"])
    last_name: str = Field("", description="Last name.", examples=["Ruiz"])
    company: str = Field("", description="Company.", examples=["Ruiz GmbH"])
    phone: str = Field("", description="Phone number.", examples=["+49 30 1234567"])
    country: str = Field("", description="ISO 3166-1 alpha-2 country.", examples=["DE"])
    region: str = Field("", description="Region or state.", examples=[""])
    city: str = Field("", description="City.", examples=["Berlin"])
    postal_code: str = Field("", description="Postal code.", examples=["10115"])
    address: str = Field("", description="Street address.", examples=["Invalidenstr. 1"])
    tax_id: str = Field("", description="VAT or tax id.", examples=["DE123456789"])
    language: str = Field("", description="Preferred language.", examples=["de"])


class Order(Out):
    """An order placed through a link."""

    id: str = Field(description="Order id.", examples=["ord_0Yt2sRy8qmbhWRp61A-gTJ"])
    link_id: str = Field(description="The link it came from.", examples=["lnk_z--88V_HdxXmqR"])
    status: Literal["placed"] = Field("placed", description="Always placed.", examples=["placed"])
    created_at: Time = Field(
        description="When it was placed (ms precision).", examples=["2026-11-27T18:00:00.125Z"]
    )
    currency: str = Field(description="ISO 4217 currency of every amount.", examples=["EUR"])
    total: Money = Field(description="Sum of the line amounts.", examples=["1534.00"])
    lines: list[LineOut] = Field(description="The lines as the customer saw them.", examples=[[]])
    customer: CustomerOut = Field(
        description="What the customer submitted.",
        examples=[{"email": "ana@example.com", "first_name": "Ana", "country": "DE"}],
    )
    additional_data: dict[str, str] = Field(
        default_factory=dict,
        description="The link's hidden key/values.",
        examples=[{"crm_deal": "8812"}],
    )
    external_ref: str | None = Field(
        None, description="The link's external_ref.", examples=["quote-2026-118"]
    )
    locale: str | None = Field(None, description="The link's locale.", examples=["de"])
    subtotal: Money | None = Field(
        None, description="The chosen lines' sum, before discounts.", examples=["1534.00"]
    )
    discounts: list[DiscountOut] = Field(
        default_factory=list, description="Each discount.", examples=[[]]
    )
    promotion_code: str | None = Field(
        None, description="The code redeemed, if any.", examples=["SPRING-15"]
    )


class OrderPage(Out):
    """One page of orders, newest first."""

    items: list[Order] = Field(description="The orders of this page.", examples=[[]])
    next_cursor: str | None = Field(
        None,
        description="Pass as cursor for the next page; null on the last.",
        examples=["1764266400125.ord_0Yt2sRy8qmbhWRp61A-gTJ"],
    )


class Receipt(Out):
    """The email receipt of an order.created event, sent to the customer."""

    state: Literal["pending", "retrying", "sent", "failed"] = Field(
        description="failed: refused (5xx) or out of retries.", examples=["sent"]
    )
    attempts: int = Field(description="Sending attempts so far.", examples=[1])
    last_attempt_at: Time | None = Field(None, description="The last attempt.", examples=[None])
    next_attempt_at: Time | None = Field(None, description="The next one, if due.", examples=[None])
    last_error: str | None = Field(
        None, description="SMTP code and reason; never an address.", examples=["451 4.3.0 busy"]
    )


class Event(Out):
    """An order event and the state of its webhook delivery."""

    id: str = Field(description="Event id, the webhook-id header.", examples=["evt_0Yt2sRy8qmbh"])
    type: Literal["order.created"] = Field(description="Event type.", examples=["order.created"])
    order_id: str = Field(description="The order.", examples=["ord_0Yt2sRy8qmbhWRp61A-gTJ"])
    created_at: Time = Field(
        description="When the event was written.", examples=["2026-11-27T18:00:00.125Z"]
    )
    state: Literal["pending", "retrying", "delivered", "dead"] = Field(
        description="Delivery state: dead after retries ran out.", examples=["delivered"]
    )
    attempts: int = Field(description="Delivery attempts so far.", examples=[1])
    last_attempt_at: Time | None = Field(
        None, description="When the last attempt was made.", examples=["2026-11-27T18:00:01.002Z"]
    )
    last_status: int | None = Field(
        None, description="HTTP status of the last attempt.", examples=[200]
    )
    last_error: str | None = Field(
        None, description="Why the last attempt failed.", examples=["timed out"]
    )
    next_attempt_at: Time | None = Field(
        None, description="When the next attempt is due.", examples=[None]
    )
    receipt: Receipt | None = Field(
        None, description="The customer's email receipt; null when none is owed.", examples=[None]
    )


class EventPage(Out):
    """One page of events, newest first."""

    items: list[Event] = Field(description="The events of this page.", examples=[[]])
    next_cursor: str | None = Field(
        None,
        description="Pass as cursor for the next page; null on the last.",
        examples=["1764266400125.evt_0Yt2sRy8qmbh"],
    )


class ProblemError(Out):
    """One validation failure."""

    loc: list[str | int] = Field(
        description="Where: body, query, path or header, then the path to the field.",
        examples=[["body", "products", 1, "price"]],
    )
    msg: str = Field(
        description="What is wrong, as a sentence for a person.",
        examples=["Enter an amount with at most 2 decimal places for EUR."],
    )


class Problem(Out):
    """An RFC 9457 problem: every error answer of the API."""

    model_config = _MAY_OMIT
    #: ``errors`` is there only on a 422 (:func:`checkout_links.web.problems.problem_response`).
    omit_none: ClassVar[bool] = True

    type: str = Field(
        description="URI naming the kind of problem.",
        examples=["https://checkout-links.dev/problems/validation"],
    )
    title: str = Field(description="Short summary of the kind.", examples=["Validation failed"])
    status: int = Field(description="The HTTP status.", examples=[422])
    detail: str = Field(
        description="What went wrong with this request.",
        examples=["The request is invalid: see errors."],
    )
    errors: list[ProblemError] | None = Field(
        None, description="Validation failures (422 only).", examples=[[]]
    )


class Account(Out):
    """The merchant's public settings: how the seller appears on the customer pages."""

    merchant_id: str = Field(description="The merchant.", examples=["acme"])
    display_name: str | None = Field(
        None, description="Name customers see (else the merchant id).", examples=["Ruiz GmbH"]
    )
    logo_url: str | None = Field(None, description="https logo.", examples=[None])
    brand_color: str | None = Field(None, description="#rrggbb.", examples=["#1b2a6b"])
    brand_text_color: str | None = Field(
        None,
        description="Text colour the pages put on brand_color (contrast at least 4.5:1).",
        examples=["#ffffff"],
    )
    support_email: str | None = Field(None, description="Where customers write.", examples=[None])
    support_url: str | None = Field(None, description="https help pages.", examples=[None])
    website_url: str | None = Field(
        None, description="https site the confirmation links back to.", examples=[None]
    )
    terms_url: str | None = Field(None, description="https terms.", examples=[None])
    privacy_url: str | None = Field(None, description="https privacy policy.", examples=[None])
    default_locale: str | None = Field(
        None, description="Page language when nothing else decides.", examples=["de"]
    )


class Promotion(Out):
    """A promotion code (``GET /api/v1/promotions/{code}``)."""

    code: str = Field(description="The code, in upper case.", examples=["SPRING-15"])
    percent: Money | None = Field(description="Percent off, or null.", examples=["15"])
    amount: Money | None = Field(description="Amount off, or null.", examples=[None])
    currency: str | None = Field(description="The amount's currency.", examples=[None])
    label: str | None = Field(description="The discount row's text.", examples=["Spring"])
    starts_at: Time | None = Field(description="Valid from (UTC).", examples=[None])
    expires_at: Time | None = Field(description="Valid until (UTC).", examples=[None])
    max_redemptions: int | None = Field(description="The most orders it may yield.", examples=[50])
    products: list[str] | None = Field(
        description="Original products it applies to; null: all.", examples=[None]
    )
    active: bool = Field(description="false: refused on the page.", examples=[True])
    redemptions: int = Field(description="Orders placed with it.", examples=[0])
    created_at: Time = Field(description="When it was created.", examples=["2026-03-01T09:00:00Z"])
    updated_at: Time = Field(description="When it last changed.", examples=["2026-03-01T09:00:00Z"])


class PromotionPage(Out):
    """One page of promotion codes, in code order."""

    items: list[Promotion] = Field(description="The codes of this page.", examples=[[]])
    next_cursor: str | None = Field(
        None, description="Pass as cursor for the next page.", examples=[None]
    )
