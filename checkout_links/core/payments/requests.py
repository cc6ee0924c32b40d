"""What the order actions of the merchant API accept (pydantic: the input limits)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from checkout_links.core.primitives import text


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, str_strip_whitespace=True)


class MarkPaidIn(_Strict):
    """Body of ``POST /api/v1/orders/{id}/mark_paid`` (may be empty)."""

    reference: (
        Annotated[str, StringConstraints(max_length=255), text.NoControls, *text.NotBlank] | None
    ) = Field(
        None,
        description="Your reference of the payment received (a bank transfer's id).",
        examples=["TRX-2026-12-07-0042"],
    )


class RefundIn(_Strict):
    """Body of ``POST /api/v1/orders/{id}/refund`` (may be empty: all that is left)."""

    amount: Annotated[str, StringConstraints(max_length=32)] | None = Field(
        None,
        description="The amount to refund, a decimal string in the order's currency; "
        "absent: all that is left.",
        examples=["10.00"],
    )
