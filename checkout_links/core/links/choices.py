"""Input models of cart choices and promotions, and their conversion to pricing terms.

The fields a link request may add to ``POST /api/v1/links`` (adjustable
quantities, optional items and up-sells, discounts, promotion codes) and the
body of ``PUT /api/v1/promotions/{code}``. They use the same strict base and
money and text types as :mod:`checkout_links.core.schemas`, so the rules and
the OpenAPI document stay one. Cross-field rules that need the link's currency
or its lines are :func:`checkout_links.core.pricing.validate_offer`'s.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Self

from annotated_types import Ge, Le
from pydantic import (
    AfterValidator,
    AwareDatetime,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from checkout_links.core.errors import FieldError
from checkout_links.core.links.custom_fields import CustomFieldsIn
from checkout_links.core.money import parse_amount
from checkout_links.core.pricing import MAX_OPTIONAL_ITEMS, MAX_QUANTITY, Bounds, Discount

# _LaxInt: integers as JSON means them (3 or 3.0, never true or "3"), as for quantities.
from checkout_links.core.schemas import (
    Currency,
    LinkIn,
    LinkLineIn,
    MoneyText,
    ProductId,
    Strict,
    Text,
    _LaxInt,
)

#: A promotion code as merchants write it; customers may type it in any case.
CODE_PATTERN = r"^[A-Z0-9_-]{3,40}$"
CODE = re.compile(CODE_PATTERN)

Bound = Annotated[int, Ge(0), Le(MAX_QUANTITY), *_LaxInt]
LineIndex = Annotated[int, Ge(0), Le(99), *_LaxInt]
Redemptions = Annotated[int, Ge(1), Le(1_000_000_000), *_LaxInt]


def _check_percent(value: str) -> str:
    if not Decimal(0) < Decimal(value) <= Decimal(100):
        raise ValueError("must be more than 0 and at most 100")
    return value


#: A percentage as a decimal string, such as ``"10"`` or ``"12.5"``.
PercentText = Annotated[
    str,
    StringConstraints(pattern=r"^\d{1,3}(\.\d{1,2})?$"),
    AfterValidator(_check_percent),
    Field(examples=["10"], json_schema_extra={"format": "decimal"}),
]
#: The text of a discount row; free text, so it follows ``Text``'s rules.
Label = Annotated[Text, StringConstraints(min_length=1, max_length=80)]


class AdjustableQuantityIn(Strict):
    """Lets the customer choose a line's quantity within ``minimum..maximum``."""

    enabled: bool = Field(description="true: the customer chooses the quantity.", examples=[True])
    minimum: Bound = Field(0, description="Fewest units; 0 lets the line be removed.", examples=[0])
    maximum: Bound = Field(99, description="Most units, up to 1,000,000.", examples=[99])

    def bounds(self) -> Bounds | None:
        """The pricing bounds, or ``None`` when the quantity is fixed."""
        return Bounds(self.minimum, self.maximum) if self.enabled else None


class DiscountIn(Strict):
    """A discount set by the merchant: ``percent`` or ``amount``, and an optional label."""

    # Exactly one of percent and amount (more than 0): stated for the document's readers.
    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": [
                {"required": ["percent"], "properties": {"percent": {"type": "string"}}},
                {
                    "required": ["amount"],
                    "properties": {"amount": {"type": "string", "pattern": "[1-9]"}},
                },
            ],
            "not": {
                "required": ["percent", "amount"],
                "properties": {"percent": {"type": "string"}, "amount": {"type": "string"}},
            },
        }
    )

    percent: PercentText | None = Field(None, description="Percent off.", examples=["10"])
    amount: MoneyText | None = Field(None, description="Amount off.", examples=[None])
    label: Label | None = Field(None, description="The row's text.", examples=["Launch offer"])

    @model_validator(mode="after")
    def _one_kind(self) -> Self:
        if (self.percent is None) == (self.amount is None):
            raise ValueError("give either percent or amount")
        return self

    def terms(self, currency: str) -> Discount:
        """The pricing terms in ``currency``; ``ValueError`` if the amount does not fit it."""
        if self.percent is not None:
            return Discount(percent=Decimal(self.percent), label=self.label)
        amount = parse_amount(self.amount or "", currency)
        if amount <= 0:
            raise ValueError("amount must be more than 0")
        return Discount(amount=amount, label=self.label)


class LineChoicesIn(LinkLineIn):
    """A product line that may let the customer choose its quantity, or carry a discount."""

    adjustable_quantity: AdjustableQuantityIn | None = Field(
        None, description="Lets the customer choose the quantity.", examples=[None]
    )
    discount: DiscountIn | None = Field(None, description="Off this line.", examples=[None])


class OptionalItemIn(LineChoicesIn):
    """An offer the customer may add; with ``replaces`` an up-sell for that product line."""

    replaces: LineIndex | None = Field(
        None, description="An up-sell: the index of the product line it takes out.", examples=[0]
    )


class LinkChoicesIn(LinkIn):
    """Body of ``POST /api/v1/links`` with the cart-choice fields and the custom fields."""

    products: list[LineChoicesIn] = Field(  # type: ignore[assignment]
        min_length=1,
        max_length=100,
        description="The cart, 1..100 lines.",
        examples=[[{"id": "pro-licence", "quantity": 2}]],
    )
    optional_items: list[OptionalItemIn] | None = Field(
        default=None,
        max_length=MAX_OPTIONAL_ITEMS,
        description="Up to 10 offers the customer may add.",
        examples=[[{"id": "support"}]],
    )
    discount: DiscountIn | None = Field(None, description="Off the whole cart.", examples=[None])
    allow_promotion_codes: bool = Field(
        False, description="true: the page has a promotion-code field.", examples=[True]
    )
    # core/links/custom_fields.py: the rules, the token's form, the labels per locale.
    custom_fields: CustomFieldsIn | None = Field(
        None,
        description="Up to 3 questions on the checkout form, answered in the order.",
        examples=[[{"key": "po_number", "label": "PO number", "type": "text", "optional": True}]],
    )


class PromotionIn(Strict):
    """Body of ``PUT /api/v1/promotions/{code}``: ``percent``, or ``amount`` with ``currency``."""

    # Percent or amount (with its currency), never both: stated for the document's readers.
    model_config = ConfigDict(
        json_schema_extra={
            "dependentRequired": {"amount": ["currency"]},
            "anyOf": [
                {"required": ["percent"], "properties": {"percent": {"type": "string"}}},
                {
                    "required": ["amount", "currency"],
                    "properties": {
                        "amount": {"type": "string", "pattern": "[1-9]"},
                        "currency": {"type": "string"},
                    },
                },
            ],
            "not": {
                "required": ["percent", "amount"],
                "properties": {"percent": {"type": "string"}, "amount": {"type": "string"}},
            },
        }
    )

    percent: PercentText | None = Field(None, description="Percent off.", examples=["15"])
    amount: MoneyText | None = Field(None, description="Amount off.", examples=[None])
    currency: Currency | None = Field(None, description="The amount's currency.", examples=[None])
    label: Label | None = Field(None, description="The discount row's text.", examples=["Spring"])
    starts_at: AwareDatetime | None = Field(
        None, description="Valid from (RFC 3339).", examples=["2026-03-01T00:00:00Z"]
    )
    expires_at: AwareDatetime | None = Field(
        None, description="Valid until (RFC 3339).", examples=["2026-06-01T00:00:00Z"]
    )
    max_redemptions: Redemptions | None = Field(
        None, description="The most orders it may yield.", examples=[50]
    )
    products: list[ProductId] | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description="Original product ids it applies to; absent: all.",
        examples=[["pro-licence"]],
    )
    active: bool = Field(True, description="false: the page refuses it.", examples=[True])

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if (self.percent is None) == (self.amount is None):
            raise ValueError("give either percent or amount")
        if self.amount is not None and self.currency is None:
            raise ValueError("currency is required with amount")
        if self.starts_at and self.expires_at and self.starts_at >= self.expires_at:
            raise ValueError("starts_at must be before expires_at")
        return self

    def money_errors(self) -> list[FieldError]:
        """The amount checked against the currency's minor units, as field errors."""
        if self.amount is None or self.currency is None:
            return []
        try:
            if parse_amount(self.amount, self.currency) <= 0:
                return [FieldError(("body", "amount"), "must be more than 0")]
        except ValueError as exc:
            return [FieldError(("body", "amount"), str(exc))]
        return []


def normal_code(code: str) -> str | None:
    """``code`` in the stored form (upper case), or ``None`` if it cannot be a code."""
    upper = code.strip().upper()
    return upper if CODE.fullmatch(upper) else None
