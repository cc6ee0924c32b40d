"""Where a customer goes once the order is placed (and paid): the return URL or the confirmation.

Shared by the checkout views and the payment page, so neither imports the other.
"""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit, urlunsplit

from itsdangerous import URLSafeTimedSerializer

from checkout_links.core.services import Services


def confirmations(svc: Services) -> URLSafeTimedSerializer:
    """The signer of the confirmation page's reference (``/done/<ref>``)."""
    keys = svc.keyring.mac_keys("checkout-links/confirmation/v1")
    return URLSafeTimedSerializer(keys, salt="confirmation")


def placed_target(svc: Services, link_rand: bytes, order_id: str, return_url: str | None) -> str:
    """Where the customer goes once the order is placed (and paid, when paid by card)."""
    if return_url:
        parts = urlsplit(return_url)
        # Append to the merchant's query as sent: it is not re-encoded, so
        # blank values ("a=") and "%20" reach the merchant unchanged.
        added = urlencode({"order_id": order_id})
        query = f"{parts.query}&{added}" if parts.query else added
        return urlunsplit(parts._replace(query=query))
    return f"/done/{confirmations(svc).dumps(link_rand.hex())}"
