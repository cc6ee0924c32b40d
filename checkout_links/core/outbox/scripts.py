"""The outbox's Lua scripts, one ``.lua`` file each in this package (each says its KEYS and ARGV).

``outbox/webhooks.py`` and ``outbox/receipts.py`` say what each step does. Every
script touches the keys of one shard only (and one event's lock), or one
endpoint's, so each runs unchanged on Redis Cluster.
"""

from __future__ import annotations

from checkout_links.core.storage.lua import script

_HERE = "checkout_links.core.outbox"

#: Make read outbox entries due (and their receipts, when SMTP is configured).
REGISTER = script(_HERE, "webhook_register")
#: Lease a webhook or a receipt for one attempt (one script for both, by field prefix).
LEASE = script(_HERE, "forget_entry", "lease")
#: The field prefix :data:`LEASE` reads a webhook's state with, and a receipt's.
WEBHOOK_FIELDS, RECEIPT_FIELDS = "", "receipt_"
RENEW = script(_HERE, "webhook_renew")
FINISH = script(_HERE, "forget_entry", "webhook_finish")
DEFER = script(_HERE, "webhook_defer")
PULL = script(_HERE, "webhook_pull")
RECEIPT_FINISH = script(_HERE, "receipt_finish")
CIRCUIT_FAILED = script(_HERE, "circuit_failed")
CIRCUIT_SUCCEEDED = script(_HERE, "circuit_succeeded")
