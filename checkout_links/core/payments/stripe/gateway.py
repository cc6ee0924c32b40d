"""The calls the service makes to Stripe, through the official ``stripe`` package.

Everything Stripe answers is read into small typed records here (:class:`Intent`),
and every ``stripe`` exception becomes one of ours: a decline is an answer
(``Intent.decline`` is set), a network or Stripe failure is :class:`StripeUnavailable`
(503, nothing was decided), and wrong keys are :class:`StripeRefused`. Stripe's own
messages are never passed on: some quote part of a key.

Card data never reaches these calls: Stripe.js turns the card into a token in the
customer's browser, and the service only ever handles the token's id (PCI SAQ A).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import stripe

from checkout_links.core.errors import CheckoutError

log = logging.getLogger(__name__)
# The stripe package logs every request's URL at INFO; ours say what matters, without ids.
logging.getLogger("stripe").setLevel(logging.WARNING)

#: Network retries of one call; every call that writes carries an idempotency key,
#: so a retry (ours or the stripe package's) never charges twice.
NETWORK_RETRIES = 2
TIMEOUT_SECONDS = 20.0


class StripeUnavailable(CheckoutError):
    """Stripe could not be reached or failed; nothing was decided, try again later."""

    status = 503
    title = "Card payments are unavailable"
    slug = "stripe-unavailable"


class StripeRefused(CheckoutError):
    """Stripe refused the merchant's keys or the request (a setup problem, not the customer's)."""

    status = 502
    title = "The card payment provider refused the request"
    slug = "stripe-refused"


@dataclass(frozen=True, slots=True)
class Intent:
    """A PaymentIntent as the service needs it.

    ``amount``, ``amount_received`` and ``amount_refunded`` are Stripe's integers
    (see :mod:`.amounts`); ``decline`` is the code of the last failed attempt
    (``card_declined``, ``payment_intent_authentication_failure``...), if any.
    """

    id: str
    status: str
    amount: int
    currency: str
    client_secret: str | None
    metadata: dict[str, str]
    amount_received: int = 0
    amount_refunded: int = 0
    decline: str | None = None
    #: When Stripe created it (Unix milliseconds; 0 when unknown).
    created_ms: int = 0

    @property
    def succeeded(self) -> bool:
        return self.status == "succeeded"


def intent_of(obj: dict[str, Any]) -> Intent:
    """Read a PaymentIntent (the dict of an answer or of a webhook event)."""
    error = obj.get("last_payment_error") or None
    status = str(obj["status"])
    amount = int(obj["amount"])
    received = obj.get("amount_received")
    if received is None:  # localstripe leaves it out; Stripe sets it when the intent succeeds
        received = amount if status == "succeeded" else 0
    charge = obj.get("latest_charge")  # expanded when read through the API
    refunded = int(charge.get("amount_refunded") or 0) if isinstance(charge, dict) else 0
    return Intent(
        id=str(obj["id"]),
        status=status,
        amount=amount,
        currency=str(obj["currency"]).upper(),
        client_secret=obj.get("client_secret"),
        metadata={str(k): str(v) for k, v in (obj.get("metadata") or {}).items()},
        amount_received=int(received),
        amount_refunded=refunded,
        decline=str(error.get("code") or "card_declined") if error else None,
        created_ms=int(obj.get("created") or 0) * 1000,
    )


class StripeGateway:
    """Stripe's API at ``api_base`` (``CHECKOUT_STRIPE_API_BASE``); each call takes the
    merchant's secret key (opened by ``core/merchants/payment.py``, never stored here)."""

    def __init__(self, api_base: str, *, timeout: float = TIMEOUT_SECONDS) -> None:
        self.api_base = api_base.rstrip("/")
        self.timeout = timeout

    def _client(self, secret_key: str) -> stripe.StripeClient:
        return stripe.StripeClient(
            secret_key,
            base_addresses={"api": self.api_base},
            max_network_retries=NETWORK_RETRIES,
            http_client=stripe.RequestsClient(timeout=self.timeout),
        )

    def create_intent(
        self, secret_key: str, *, amount: int, currency: str, metadata: dict[str, str], key: str
    ) -> Intent:
        """Create a PaymentIntent; Stripe answers the same intent again for the same ``key``."""
        params: dict[str, Any] = {
            "amount": amount,
            "currency": currency.lower(),
            "metadata": metadata,
            "payment_method_types": ["card"],
        }
        with _converted("create a payment"):
            obj = self._client(secret_key).v1.payment_intents.create(
                params=params,  # type: ignore[arg-type]
                options={"idempotency_key": key},
            )
        return intent_of(obj.to_dict())

    def retrieve(self, secret_key: str, intent_id: str) -> Intent:
        """The intent as Stripe holds it now (what the service believes, never the browser)."""
        with _converted("read a payment"):
            obj = self._client(secret_key).v1.payment_intents.retrieve(
                intent_id, params={"expand": ["latest_charge"]}
            )
        return intent_of(obj.to_dict())

    def confirm_with_card(self, secret_key: str, intent_id: str, card: str) -> Intent:
        """Attach the card Stripe.js made and confirm: charged, declined, or 3-D Secure.

        ``card`` is a PaymentMethod id (``pm_...``, what Stripe.js makes) or a card
        token (``tok_...``, what localstripe's Stripe.js double makes; its card is read
        from Stripe). The service never sees a card number. A decline comes back as
        the intent with ``decline`` set.
        """
        client = self._client(secret_key)
        method = card
        if card.startswith("tok_"):
            with _converted("read the card"):
                held = client.v1.tokens.retrieve(card).to_dict().get("card")
            if not held:
                raise StripeRefused("The card token holds no card.")
            method = str(held["id"])
        try:
            with _converted("attach the card"):
                client.v1.payment_intents.update(intent_id, params={"payment_method": method})
            with _converted("confirm the payment"):
                client.v1.payment_intents.confirm(intent_id)
        except _Declined:
            pass  # the intent now says why; read it below
        except StripeRefused:
            # Stripe refuses to confirm an intent that another tab (or a double click) is
            # confirming or has confirmed: what that did is in the intent, read below.
            now = self.retrieve(secret_key, intent_id)
            if (
                now.status in ("requires_payment_method", "requires_confirmation")
                and not now.decline
            ):
                raise
            return now
        return self.retrieve(secret_key, intent_id)

    def cancel(self, secret_key: str, intent_id: str) -> Intent:
        """Cancel an intent that can no longer be used, so it can never be charged later."""
        with _converted("cancel a payment"):
            obj = self._client(secret_key).v1.payment_intents.cancel(intent_id)
        return intent_of(obj.to_dict())

    def refunds(self, secret_key: str, intent_id: str) -> list[tuple[str, int]]:
        """The succeeded refunds of the intent's charge: ``(refund id, amount)``, as Stripe says."""
        with _converted("read the refunds"):
            listed = self._client(secret_key).v1.refunds.list(
                params={"payment_intent": intent_id, "limit": 100}
            )
        return [
            (str(r["id"]), int(r["amount"]))
            for r in listed.to_dict().get("data", [])
            if r.get("status") == "succeeded"
        ]

    def refund(self, secret_key: str, intent_id: str, amount: int, key: str) -> str:
        """Refund ``amount`` of the intent's charge; the same ``key`` never refunds twice."""
        with _converted("refund a payment"):
            refund = self._client(secret_key).v1.refunds.create(
                params={"payment_intent": intent_id, "amount": amount},
                options={"idempotency_key": key},
            )
        return str(refund.id)


class _Declined(Exception):
    """Stripe said no to the card; the intent records why."""


@contextlib.contextmanager
def _converted(what: str) -> Iterator[None]:
    """Turn the ``stripe`` package's exceptions into ours, without Stripe's message."""
    try:
        yield
    except stripe.StripeError as exc:
        code, status = exc.code, exc.http_status
        # Logged without Stripe's message (it may quote a masked key) or the request.
        log.warning(
            "stripe call failed", extra={"what": what, "stripe_status": status, "stripe_code": code}
        )
        if isinstance(exc, stripe.CardError):
            raise _Declined() from None
        if isinstance(exc, stripe.APIConnectionError | stripe.RateLimitError) or (
            status is not None and status >= 500
        ):
            raise StripeUnavailable(f"Stripe did not answer when asked to {what}.") from None
        raise StripeRefused(f"Stripe refused to {what} (HTTP {status}, {code}).") from None
