"""One exception tree for the whole service, under :class:`CheckoutError`.

Domain code raises these; ``checkout_links.web.problems`` is the one place
that turns them into RFC 9457 ``application/problem+json`` (API) or an HTML
page (customer side). Messages never carry secrets, tokens or personal data.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import msgspec


class FieldError(msgspec.Struct, frozen=True, omit_defaults=True):
    """One value that failed validation: an item of a 422's ``errors``.

    ``loc`` says where (``("body", "products", 0, "price")``) and ``msg`` what
    to change, in English. Errors the customer's pages show also carry the
    ``msgid`` the page translates and the ``params`` it fills in (``msg`` is
    then ``msgid % params``); unset, they are left out of the JSON.
    """

    loc: tuple[str | int, ...]
    msg: str
    msgid: str | None = None
    params: dict[str, str | int] | None = None

    @classmethod
    def worded(cls, loc: tuple[str | int, ...], msgid: str, **params: str | int) -> FieldError:
        """An error the customer's page translates: ``msgid`` with its ``params``."""
        return cls(loc, msgid % params if params else msgid, msgid, params)


class CheckoutError(Exception):
    """Base of every error the service raises on purpose."""

    status = 500
    title = "Internal error"
    slug = "internal"
    headers: dict[str, str]

    def __init__(self, detail: str = "", *, errors: Sequence[FieldError] | None = None) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        #: What to change, for a 422; ``None`` for every other error.
        self.errors = list(errors) if errors is not None else None
        self.headers = {}


class ConfigError(CheckoutError, RuntimeError):
    """A setting is missing or invalid; the process must not start.

    ``problems`` holds one sentence per setting, each starting with the
    variable's name (the message joins them), so every bad setting is named at once.
    A :class:`RuntimeError` too: gunicorn reports one of those raised while it
    loads the app as one ``Error:`` line instead of a traceback.
    """

    title = "Invalid configuration"
    slug = "config"

    def __init__(self, detail: str = "", *, problems: Sequence[str] | None = None) -> None:
        super().__init__(detail)
        self.problems = tuple(problems) if problems else (self.detail,)


class Unauthorized(CheckoutError):
    """No, unknown or revoked API key."""

    status = 401
    title = "Unauthorized"
    slug = "unauthorized"

    def __init__(self, detail: str = "") -> None:
        super().__init__(detail)
        self.headers["WWW-Authenticate"] = 'Bearer realm="checkout-links"'


class NotFound(CheckoutError):
    """Unknown id, or an id that belongs to another merchant."""

    status = 404
    title = "Not found"
    slug = "not-found"


class Conflict(CheckoutError):
    """The request conflicts with the current state (revoking a completed link...)."""

    status = 409
    title = "Conflict"
    slug = "conflict"


class PaymentMismatch(Conflict):
    """A payment report whose amount or currency differ from the order's: it never marks paid."""

    title = "Payment does not match the order"
    slug = "payment-mismatch"


class DuplicatePayment(Conflict):
    """A second successful payment reported for an order already paid by another.

    The order stays paid by the first; the provider refunds the second
    (``payments/provider.py``). ``reference`` is the first payment's.
    """

    title = "Order already paid"
    slug = "duplicate-payment"

    def __init__(self, detail: str, *, reference: str | None) -> None:
        super().__init__(detail)
        self.reference = reference


class LinkGone(CheckoutError):
    """A link that was valid once but can no longer be used."""

    status = 410
    title = "Link no longer available"
    slug = "link-gone"

    def __init__(
        self,
        reason: Literal["expired", "completed", "revoked"],
        detail: str = "",
        *,
        expires_at: int | None = None,
    ) -> None:
        super().__init__(detail or f"This link is {reason}.")
        self.reason = reason
        #: When the link expired (Unix time), for the page that says so.
        self.expires_at = expires_at
        #: A completed link's order: its number and payment status, for the page that says so.
        self.order_number: str | None = None
        self.payment_status: str | None = None


class BadRequest(CheckoutError):
    """The request cannot be read: malformed JSON, a body cut short."""

    status = 400
    title = "Bad request"
    slug = "bad-request"


class PayloadTooLarge(CheckoutError):
    """The request body is over ``CHECKOUT_MAX_BODY_BYTES``."""

    status = 413
    title = "Payload too large"
    slug = "payload-too-large"


class UnsupportedMediaType(CheckoutError):
    """The body is not ``application/json``."""

    status = 415
    title = "Unsupported media type"
    slug = "unsupported-media-type"


class ValidationFailed(CheckoutError):
    """The input does not satisfy the contract; ``errors`` says where."""

    status = 422
    title = "Validation failed"
    slug = "validation"


class CodeRefused(ValidationFailed):
    """A promotion code the customer cannot use: unknown, not yet or no longer valid, used
    up, or not for these items.

    The customer reads one sentence whatever the reason, with one status, so
    trying codes teaches nothing about which exist; :attr:`reason` keeps which
    one it was for the tests and the logs.
    """

    def __init__(self, reason: str, msgid: str) -> None:
        super().__init__(msgid, errors=[FieldError.worded(("form", "promo_code"), msgid)])
        self.reason = reason


class InvalidToken(CheckoutError):
    """A token or id that does not verify; says nothing more on purpose."""

    status = 404
    title = "Not found"
    slug = "not-found"


class RateLimited(CheckoutError):
    """Too many requests; ``Retry-After`` says when to come back."""

    status = 429
    title = "Too many requests"
    slug = "rate-limited"

    def __init__(self, retry_after: int, detail: str = "") -> None:
        super().__init__(detail or "Rate limit exceeded; retry later.")
        self.headers["Retry-After"] = str(max(1, retry_after))


class StoreUnavailable(CheckoutError):
    """The ledger store (Redis) cannot be reached; nothing was written."""

    status = 503
    title = "Service unavailable"
    slug = "store-unavailable"

    def __init__(self, detail: str = "", retry_after: int = 5) -> None:
        super().__init__(detail or "The ledger store is unreachable; nothing was changed.")
        self.headers["Retry-After"] = str(retry_after)

    @property
    def cause_name(self) -> str:
        """The class name of the Redis error behind it, for logs (its text may name the host)."""
        return type(self.__cause__).__name__ if self.__cause__ is not None else "unknown"
