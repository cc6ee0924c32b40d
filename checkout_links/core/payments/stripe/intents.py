"""One live PaymentIntent per order: create it once, reuse it, replace it only when it is dead.

An order's intents are numbered attempts, kept in one Redis hash beside the order
(same hash tag, so one slot on a Redis Cluster): field ``pi:<n>`` holds attempt
``n``'s intent id. Attempt ``n`` is created at Stripe with the idempotency key
``checkout-links/<merchant>/<order>/<n>``, so two tabs, a reload or a double
click that create it at once get the same intent from Stripe; the hash's
``HSETNX`` settles it even where a Stripe double ignores idempotency keys (the
loser's unconfirmed intent is canceled).

A new attempt is made only after the previous intent was declined (or failed
3-D Secure) **and was canceled at Stripe**: a canceled intent can never be
charged, so at most one intent of an order can ever succeed. That is the
"at most one charge per order" guarantee on the Stripe side; the order's own
transition (``core/payments``) makes sure it is recorded once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from checkout_links.core.links.ids import link_rand_of_order
from checkout_links.core.payments.stripe.gateway import Intent, StripeGateway, StripeRefused
from checkout_links.core.storage import redis_keys as keys
from checkout_links.core.storage.connection import Redis

#: Intents a customer may use up with declines before the order refuses more attempts.
MAX_ATTEMPTS = 20
#: Statuses in which an intent can still be paid (or already was).
LIVE = frozenset(
    {
        "requires_payment_method",
        "requires_confirmation",
        "requires_action",
        "processing",
        "requires_capture",
        "succeeded",
    }
)


class TooManyAttempts(StripeRefused):
    """The order used up its attempts; the customer must contact the seller."""

    status = 429
    title = "Too many payment attempts"
    slug = "too-many-attempts"


def attempts_key(order_id: str) -> str:
    """The hash of an order's intents, in the order's hash slot."""
    return keys.stripe_attempts(link_rand_of_order(order_id))


@dataclass(frozen=True, slots=True)
class OrderCharge:
    """What an order's intent must charge: Stripe's integer amount of its currency."""

    merchant_id: str
    order_id: str
    amount: int
    currency: str


def intent_ids(redis: Redis, order_id: str) -> list[str]:
    """The order's intents, oldest attempt first."""
    fields = redis.hgetall(attempts_key(order_id))
    numbered = sorted((int(k.split(":")[1]), v) for k, v in _text(fields).items())
    return [intent for _, intent in numbered]


def _text(fields: Mapping[bytes | str, bytes | str]) -> dict[str, str]:
    return {
        (k.decode() if isinstance(k, bytes) else k): (v.decode() if isinstance(v, bytes) else v)
        for k, v in fields.items()
    }


def usable(intent: Intent) -> bool:
    """Whether the intent can still be paid: live, and no decline recorded on it."""
    return intent.status in LIVE and not (
        intent.status == "requires_payment_method" and intent.decline
    )


def current_intent(
    redis: Redis, gateway: StripeGateway, secret_key: str, charge: OrderCharge, ttl: int
) -> Intent:
    """The order's live intent: the last attempt when still usable, else a new attempt.

    Never returns an intent whose amount or currency differ from ``charge``
    (:class:`StripeRefused`): such an intent is not the order's.
    """
    ids = intent_ids(redis, charge.order_id)
    if ids:
        last = gateway.retrieve(secret_key, ids[-1])
        if usable(last):
            return _checked(last, charge)
        if last.status != "canceled":
            # Dead for this order but still cancelable: cancel it before any new attempt,
            # so that it can never be charged beside the next one.
            last = gateway.cancel(secret_key, last.id)
    if len(ids) >= MAX_ATTEMPTS:
        raise TooManyAttempts("This order has used up its payment attempts.")
    number = len(ids) + 1
    created = gateway.create_intent(
        secret_key,
        amount=charge.amount,
        currency=charge.currency,
        metadata={"order": charge.order_id, "merchant": charge.merchant_id},
        key=f"checkout-links/{charge.merchant_id}/{charge.order_id}/{number}",
    )
    key = attempts_key(charge.order_id)
    pipe = redis.pipeline(transaction=True)
    pipe.hsetnx(key, f"pi:{number}", created.id)
    pipe.hget(key, f"pi:{number}")
    pipe.expire(key, ttl)
    _, winner, _ = pipe.execute()
    winner = winner.decode() if isinstance(winner, bytes) else winner
    if winner != created.id:
        # Another request made this attempt at the same moment (a double that ignores
        # idempotency keys): ours was never confirmed; cancel it and use theirs.
        gateway.cancel(secret_key, created.id)
        return _checked(gateway.retrieve(secret_key, str(winner)), charge)
    return _checked(created, charge)


def _checked(intent: Intent, charge: OrderCharge) -> Intent:
    if intent.amount != charge.amount or intent.currency != charge.currency.upper():
        raise StripeRefused("The payment at Stripe does not match the order's total.")
    return intent
