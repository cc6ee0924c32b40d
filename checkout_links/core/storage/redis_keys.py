"""The Redis key layout, in one place.

Every key a multi-key atomic step touches carries the same ``{hash tag}``, so
each step runs unchanged on Redis Cluster:

* a link's ledger keys, its order and the outbox stream it feeds all live in
  its shard, ``{s07}``: one of ``CHECKOUT_LEDGER_SHARDS`` (up to
  :data:`MAX_SHARDS`), chosen at issuance and carried in the link's random id,
  so raising the setting never moves an issued link;
* a merchant's order and event indexes, and the doorbell the workers watch,
  live in one of :data:`INDEX_PARTS` parts: part ``p`` shares shard ``p``'s
  tag, and a shard's part is ``shard % INDEX_PARTS``, so listing reads 16
  keys and a worker watches 16 doorbells however many shards there are;
* a merchant's catalog lives under ``{c:<merchant>}``;
* a merchant's record, API-key list and idempotency records under ``{m:<merchant>}``.
"""

from __future__ import annotations

import hashlib
import os
import secrets

#: ``CHECKOUT_LEDGER_SHARDS`` unless set.
DEFAULT_SHARDS = 16
#: The most shards a deployment may have: one per Redis Cluster slot.
MAX_SHARDS = 16384
#: Parts of a merchant's indexes and of the workers' doorbell (fixed: listing
#: merges them all, so it costs this many reads whatever the shard count).
INDEX_PARTS = 16

PREFIX = "cl"

_RAND = 16
#: A link's random id: 16 random bytes, then its shard (:func:`new_link_rand`).
RAND_BYTES = _RAND + 2


def new_link_rand(shards: int) -> bytes:
    """A new link's random id: 16 random bytes, then its shard in 2 bytes.

    The shard is drawn here, from the ``shards`` configured at issuance, and
    read back by :func:`shard_of` for the link's life.
    """
    if not 1 <= shards <= MAX_SHARDS:
        raise ValueError(f"shards must be 1..{MAX_SHARDS}")
    return os.urandom(_RAND) + secrets.randbelow(shards).to_bytes(2, "big")


def shard_of(link_rand: bytes) -> int:
    """The ledger/outbox shard of a link: the last 2 bytes of its random id."""
    if len(link_rand) != RAND_BYTES:
        raise ValueError(f"a link's random id is {RAND_BYTES} bytes, not {len(link_rand)}")
    return int.from_bytes(link_rand[_RAND:], "big")


def valid_rand(link_rand: bytes) -> bool:
    """Whether ``link_rand`` has the shape of a link's random id (it carries a shard)."""
    return len(link_rand) == RAND_BYTES and int.from_bytes(link_rand[_RAND:], "big") < MAX_SHARDS


def part_of(shard: int) -> int:
    """The index part (and doorbell) a shard's orders and events are listed in."""
    return shard % INDEX_PARTS


def holds_its_part(shard: int) -> bool:
    """Whether the shard shares its index part's slot (the first 16), so its spend writes the
    indexes and rings the doorbell in its own atomic step."""
    return part_of(shard) == shard


def shard_tag(shard: int) -> str:
    return f"{{s{shard:02d}}}"


def link_mark(link_rand: bytes) -> str:
    """Spent/revoked mark of one link: absent (open), ``r`` or ``o:<order>:<request>``."""
    return f"{PREFIX}:{shard_tag(shard_of(link_rand))}:l:{link_rand.hex()}"


def order(link_rand: bytes) -> str:
    """The order a link produced (an order's id is derived from its link's id)."""
    return f"{PREFIX}:{shard_tag(shard_of(link_rand))}:o:{link_rand.hex()}"


def stripe_attempts(link_rand: bytes) -> str:
    """Hash of the PaymentIntents made for a link's order: ``pi:<attempt>`` → ``pi_...``."""
    return f"{PREFIX}:{shard_tag(shard_of(link_rand))}:spi:{link_rand.hex()}"


def stripe_event(merchant_id: str, event_id: str) -> str:
    """Marks a Stripe webhook event as handled (its id is Stripe's ``evt_...``)."""
    return f"{PREFIX}:sev:{merchant_id}:{event_id}"


def stripe_reconcile_turn() -> str:
    """Held for a minute by the worker whose turn it is to reconcile card payments."""
    return f"{PREFIX}:srec"


def order_index(part: int, merchant_id: str) -> str:
    """Sorted set of one merchant's orders in one index part, scored by creation time (ms)."""
    return f"{PREFIX}:{shard_tag(part)}:ox:{merchant_id}"


def ref_digest(external_ref: str) -> str:
    """The digest an ``external_ref`` is indexed by (the key never carries the text)."""
    return hashlib.blake2b(external_ref.encode(), digest_size=16).hexdigest()


def ref_index(part: int, merchant_id: str, digest: str) -> str:
    """Sorted set of one merchant's orders with one ``external_ref`` in one part, by time (ms).

    The reference is hashed: it is the merchant's free text, and the key
    should neither carry it readably nor grow with it.
    """
    return f"{PREFIX}:{shard_tag(part)}:rx:{merchant_id}:{digest}"


def shard_merchants(part: int) -> str:
    """Sorted set of the merchants with orders in one index part, scored by their newest (ms).

    The retention pass (``core/orders/retention.py``) walks it to find the index keys
    it trims, so it never has to scan the keyspace.
    """
    return f"{PREFIX}:{shard_tag(part)}:mx"


def outbox(shard: int) -> str:
    """The order-event stream of one shard, consumed by the webhook workers."""
    return f"{PREFIX}:{shard_tag(shard)}:events"


def event(event_id_rand: bytes) -> str:
    """Delivery state of one order event (a hash), in its order's shard."""
    return f"{PREFIX}:{shard_tag(shard_of(event_id_rand))}:e:{event_id_rand.hex()}"


def event_index(part: int, merchant_id: str) -> str:
    """Sorted set of one merchant's events in one index part, by creation time (ms)."""
    return f"{PREFIX}:{shard_tag(part)}:ex:{merchant_id}"


def doorbell(part: int) -> str:
    """Sorted set of the shards of one part with work for the workers, scored by when (ms).

    Whoever gives a shard work (a placed order, a redelivery, a retry) rings
    it: bumps :func:`doorbell_rings` and lowers its score. A worker that looked
    at the shard sets the score to the shard's next due time, or removes it,
    only if nobody rang meanwhile. So a worker reads 16 doorbells, not every
    shard's stream.
    """
    return f"{PREFIX}:{shard_tag(part)}:bell"


def doorbell_rings(part: int) -> str:
    """Hash of a ring counter per shard of one part (never reset, so never reused)."""
    return f"{PREFIX}:{shard_tag(part)}:rings"


def workers() -> str:
    """Sorted set of the live webhook workers, scored by their last heartbeat (ms)."""
    return f"{PREFIX}:workers"


def retries(shard: int) -> str:
    """Sorted set of event ids due for a (re)delivery attempt, scored by due time (ms)."""
    return f"{PREFIX}:{shard_tag(shard)}:due"


def delivery_lock(event_id_rand: bytes) -> str:
    """Lease held by the worker attempting a delivery, so no two send at once."""
    return f"{PREFIX}:{shard_tag(shard_of(event_id_rand))}:lk:{event_id_rand.hex()}"


def receipts_due(shard: int) -> str:
    """Sorted set of event ids whose customer receipt is due for an attempt, by due time (ms)."""
    return f"{PREFIX}:{shard_tag(shard)}:rdue"


def receipt_lock(event_id_rand: bytes) -> str:
    """Lease held by the worker sending an event's receipt, so no two send at once."""
    return f"{PREFIX}:{shard_tag(shard_of(event_id_rand))}:rlk:{event_id_rand.hex()}"


def outbox_entries(shard: int) -> str:
    """Sorted set of the outbox entry ids whose events are not yet delivered or dead (by ms).

    Its lowest score is the oldest entry the outbox must keep: trimming stops there.
    """
    return f"{PREFIX}:{shard_tag(shard)}:live"


def merchant_retries(part: int, merchant_id: str) -> str:
    """Sorted set of one merchant's events waiting for a retry in one part (by due ms).

    When the merchant's endpoint answers again, these are made due at once.
    """
    return f"{PREFIX}:{shard_tag(part)}:rx:{merchant_id}"


def endpoint(merchant_id: str) -> str:
    """Hash with the circuit state of a merchant's webhook endpoint (failures, open_until)."""
    return f"{PREFIX}:{{m:{merchant_id}}}:endpoint"


def endpoint_probe(merchant_id: str) -> str:
    """Lease of the one attempt that probes a merchant's endpoint after its circuit opened."""
    return f"{PREFIX}:{{m:{merchant_id}}}:probe"


WEBHOOK_GROUP = "webhooks"


def catalog_current(merchant_id: str, product_id: str) -> str:
    return f"{PREFIX}:{{c:{merchant_id}}}:p:{product_id}"


def catalog_snapshot(merchant_id: str, product_id: str, rev: int) -> str:
    """An immutable revision of a product; links refer to it by ``rev``."""
    return f"{PREFIX}:{{c:{merchant_id}}}:p:{product_id}@{rev}"


def catalog_index(merchant_id: str) -> str:
    """Sorted set (all scores 0, so lexicographic) of a merchant's product ids."""
    return f"{PREFIX}:{{c:{merchant_id}}}:ids"


def merchant(merchant_id: str) -> str:
    return f"{PREFIX}:{{m:{merchant_id}}}:merchant"


def merchant_keys(merchant_id: str) -> str:
    """Set of the merchant's API key ids."""
    return f"{PREFIX}:{{m:{merchant_id}}}:keys"


def merchant_index() -> str:
    return f"{PREFIX}:merchants"


def api_key(key_id: str) -> str:
    """Record of one API key: merchant, hash of the key, revoked flag."""
    return f"{PREFIX}:apikey:{key_id}"


def idempotency(merchant_id: str, key_digest: str) -> str:
    return f"{PREFIX}:{{m:{merchant_id}}}:idem:{key_digest}"


def promotion_tag(merchant_id: str, code: str) -> str:
    """One promotion's hash tag: its definition, counter and reservations share a slot."""
    return f"{{p:{merchant_id}:{code}}}"


def promotion(merchant_id: str, code: str, part: str) -> str:
    """One promotion's keys: ``def`` (hash), ``used`` (counter), ``held`` and ``holders``."""
    return f"{PREFIX}:{promotion_tag(merchant_id, code)}:{part}"


def promotion_index(merchant_id: str) -> str:
    """Sorted set (all scores 0, so lexicographic) of a merchant's promotion codes."""
    return f"{PREFIX}:{{m:{merchant_id}}}:promos"


def promotion_spent(link_rand: bytes) -> str:
    """In the link's shard: the reservation id its order was placed with (set by the spend)."""
    return f"{PREFIX}:{shard_tag(shard_of(link_rand))}:ps:{link_rand.hex()}"


def promotion_fence(link_rand: bytes, reservation: str) -> str:
    """In the link's shard: present once ``reservation`` is void, so no spend may use it."""
    return f"{PREFIX}:{shard_tag(shard_of(link_rand))}:pf:{link_rand.hex()}:{reservation}"


def order_number(shard: int, merchant_id: str, number: str) -> str:
    """In the order's shard: the order id a merchant's order number names (``orders/numbers.py``).

    Written by the spend with ``NX`` (numbers are unique per merchant) and the
    order's retention as its TTL.
    """
    return f"{PREFIX}:{shard_tag(shard)}:n:{merchant_id}:{number}"


def payments_due(shard: int) -> str:
    """Sorted set of the shard's orders awaiting payment, scored by when their window ends (ms).

    The spend adds an order placed with a provider that takes payment; the
    transitions (``payments/transitions.py``) remove it once paid or canceled; the
    worker cancels what is left past its score (``payments/window.py``).
    """
    return f"{PREFIX}:{shard_tag(shard)}:pdue"
