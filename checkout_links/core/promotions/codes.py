"""Promotion codes: each merchant's codes in Redis, and the redemption guarantee.

A promotion lives under its own hash tag ``{p:<merchant>:<CODE>}``: its
definition (``def``, a hash whose plain fields the scripts read), the count of
redemptions (``used``) and the reservations in flight (``held``: id -> expiry
in ms; ``holders``: id -> the link it is for). A link's keys live in the link's
shard, another slot, so on Redis Cluster no single script can count a
redemption and spend the link. The guarantee -- a code limited to N never
yields more than N orders -- is kept by a reservation protocol instead:

1. **Reserve** (script in the promotion's slot): refuse unless the code is
   active and inside its validity window by the Redis clock, and
   ``used + |held| < N``; else add a random reservation id to ``held`` with an
   expiry (:attr:`Promotions.reservation_ttl_ms`).
2. **Spend** (the ledger's script in the link's slot): refused if the fence key
   of this reservation exists (:func:`keys.promotion_fence`); otherwise it
   writes the order, which carries the code, and the reservation id in
   :func:`keys.promotion_spent`, in the same atomic step as the mark.
3. **Confirm** (promotion's slot): move the reservation from ``held`` to
   ``used``. Idempotent: a reservation no longer held is not counted twice.
4. **Release** when the spend did not happen: directly after a definite
   refusal by the spend script; otherwise (an error whose outcome is unknown,
   or a reservation whose expiry passed) through **settle**: a script in the
   link's slot that answers ``spent`` if the link's spend recorded this
   reservation, ``void`` if the link is marked otherwise (spent by another
   request, revoked: this reservation can never be spent), and else writes the
   fence, so the spend can no longer use it; then confirm (``spent``) or
   release (``void``/fenced) in the promotion's slot.

Invariant: every order placed with the code recorded a reservation that was in
``held`` when the spend ran (the fence is checked in that same step), and a
reservation leaves ``held`` only by confirm (``used`` grows by one) or by a
release after proof that its spend did not and cannot happen. So orders ``<=
used + |held| <= N`` at every moment.

A process that dies between the steps:

* after reserve, before the spend: the reservation stays held until it
  expires; the next reserve that finds the code full, or a read of the
  promotion, settles it (fence, release). The slot was delayed, never added.
* after the spend, before confirm: the order exists but is not yet counted;
  the reservation still counts in ``held``, so no one else can take its place,
  and settling it finds ``spent`` and confirms it.
* during settle: each half is idempotent, so the next settle finishes it.
* a live but slow request whose reservation was settled meanwhile: its spend
  finds the fence and is refused; the link stays untouched and usable.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Any

import msgspec

from checkout_links.core import records
from checkout_links.core.crypto.encoding import text
from checkout_links.core.errors import NotFound, ValidationFailed
from checkout_links.core.links.choices import PromotionIn, normal_code
from checkout_links.core.primitives.clock import now_iso
from checkout_links.core.primitives.jsonutil import dumps
from checkout_links.core.promotions import scripts
from checkout_links.core.promotions.record import Promotion, refusal_error
from checkout_links.core.storage import redis_keys as keys
from checkout_links.core.storage.connection import Redis

_decode = msgspec.json.Decoder(records.Promotion).decode


@dataclass(frozen=True, slots=True)
class Reservation:
    """One held redemption of ``code`` for one link's spend."""

    merchant_id: str
    code: str
    id: str
    link_rand: bytes
    link_expires_at: int

    def spend_keys(self) -> list[str]:
        """The link-shard keys the spend checks and writes: spent-with, then fence.

        The spend script refuses (``void``) when the fence exists, and else
        writes this reservation's id into spent-with, in the step that spends.
        """
        return [keys.promotion_spent(self.link_rand), keys.promotion_fence(self.link_rand, self.id)]


class Promotions:
    """Store promotion codes and hold, confirm and release their redemptions."""

    def __init__(self, client: Redis, reservation_ttl_ms: int = 60_000) -> None:
        self.client = client
        #: How long a reservation may wait for its spend before anyone may settle it.
        #: Longer than a request can take (gunicorn's timeout is 30 s).
        self.reservation_ttl_ms = reservation_ttl_ms
        self._reserve = client.register_script(scripts.RESERVE)
        self._finish = client.register_script(scripts.FINISH)
        self._settle = client.register_script(scripts.SETTLE)
        self._stale = client.register_script(scripts.STALE)

    def _keys(self, merchant_id: str, code: str, *parts: str) -> list[str]:
        return [keys.promotion(merchant_id, code, part) for part in parts]

    # --- the merchant's side -------------------------------------------------

    def put(self, merchant_id: str, code: str, body: PromotionIn) -> tuple[dict[str, Any], bool]:
        """Create or replace the code's terms (its count stays); returns ``(json, created)``."""
        errors = body.money_errors()
        if errors:
            raise ValidationFailed("The promotion is invalid.", errors=errors)
        def_key, used_key = self._keys(merchant_id, code, "def", "used")
        previous = self.client.hget(def_key, "doc")
        now = now_iso()
        starts = int(body.starts_at.timestamp()) if body.starts_at else None
        expires = int(body.expires_at.timestamp()) if body.expires_at else None
        doc = records.Promotion(
            code=code,
            percent=body.percent,
            amount=body.amount,
            currency=body.currency if body.amount is not None else None,
            label=body.label,
            starts_ts=starts,
            expires_ts=expires,
            max_redemptions=body.max_redemptions,
            products=tuple(sorted(set(body.products))) if body.products is not None else None,
            active=body.active,
            created_at=_decode(previous).created_at if previous else now,
            updated_at=now,
        )
        fields = {
            "doc": dumps(doc),
            "active": "1" if body.active else "0",
            "starts": "" if starts is None else str(starts),
            "expires": "" if expires is None else str(expires),
            "max": "" if body.max_redemptions is None else str(body.max_redemptions),
        }
        # The definition first: an index entry never names a code that is not there.
        pipe = self.client.pipeline(transaction=True)
        pipe.hset(def_key, mapping=fields)  # type: ignore[arg-type]
        pipe.get(used_key)
        _, used = pipe.execute()
        self.client.zadd(keys.promotion_index(merchant_id), {code: 0})
        promotion = Promotion.counted(doc, int(used or 0))
        return promotion.as_json(), previous is None

    def get(self, merchant_id: str, code: str) -> Promotion:
        """The code with its settled count; :class:`NotFound` if the merchant has none."""
        self.sweep(merchant_id, code)
        promotion = self._read(merchant_id, code)
        if promotion is None:
            raise NotFound(f"No promotion {code!r}.")
        return promotion

    def _read(self, merchant_id: str, code: str) -> Promotion | None:
        """The code with its settled count (one round trip), or ``None`` if there is none."""
        def_key, used_key = self._keys(merchant_id, code, "def", "used")
        pipe = self.client.pipeline(transaction=False)
        pipe.hget(def_key, "doc")
        pipe.get(used_key)
        raw, used = pipe.execute()
        return None if raw is None else Promotion.counted(_decode(raw), int(used or 0))

    def page(
        self, merchant_id: str, cursor: str | None, limit: int
    ) -> tuple[list[Promotion], str | None]:
        """One page of codes in code order; the cursor is the last code returned."""
        start = f"({cursor}" if cursor else "-"
        found = self.client.zrangebylex(
            keys.promotion_index(merchant_id), start, "+", start=0, num=limit + 1
        )
        codes = [text(code) for code in found[:limit]]
        pipe = self.client.pipeline(transaction=False)
        for code in codes:
            def_key, used_key = self._keys(merchant_id, code, "def", "used")
            pipe.hget(def_key, "doc")
            pipe.get(used_key)
        replies = pipe.execute() if codes else []
        items = [
            Promotion.counted(_decode(raw), int(used or 0))
            for raw, used in zip(replies[::2], replies[1::2], strict=True)
            if raw is not None
        ]
        return items, codes[-1] if len(found) > limit else None

    def deactivate(self, merchant_id: str, code: str) -> Promotion:
        """Turn the code off (its count and terms stay); :class:`NotFound` if unknown."""
        current = self.get(merchant_id, code)
        def_key = keys.promotion(merchant_id, code, "def")
        raw = self.client.hget(def_key, "doc")
        doc = msgspec.structs.replace(
            _decode(raw) if raw is not None else current.stored(),
            active=False,
            updated_at=now_iso(),
        )
        self.client.hset(def_key, mapping={"doc": dumps(doc), "active": "0"})
        return Promotion.counted(doc, current.redemptions)

    # --- the customer's side -------------------------------------------------

    def find(self, merchant_id: str, typed: str, currency: str) -> Promotion:
        """The code a customer typed (any case), if usable now in ``currency``.

        Raises :class:`ValidationFailed` on ``promo_code`` with a sentence for
        the customer otherwise. Whether it applies to the chosen lines is
        pricing's to say; whether a redemption is left, :meth:`reserve`'s.
        """
        code = normal_code(typed)
        if code is None:
            raise refusal_error("unknown")
        promotion = self._read(merchant_id, code)
        if promotion is None:
            raise refusal_error("unknown")
        reason = promotion.refusal(time.time(), currency)
        if reason is not None:
            raise refusal_error(reason)
        return promotion

    def reserve(
        self, merchant_id: str, code: str, link_rand: bytes, link_expires_at: int
    ) -> Reservation:
        """Hold one redemption of ``code`` for this link's spend (step 1 of the protocol).

        Raises :class:`ValidationFailed` on ``promo_code`` when the code is
        unknown, inactive, outside its window or used up (after settling any
        expired reservations that held the last redemptions).
        """
        reservation = Reservation(
            merchant_id, code, os.urandom(12).hex(), link_rand, link_expires_at
        )
        script_keys = self._keys(merchant_id, code, "def", "used", "held", "holders")
        holder = f"{link_rand.hex()}|{link_expires_at}"
        for _ in range(3):
            reply = self._reserve(
                keys=script_keys, args=[reservation.id, holder, self.reservation_ttl_ms]
            )
            outcome = text(reply[0])
            if outcome == "ok":
                return reservation
            if outcome != "full":
                known = outcome in ("not_started", "expired", "inactive")
                raise refusal_error(outcome if known else "unknown")
            stale = [text(item) for item in reply[1:]]
            if not stale:
                break
            self._settle_all(merchant_id, code, stale)
        raise refusal_error("used_up")

    def confirm(self, reservation: Reservation) -> bool:
        """Count the redemption once its spend placed the order (step 3); idempotent."""
        script_keys = self._keys(
            reservation.merchant_id, reservation.code, "used", "held", "holders"
        )
        return bool(self._finish(keys=script_keys, args=[reservation.id, 1]))

    def release(self, reservation: Reservation) -> None:
        """Free the reservation: only when its spend was refused or never sent."""
        script_keys = self._keys(
            reservation.merchant_id, reservation.code, "used", "held", "holders"
        )
        self._finish(keys=script_keys, args=[reservation.id, 0])

    def settle(self, reservation: Reservation) -> bool:
        """Confirm or release a reservation whose spend's outcome is unknown (step 4).

        Returns whether it was confirmed (the link's order used it).
        """
        verdict = self._settle(
            keys=[
                keys.promotion_spent(reservation.link_rand),
                keys.link_mark(reservation.link_rand),
                keys.promotion_fence(reservation.link_rand, reservation.id),
            ],
            # The fence outlives every moment the link could still be spent.
            args=[reservation.id, reservation.link_expires_at + 86_400],
        )
        if text(verdict) == "spent":
            self.confirm(reservation)
            return True
        self.release(reservation)
        return False

    def _settle_all(self, merchant_id: str, code: str, stale: list[str]) -> None:
        for res_id, holder in zip(stale[::2], stale[1::2], strict=True):
            link_hex, _, expires = holder.partition("|")
            if not link_hex:
                # Written with the reservation and removed with it; never freed
                # without the proof the holder gives.
                continue
            link = bytes.fromhex(link_hex)
            self.settle(Reservation(merchant_id, code, res_id, link, int(expires)))

    def sweep(self, merchant_id: str, code: str) -> None:
        """Settle the code's reservations whose time ran out (crashed or abandoned spends)."""
        stale = self._stale(keys=self._keys(merchant_id, code, "held", "holders"))
        self._settle_all(merchant_id, code, [text(item) for item in stale])
