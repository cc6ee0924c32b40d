"""The ledger's Lua scripts (``ledger/store.py`` says what a spend promises).

The four spends are composed from the ``spend_*.lua`` files of this package:
``spend_check`` (refuse a marked or expired link), ``spend_number`` (refuse
an order number the merchant already has), for a promoted spend
``spend_fence``, ``spend_write``, for an indexed spend ``spend_index``, then
``spend_done``. So they cannot drift apart.

KEYS: mark, order, outbox, event record, order number, payments due; a
promoted spend adds spent-with and fence; an indexed spend then adds order
index, event index, the part's merchants, doorbell, ring counts and, when the
order has an external_ref, its ref index. ARGV: request id, link expiry (s),
order id, mark expiry (s), order JSON, created (ms), event id, merchant id,
keep until (ms), external_ref digest or '', shard, order number or '',
payment due (ms) or '', mail ('1' or '0'); a promoted spend adds the
reservation id.

The order and its event record get their retention TTLs in the step that
writes them, so nothing outlives the retention even when no worker runs. The
merchant's indexes and the doorbell live in the shard's index part: for the
first 16 shards that is the shard's own slot and the spend writes them too
(:data:`SPEND_INDEXED`); for the others it is another slot, written right
after (``orders/indexes.py``) and again by the worker from the outbox entry, which
carries what that needs.
"""

from __future__ import annotations

from checkout_links.core.storage.lua import script

_HERE = "checkout_links.core.ledger"

SPEND = script(_HERE, "spend_check", "spend_number", "spend_write", "spend_done")
SPEND_INDEXED = script(
    _HERE, "spend_check", "spend_number", "spend_write", "spend_index", "spend_done"
)
SPEND_PROMOTED = script(
    _HERE, "spend_check", "spend_number", "spend_fence", "spend_write", "spend_done"
)
SPEND_PROMOTED_INDEXED = script(
    _HERE,
    "spend_check",
    "spend_number",
    "spend_fence",
    "spend_write",
    "spend_index",
    "spend_done",
)

#: The link's mark and the node's time, in one round trip.
READ = script(_HERE, "read")
#: Mark an open link revoked unless it is past its expiry.
REVOKE = script(_HERE, "revoke")
