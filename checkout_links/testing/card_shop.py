"""A merchant paid by card through localstripe, driven as customers and Stripe would.

Shared by the card tests (tests/integration/test_stripe_checkout.py, the system
tests) and ``bench/payment_faults.py``. A :class:`CardShop` drives one app (the
Flask test client, or any base URL through httpx) whose merchant ``acme`` has
the ``stripe`` provider with fresh test keys on a :class:`LocalStripe`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

from checkout_links.testing import BERLIN, csrf_of, link_path
from checkout_links.testing.localstripe import LocalStripe

GOOD_CARD = "4242424242424242"
DECLINED_CARD = "4000000000000341"
THREE_D_SECURE_CARD = "4000002500003155"


class Answer(Protocol):
    """What both the Flask test client and httpx answer."""

    status_code: int
    headers: Any


class Client(Protocol):
    def get(self, url: str, **kw: Any) -> Any: ...

    def post(self, url: str, **kw: Any) -> Any: ...

    def patch(self, url: str, **kw: Any) -> Any: ...

    def put(self, url: str, **kw: Any) -> Any: ...


def _json(answer: Any) -> Any:
    return answer.get_json() if hasattr(answer, "get_json") else answer.json()


def _text(answer: Any) -> str:
    return str(answer.get_data(as_text=True) if hasattr(answer, "get_data") else answer.text)


def stripe_keys() -> dict[str, str]:
    """Fresh test keys: each shop's intents and charges are its own at localstripe."""
    tail = secrets.token_hex(8)
    return {
        "publishable_key": f"pk_test_{tail}",
        "secret_key": f"sk_test_{tail}",
        "webhook_secret": f"whsec_{tail}",
    }


@dataclass
class CardShop:
    """One merchant with Stripe on ``stripe``, reached through ``client``."""

    client: Client
    auth: dict[str, str]
    stripe: LocalStripe
    keys: dict[str, str] = field(default_factory=stripe_keys)
    merchant_id: str = "acme"

    def connect(self) -> dict[str, Any]:
        """``PATCH /api/v1/account`` to the stripe provider; returns the account."""
        body = {"payment": {"provider": "stripe", "stripe": dict(self.keys)}}
        answer = self.client.patch("/api/v1/account", json=body, headers=self.auth)
        assert answer.status_code == 200, _text(answer)
        account: dict[str, Any] = _json(answer)
        return account

    def product(self, product_id: str, price: str, currency: str) -> None:
        body = {"name": f"Item in {currency}", "price": price, "currency": currency}
        answer = self.client.put(f"/api/v1/products/{product_id}", json=body, headers=self.auth)
        assert answer.status_code in (200, 201), _text(answer)

    def place(
        self, product_id: str = "kit", locale: str = "en", currency: str | None = None
    ) -> tuple[str, str, str]:
        """Issue a link and place its order; returns (order id, payment page path, link path)."""
        body: dict[str, Any] = {"products": [{"id": product_id}], "locale": locale}
        if currency:
            body["currency"] = currency
        link = self.client.post("/api/v1/links", json=body, headers=self.auth)
        assert link.status_code == 201, _text(link)
        path = link_path(_json(link)["url"])
        form = {"csrf_token": csrf_of(_text(self.client.get(path))), "email": "ana@example.com"}
        placed = self.client.post(path, data={**form, **BERLIN})
        assert placed.status_code == 303, _text(placed)
        target = placed.headers["Location"]
        assert "/pay/" in target, target
        status = self.client.get(f"/api/v1/links/{_json(link)['id']}", headers=self.auth)
        return str(_json(status)["order_id"]), "/pay/" + target.split("/pay/", 1)[1], path

    def csrf(self, pay_path: str) -> str:
        """The CSRF token of the payment page's form."""
        page = self.client.get(pay_path)
        assert page.status_code == 200, _text(page)
        match = re.search(r'name="csrf_token" value="([^"]+)"', _text(page))
        assert match, "the payment page has no form"
        return match.group(1)

    def pay(self, pay_path: str, card: str = GOOD_CARD, csrf: str | None = None) -> Any:
        """Do what the page's script does: tokenise ``card`` at Stripe, post the token."""
        token = self.stripe.card_token(card, self.keys["publishable_key"])
        form = {"csrf_token": csrf or self.csrf(pay_path), "card_token": token}
        return self.client.post(pay_path, data=form)

    def order(self, order_id: str) -> dict[str, Any]:
        answer = self.client.get(f"/api/v1/orders/{order_id}", headers=self.auth)
        assert answer.status_code == 200, _text(answer)
        order: dict[str, Any] = _json(answer)
        return order

    def events(self, order_id: str, event_type: str) -> list[dict[str, Any]]:
        """The order's events of ``event_type`` (``GET /api/v1/events``)."""
        answer = self.client.get("/api/v1/events?limit=100", headers=self.auth)
        assert answer.status_code == 200, _text(answer)
        return [
            e
            for e in _json(answer)["items"]
            if e["order_id"] == order_id and e["type"] == event_type
        ]

    def intent_of(self, order_id: str) -> dict[str, Any]:
        """The order's (last) PaymentIntent at localstripe, found by its metadata."""
        listed = self.stripe.list_all("/v1/payment_intents", self.keys["secret_key"])
        mine = [pi for pi in listed if pi.get("metadata", {}).get("order") == order_id]
        assert mine, f"no intent for {order_id}"
        return max(mine, key=lambda pi: pi["created"])

    def charges(self, order_id: str) -> int:
        """Succeeded charges made for the order, across all its intents."""
        listed = self.stripe.list_all("/v1/payment_intents", self.keys["secret_key"])
        mine = {pi["id"] for pi in listed if pi.get("metadata", {}).get("order") == order_id}
        return sum(
            1
            for c in self.stripe.succeeded_charges(self.keys["secret_key"])
            if c["payment_intent"] in mine
        )

    def signed(self, event: dict[str, Any], secret: str | None = None) -> tuple[bytes, str]:
        """``event`` as Stripe sends it: the body and its ``Stripe-Signature``."""
        payload = json.dumps(event).encode()
        at = int(time.time())
        key = (secret or self.keys["webhook_secret"]).encode()
        mac = hmac.new(key, f"{at}.".encode() + payload, hashlib.sha256).hexdigest()
        return payload, f"t={at},v1={mac}"

    def webhook(self, merchant_id: str, payload: bytes, signature: str) -> Any:
        headers = {"Stripe-Signature": signature, "Content-Type": "application/json"}
        return self.client.post(f"/webhooks/stripe/{merchant_id}", data=payload, headers=headers)
