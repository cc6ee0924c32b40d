"""Data stored before the input checks does not stop receipts: a display name with a line
separator, a support address or a customer mailbox only SMTPUTF8 could carry.

The app and the worker run on a real redis-server and send to a real SMTP server on
127.0.0.1; the old data is written into the store as an older version left it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import msgspec
import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient

from checkout_links.core.links.ids import link_rand_of_order
from checkout_links.core.orders.queries import load_order
from checkout_links.core.orders.sealed import seal
from checkout_links.core.records import MerchantAccount
from checkout_links.core.storage import redis_keys as keys
from checkout_links.testing import BERLIN, add_merchant, csrf_of, link_path, make_app
from checkout_links.testing.shop import pump
from checkout_links.testing.smtp_server import SmtpServer
from checkout_links.web.extensions import services

MAIL_FROM = "receipts@pay.example.com"
CUSTOMER = "ana.ruiz.receipt@example.com"


@dataclass
class Shop:
    """The app on a real Redis sending receipts to the test SMTP server, and a merchant."""

    app: Flask
    client: FlaskClient
    auth: dict[str, str]

    def place(self) -> str:
        """Check out a one-line link as the customer; returns the order id."""
        body = {"products": [{"id": "kit"}]}
        link = self.client.post("/api/v1/links", json=body, headers=self.auth).get_json()
        path = link_path(link["url"])
        form = {"csrf_token": csrf_of(self.client.get(path).get_data(as_text=True))}
        assert self.client.post(path, data={**form, "email": CUSTOMER, **BERLIN}).status_code == 303
        status = self.client.get(f"/api/v1/links/{link['id']}", headers=self.auth).get_json()
        return str(status["order_id"])

    def receipt(self, order_id: str) -> Any:
        """The ``receipt`` of the order's event, as the API shows it."""
        event_id = "evt_" + order_id.removeprefix("ord_")
        return self.client.get(f"/api/v1/events/{event_id}", headers=self.auth).get_json()[
            "receipt"
        ]

    def state(self, order_id: str) -> str | None:
        receipt = self.receipt(order_id)
        return None if receipt is None else str(receipt["state"])

    def pump(self, until: Callable[[], object]) -> None:
        pump(self.app, until, 20.0)


@pytest.fixture
def smtp() -> Any:
    with SmtpServer() as server:
        yield server


@pytest.fixture
def shop(real_redis: Any, smtp: SmtpServer) -> Shop:
    settings = {"rate_limits_enabled": False, "webhook_retry_base_seconds": 0.05}
    smtp_url = f"smtp://127.0.0.1:{smtp.port}"
    app = make_app(
        redis.Redis.from_url(real_redis.url), smtp_url=smtp_url, mail_from=MAIL_FROM, **settings
    )
    return Shop(app, app.test_client(), {"Authorization": f"Bearer {add_merchant(app)}"})


def test_a_stored_display_name_with_a_line_separator_still_sends_receipts(
    shop: Shop, smtp: SmtpServer
) -> None:
    """The receipt goes out under the name without the separator, and without a Reply-To
    when the stored support address has a non-ASCII mailbox."""
    with shop.app.app_context():
        merchants = services().merchants
        record = merchants.get("acme")
        account = MerchantAccount(
            display_name="Ruiz\u2028Software", support_email="hélp@ruiz.example"
        )
        merchants.save(msgspec.structs.replace(record, account=account))
    order_id = shop.place()
    shop.pump(lambda: shop.state(order_id) == "sent")
    message = smtp.received[0].message
    assert message["From"].addresses[0].display_name == "Ruiz Software"
    assert message["Reply-To"] is None
    assert smtp.received[0].rcpt_tos == [CUSTOMER]


def test_a_stored_customer_mailbox_that_needs_smtputf8_is_skipped_with_a_reason(
    shop: Shop, smtp: SmtpServer, real_redis: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """Its receipt fails at once with a reason that names no one (logged too), and the
    merchant's next receipt is sent as usual."""
    caplog.set_level(logging.INFO)
    old = shop.place()
    with shop.app.app_context():
        store, keyring = services().redis, services().keyring
    # Written as an older version stored it: sealed like any order, with such an address.
    key = keys.order(link_rand_of_order(old))
    order = load_order(store, keyring, old)
    assert order.customer.email == CUSTOMER
    customer = msgspec.structs.replace(order.customer, email="josé.ruiz@example.com")
    stored = seal(keyring, msgspec.structs.replace(order, customer=customer))
    assert store.set(key, stored, keepttl=True, xx=True)
    shop.pump(lambda: shop.state(old) == "failed")
    receipt = shop.receipt(old)
    assert receipt["last_error"] == "the customer's mailbox is not ASCII (needs SMTPUTF8): skipped"
    assert receipt["attempts"] == 1
    logged = [r for r in caplog.records if r.getMessage() == "receipt attempt"]
    assert [vars(r)["error"] for r in logged] == [receipt["last_error"]]
    assert not any("josé" in r.getMessage() + repr(vars(r)) for r in caplog.records)
    new = shop.place()
    shop.pump(lambda: shop.state(new) == "sent")
    assert [m.rcpt_tos for m in smtp.received] == [[CUSTOMER]]
