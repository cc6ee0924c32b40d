"""The promotion codes' Lua scripts, one ``.lua`` file each in this package.

``promotions/codes.py`` says how they keep a code's limit; each file says its KEYS and ARGV.
"""

from __future__ import annotations

from checkout_links.core.storage.lua import script

_HERE = "checkout_links.core.promotions"

#: Reserve one redemption in the promotion's slot (or say why not).
RESERVE = script(_HERE, "reserve")
#: Confirm (count) or release a reservation, in the promotion's slot.
FINISH = script(_HERE, "finish")
#: Settle a reservation in the link's slot: spent, void or fenced.
SETTLE = script(_HERE, "settle")
#: The reservations past their expiry, by the promotion node's clock.
STALE = script(_HERE, "stale")
