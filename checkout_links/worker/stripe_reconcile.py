"""The worker's reconciliation of card payments: read Stripe for pending orders.

A payment Stripe made must never be lost because both of its reports were: the
customer closed the tab after paying (no return) and the webhook did not arrive
(a wrong endpoint, an outage longer than Stripe's retries, an app killed as it
came in). Each round takes a bounded batch of the orders still awaiting payment
(the shards' payments-due indexes, ``core/payments/``), keeps those that have a
PaymentIntent (the others never reached Stripe), reads the intent from Stripe
and records what it says through the same transitions as the return and the
webhook (``core/payments/stripe/provider.py:settle``): one ``order.paid`` in all.

A cursor per shard walks the index by due time, so every pending order is read
once per cycle, not the oldest batch over and over.
"""

from __future__ import annotations

import logging
import time
from typing import cast

from checkout_links.core.errors import CheckoutError
from checkout_links.core.merchants.payment import payment_config
from checkout_links.core.orders.queries import load_order
from checkout_links.core.payments.state import payment_of
from checkout_links.core.payments.stripe.gateway import StripeGateway
from checkout_links.core.payments.stripe.intents import attempts_key
from checkout_links.core.payments.stripe.provider import StripeProvider, settle
from checkout_links.core.services import Services
from checkout_links.core.storage import redis_keys as keys

log = logging.getLogger(__name__)

#: Orders read from Stripe per round, at most (one API call each).
BATCH = 50
#: Seconds between rounds.
EVERY_SECONDS = 60.0
#: An intent younger than this is left to the customer's own return and the webhook.
MIN_AGE_SECONDS = 120


class Reconciliation:
    """Rounds of :meth:`run_once`, at most one every :data:`EVERY_SECONDS` through :meth:`tick`."""

    def __init__(self, svc: Services, *, min_age_seconds: float = MIN_AGE_SECONDS) -> None:
        self.svc = svc
        self.redis = svc.redis
        self.payments = svc.payments
        self.gateway = StripeGateway(svc.settings.stripe_api_base)
        self.min_age_ms = int(min_age_seconds * 1000)
        self._cursor: dict[int, float] = {}
        self._shard = 0
        self._last = float("-inf")

    def tick(self) -> None:
        """Run a round if the last one is :data:`EVERY_SECONDS` old."""
        if time.monotonic() - self._last < EVERY_SECONDS:
            return
        self._last = time.monotonic()
        try:
            # Nothing written while no order awaits payment; then one worker a round (the
            # others would only read the same intents again).
            if self._anything_due() and self.redis.set(
                keys.stripe_reconcile_turn(), "1", nx=True, ex=int(EVERY_SECONDS) - 5
            ):
                self.run_once()
        except CheckoutError:  # Redis or Stripe away: the next round tries again
            log.warning("stripe reconciliation round failed", exc_info=True)

    def _anything_due(self) -> bool:
        pipe = self.redis.pipeline(transaction=False)
        for shard in range(self.svc.settings.ledger_shards):
            pipe.exists(keys.payments_due(shard))
        return any(pipe.execute())

    def run_once(self) -> int:
        """Read up to :data:`BATCH` pending card orders from Stripe; returns how many were read."""
        read, shards = 0, self.svc.settings.ledger_shards
        for _ in range(shards):
            if read >= BATCH:
                break
            shard = self._shard
            read += self._shard_round(shard, BATCH - read)
            self._shard = (shard + 1) % shards
        return read

    def _shard_round(self, shard: int, budget: int) -> int:
        index = keys.payments_due(shard)
        after = self._cursor.get(shard, float("-inf"))
        low = "-inf" if after == float("-inf") else f"({after}"
        members = cast(
            "list[tuple[bytes | str, float]]",
            self.redis.zrangebyscore(index, low, "+inf", start=0, num=budget, withscores=True),
        )
        if len(members) < budget:
            self._cursor.pop(shard, None)  # the end of the index: start over next cycle
        elif members:
            self._cursor[shard] = float(members[-1][1])
        order_ids = [m.decode() if isinstance(m, bytes) else str(m) for m, _ in members]
        pipe = self.redis.pipeline(transaction=False)
        for order_id in order_ids:
            pipe.exists(attempts_key(order_id))
        with_intents = [o for o, has in zip(order_ids, pipe.execute(), strict=True) if has]
        now_ms = int(time.time() * 1000)
        read = 0
        for order_id in with_intents:
            try:
                read += self._reconcile(order_id, now_ms)
            except CheckoutError:
                log.warning("stripe reconciliation of one order failed", exc_info=True)
        return read

    def _reconcile(self, order_id: str, now_ms: int) -> int:
        order = load_order(self.redis, self.svc.keyring, order_id)
        payment = payment_of(order)
        if payment.provider != "stripe" or payment.status != "pending":
            return 0
        config = payment_config(self.svc.merchants.get(order.merchant_id), self.svc.keyring)
        if config.stripe is None:
            return 0
        provider = StripeProvider(
            config.stripe, self.gateway, self.redis, self.svc.settings.order_retention_seconds
        )
        intent = provider.latest(order)
        if intent is None:
            return 0
        if intent.created_ms and now_ms - intent.created_ms < self.min_age_ms:
            return 0
        outcome = settle(self.payments, provider, order, intent)
        if outcome == "paid":
            log.info("stripe payment found by reconciliation", extra={"order_id": order.id})
        return 1
