"""A merchant's payment settings: which provider, its instructions or keys.

``PATCH /api/v1/account`` ``{"payment": {...}}`` changes them with JSON merge
semantics (:func:`merged_payment`); ``GET /api/v1/account`` shows them without
the secrets (:func:`payment_view`); the core reads them, secrets opened, with
:func:`payment_config`.

The Stripe ``secret_key`` and ``webhook_secret`` are write-only. They are
stored sealed (AES-GCM-SIV) with a key derived from ``CHECKOUT_SECRET_KEYS``
for this purpose only, bound to the merchant and the field, so Redis, its AOF
and its backups never hold them readable, and a sealed value copied to
another merchant or field does not open. They never appear in a log, an
error or an answer: the view says ``secret_key_set`` / ``webhook_secret_set``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

import msgspec
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from checkout_links.core.crypto.encoding import b64decode, b64encode
from checkout_links.core.crypto.keyring import KeyRing
from checkout_links.core.errors import FieldError, ValidationFailed
from checkout_links.core.i18n.messages import INVALID
from checkout_links.core.primitives import text
from checkout_links.core.records import (
    Merchant,
    PaymentSettings,
    PaymentSettingsView,
    ProviderName,
    StripeSettings,
    StripeSettingsView,
)

#: The key ring purpose the Stripe secrets are sealed under.
PURPOSE = "checkout-links/payment-secret/v1"
#: The longest manual instructions.
MAX_INSTRUCTIONS = 1000
#: The free-text rule (``primitives/text.py``), but a newline is allowed: bank details have lines.
_MULTILINE = r"^[^\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$"


def webhook_path(merchant_id: str) -> str:
    """The path of the merchant's Stripe webhook endpoint (served by ``web/``)."""
    return f"/webhooks/stripe/{merchant_id}"


_Key = Annotated[str, StringConstraints(max_length=255)]


class StripePatch(BaseModel):
    """The ``stripe`` object of a payment patch: ``null`` clears a key, absent keeps it."""

    model_config = ConfigDict(extra="forbid", strict=True, str_strip_whitespace=True)

    publishable_key: (
        Annotated[_Key, StringConstraints(pattern=r"^pk_(test|live)_[A-Za-z0-9_]{1,240}$")] | None
    ) = Field(
        None,
        description="The publishable key (pk_test_... or pk_live_...).",
        examples=["pk_test_51HxYz"],
    )
    secret_key: (
        Annotated[_Key, StringConstraints(pattern=r"^(sk|rk)_(test|live)_[A-Za-z0-9_]{1,240}$")]
        | None
    ) = Field(
        None,
        description="The secret or restricted key (write-only).",
        examples=["sk_test_51HxYz"],
    )
    webhook_secret: (
        Annotated[_Key, StringConstraints(pattern=r"^whsec_[A-Za-z0-9+/=_-]{1,240}$")] | None
    ) = Field(
        None,
        description="The signing secret of the webhook endpoint (write-only).",
        examples=["whsec_5bQm"],
    )


class PaymentPatch(BaseModel):
    """The ``payment`` object of ``PATCH /api/v1/account`` (merge semantics)."""

    model_config = ConfigDict(extra="forbid", strict=True, str_strip_whitespace=True)

    provider: Literal["none", "manual", "stripe"] | None = Field(
        None,
        description="none (the default: nothing to pay through the service), manual "
        "(instructions; the merchant marks orders paid) or stripe (card payment).",
        examples=["manual"],
    )
    instructions: (
        Annotated[
            str,
            StringConstraints(max_length=MAX_INSTRUCTIONS, pattern=_MULTILINE),
            *text.NotBlank,
        ]
        | None
    ) = Field(
        None,
        description="manual: what the customer must do to pay (newlines kept), up to 1,000 "
        "characters.",
        examples=["Pay by bank transfer to DE89 3704 0044 0532 0130 00 within 14 days."],
    )
    stripe: StripePatch | None = Field(
        None,
        description="Stripe's keys; null removes them.",
        examples=[{"publishable_key": "pk_test_51HxYz", "secret_key": "sk_test_51HxYz"}],
    )


@dataclass(frozen=True, slots=True)
class StripeKeys:
    """A merchant's Stripe keys, opened: for the Stripe provider only. Never log it."""

    publishable_key: str
    secret_key: str = field(repr=False)
    webhook_secret: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class PaymentConfig:
    """How a merchant's orders are paid, secrets opened (:func:`payment_config`)."""

    provider: ProviderName = "none"
    instructions: str | None = None
    #: Set when all three keys are (required for provider ``stripe``).
    stripe: StripeKeys | None = None


def _settings(record: Merchant) -> PaymentSettings:
    return record.payment if isinstance(record.payment, PaymentSettings) else _NONE


_NONE = PaymentSettings()


def _context(merchant_id: str, name: str) -> bytes:
    return f"{merchant_id}/stripe/{name}".encode()


def _seal(keyring: KeyRing, merchant_id: str, name: str, value: str) -> str:
    return b64encode(keyring.encrypt(PURPOSE, value.encode(), _context(merchant_id, name)))


def _open(keyring: KeyRing, merchant_id: str, name: str, sealed: str) -> str:
    return keyring.decrypt(PURPOSE, b64decode(sealed), _context(merchant_id, name)).decode()


def merged_payment(
    record: Merchant, patch: PaymentPatch | None, sent: set[str], keyring: KeyRing
) -> Merchant:
    """``record`` with the payment ``patch`` applied: ``null`` resets to ``none``, each field
    sent replaces (``null`` clears), the rest stays.

    :class:`ValidationFailed` (422) when the result cannot take orders: ``manual``
    without instructions, ``stripe`` without all three keys, keys of test and live
    mode mixed.
    """
    if "payment" not in sent:
        return record
    if patch is None:
        return msgspec.structs.replace(record, payment=msgspec.UNSET)
    check_modes(patch)
    current = _settings(record)
    changes: dict[str, Any] = {}
    fields = patch.model_fields_set
    if "provider" in fields:
        changes["provider"] = patch.provider or "none"
    if "instructions" in fields:
        changes["instructions"] = patch.instructions
    if "stripe" in fields:
        changes["stripe"] = _merged_stripe(record.id, current.stripe, patch.stripe, keyring)
    settings = msgspec.structs.replace(current, **changes)
    _check(settings)
    return msgspec.structs.replace(record, payment=settings)


def _merged_stripe(
    merchant_id: str, current: StripeSettings | None, patch: StripePatch | None, keyring: KeyRing
) -> StripeSettings | None:
    if patch is None:
        return None
    stripe = current or StripeSettings()
    sent = patch.model_fields_set
    changes: dict[str, str | None] = {}
    if "publishable_key" in sent:
        changes["publishable_key"] = patch.publishable_key
    for name in ("secret_key", "webhook_secret"):
        if name in sent:
            value = getattr(patch, name)
            sealed = _seal(keyring, merchant_id, name, value) if value is not None else None
            changes[f"{name}_sealed"] = sealed
    return msgspec.structs.replace(stripe, **changes)


def _problem(loc: tuple[str, ...], msg: str) -> ValidationFailed:
    return ValidationFailed(INVALID, errors=[FieldError(("body", "payment", *loc), msg)])


def _check(settings: PaymentSettings) -> None:
    if settings.provider == "manual" and not settings.instructions:
        raise _problem(
            ("instructions",),
            "The manual provider needs instructions: tell the customer how to pay.",
        )
    stripe = settings.stripe
    if settings.provider == "stripe":
        missing = [
            name
            for name, value in (
                ("publishable_key", stripe.publishable_key if stripe else None),
                ("secret_key", stripe.secret_key_sealed if stripe else None),
                ("webhook_secret", stripe.webhook_secret_sealed if stripe else None),
            )
            if not value
        ]
        if missing:
            raise _problem(
                ("stripe", missing[0]),
                "The stripe provider needs publishable_key, secret_key and webhook_secret; "
                f"missing: {', '.join(missing)}.",
            )


def check_modes(patch: PaymentPatch | None) -> None:
    """A publishable and a secret key of different modes (test and live) sent together: 422."""
    stripe = patch.stripe if patch is not None else None
    if stripe is None or not stripe.publishable_key or not stripe.secret_key:
        return
    if stripe.publishable_key.split("_")[1] != stripe.secret_key.split("_")[1]:
        raise _problem(
            ("stripe", "secret_key"),
            "The publishable key and the secret key must both be test keys or both live keys.",
        )


def payment_view(record: Merchant, base_url: str) -> PaymentSettingsView:
    """The payment settings as ``GET /api/v1/account`` shows them: no secret, only whether
    each is set, and the webhook URL to register at Stripe."""
    settings = _settings(record)
    stripe = settings.stripe or StripeSettings()
    return PaymentSettingsView(
        provider=settings.provider,
        instructions=settings.instructions,
        stripe=StripeSettingsView(
            publishable_key=stripe.publishable_key,
            secret_key_set=stripe.secret_key_sealed is not None,
            webhook_secret_set=stripe.webhook_secret_sealed is not None,
            webhook_url=base_url.rstrip("/") + webhook_path(record.id),
        ),
    )


def instructions_of(record: Merchant) -> str | None:
    """The merchant's manual payment instructions, as the customer reads them (no secret)."""
    return _settings(record).instructions


def provider_of(record: Merchant) -> ProviderName:
    """The provider that new orders of the merchant are paid with (no secret opened)."""
    return _settings(record).provider


def payment_config(record: Merchant, keyring: KeyRing) -> PaymentConfig:
    """The merchant's payment settings with the Stripe secrets opened (for the core only).

    Keys sealed under a secret since removed from ``CHECKOUT_SECRET_KEYS`` do
    not open: :class:`~checkout_links.core.errors.InvalidToken`, and the
    merchant must send them again.
    """
    settings = _settings(record)
    stripe = settings.stripe
    keys = None
    if (
        stripe is not None
        and stripe.publishable_key
        and stripe.secret_key_sealed
        and stripe.webhook_secret_sealed
    ):
        keys = StripeKeys(
            publishable_key=stripe.publishable_key,
            secret_key=_open(keyring, record.id, "secret_key", stripe.secret_key_sealed),
            webhook_secret=_open(
                keyring, record.id, "webhook_secret", stripe.webhook_secret_sealed
            ),
        )
    return PaymentConfig(
        provider=settings.provider, instructions=settings.instructions, stripe=keys
    )
