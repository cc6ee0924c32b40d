"""Customer receipts end to end: orders placed through the app on a real redis-server, the real
worker's ``step()``, and a real SMTP server (aiosmtpd) on 127.0.0.1.

The worker is driven by hand, so every test decides when attempts happen and waits for
conditions with a deadline, never for a time.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient

from checkout_links.testing import BERLIN, add_merchant, csrf_of, link_path, make_app
from checkout_links.testing.shop import pump
from checkout_links.testing.smtp_server import SmtpServer, make_ca
from checkout_links.testing.webhook_receiver import Receiver
from checkout_links.web.extensions import services

# The smtps test server requires AUTH over implicit TLS, which aiosmtpd warns about.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")

MAIL_FROM = "receipts@pay.example.com"
CUSTOMER = "ana.ruiz.receipt@example.com"
FIRST, LAST = "Anastasia", "Ruizdelmar"
FAST = {
    "allow_private_webhooks": True,
    "rate_limits_enabled": False,
    "webhook_retry_base_seconds": 0.05,
    "smtp_timeout_seconds": 5,
}
GERMAN_CART = {
    "locale": "de",
    "products": [
        {"id": "support", "quantity": 3, "properties": {"Stufe": "Gold"}},
        {"id": "kit"},
    ],
    "discount": {"percent": "10", "label": "Treuerabatt"},
}


@dataclass
class Shop:
    app: Flask
    client: FlaskClient
    auth: dict[str, str]

    def place(
        self, cart: dict[str, Any] | None = None, answers: dict[str, str] | None = None
    ) -> str:
        """Issue a link for ``cart`` and check it out as the customer (with ``answers`` to its
        custom fields); returns the order id."""
        link = self.client.post(
            "/api/v1/links", json=cart or {"products": [{"id": "kit"}]}, headers=self.auth
        )
        assert link.status_code == 201, link.get_json()
        path = link_path(link.get_json()["url"])
        page = self.client.get(path)
        form = {
            "csrf_token": csrf_of(page.get_data(as_text=True)),
            "email": CUSTOMER,
            "first_name": FIRST,
            "last_name": LAST,
            **BERLIN,
            **(answers or {}),
        }
        placed = self.client.post(path, data=form)
        assert placed.status_code == 303
        status = self.client.get(f"/api/v1/links/{link.get_json()['id']}", headers=self.auth)
        return str(status.get_json()["order_id"])

    def receipt(self, order_id: str) -> Any:
        """The ``receipt`` object of the order's event, as ``GET /api/v1/events/{id}`` shows it."""
        event_id = "evt_" + order_id.removeprefix("ord_")
        reply = self.client.get(f"/api/v1/events/{event_id}", headers=self.auth)
        assert reply.status_code == 200
        listed = self.client.get("/api/v1/events", headers=self.auth).get_json()["items"]
        assert [e["receipt"] for e in listed if e["id"] == event_id] == [
            reply.get_json()["receipt"]
        ]
        return reply.get_json()["receipt"]

    def state(self, order_id: str) -> str | None:
        """The receipt's state, or ``None`` while no worker has registered the event yet."""
        receipt = self.receipt(order_id)
        return None if receipt is None else str(receipt["state"])

    def pump(self, until: Callable[[], object], timeout: float = 20.0) -> None:
        """Run worker passes until ``until()`` holds; fail after ``timeout`` seconds."""
        pump(self.app, until, timeout)

    def passes(self, count: int) -> None:
        """Run ``count`` more worker passes (to show that nothing more happens)."""
        left = [count]

        def done() -> bool:
            left[0] -= 1
            return left[0] < 0

        self.pump(done)


def _shop(redis_url: str, smtp_url: str | None, **extra: Any) -> Shop:
    settings: dict[str, Any] = {**FAST, **extra}
    if smtp_url is not None:
        settings.update(smtp_url=smtp_url, mail_from=MAIL_FROM)
    app = make_app(redis.Redis.from_url(redis_url), **settings)
    client = app.test_client()
    auth = {"Authorization": f"Bearer {add_merchant(app)}"}
    account = {
        "display_name": "Ruiz Software",
        "support_email": "help@ruiz.example",
        "terms_url": "https://ruiz.example/terms",
    }
    assert client.patch("/api/v1/account", json=account, headers=auth).status_code == 200
    return Shop(app, client, auth)


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


@pytest.fixture
def shop(real_redis: Any, smtp: SmtpServer) -> Shop:
    return _shop(real_redis.url, f"smtp://127.0.0.1:{smtp.port}")


def _parts(message: EmailMessage) -> tuple[str, str]:
    text, html = message.get_body(("plain",)), message.get_body(("html",))
    assert text is not None
    assert html is not None
    return str(text.get_content()), str(html.get_content())


def test_a_placed_order_gets_one_german_receipt_with_its_lines_discount_and_total(
    shop: Shop, smtp: SmtpServer
) -> None:
    """A German order's receipt arrives once, from the shop's name at MAIL_FROM, to the customer,
    Reply-To the support address, with a text and an HTML part holding every line, the discount
    and the total in German formatting, and the order number."""
    order_id = shop.place(GERMAN_CART)
    # Placing the order only writes it: the web request talks to no SMTP server.
    assert smtp.rcpt_attempts == 0
    assert shop.receipt(order_id) is None
    shop.pump(lambda: shop.state(order_id) == "sent")
    shop.passes(10)
    assert len(smtp.received) == 1
    got = smtp.received[0]
    assert (got.mail_from, got.rcpt_tos) == (MAIL_FROM, [CUSTOMER])
    message = got.message
    assert message["From"].addresses[0].display_name == "Ruiz Software"
    assert message["From"].addresses[0].addr_spec == MAIL_FROM
    assert str(message["To"]) == CUSTOMER
    assert str(message["Reply-To"].addresses[0].addr_spec) == "help@ruiz.example"
    assert str(message["Subject"]) == "Ihr Kaufbeleg von Ruiz Software"
    assert message["Message-ID"] == f"<receipt.evt_{order_id[4:]}@pay.example.com>"
    assert message["Date"] is not None
    text, html = _parts(message)
    order = shop.client.get(f"/api/v1/orders/{order_id}", headers=shop.auth).get_json()
    assert order["total"] == "301.41"
    nbsp = "\u00a0"
    # The seller's texts are isolated for direction: FSI/PDI in the text, dir="auto" in the HTML.
    assert "\u2068Stufe\u2069: \u2068Gold\u2069" in text
    assert '<span dir="auto">Stufe</span>: <span dir="auto">Gold</span>' in html
    for raw in (text, html):
        assert "https://ruiz.example/terms" in raw
        part = re.sub(r"<[^>]+>|[\u2068\u2069]", "", raw)
        assert order["number"] in part
        assert order_id not in part  # the customer reads the number, not the id
        assert "Support hours" in part
        assert "Setup kit" in part
        assert "Stufe: Gold" in part
        assert f"95,00{nbsp}€" in part
        assert f"285,00{nbsp}€" in part
        assert f"49,90{nbsp}€" in part
        assert f"334,90{nbsp}€" in part  # the subtotal
        assert "Treuerabatt" in part
        assert f"\u221233,49{nbsp}€" in part
        assert f"301,41{nbsp}€" in part
    assert f"3 \u00d7 95,00{nbsp}€ = 285,00{nbsp}€" in text
    assert f"Gesamt: 301,41{nbsp}€" in text
    assert '<html lang="de" dir="ltr">' in html
    receipt = shop.receipt(order_id)
    assert receipt["attempts"] == 1
    assert receipt["last_error"] is None
    assert receipt["last_attempt_at"] is not None
    assert receipt["next_attempt_at"] is None


def test_the_answers_to_custom_fields_are_in_both_parts_labelled_in_the_orders_locale(
    shop: Shop, smtp: SmtpServer
) -> None:
    """A German order's receipt lists, under "Weitere Angaben", each answered field as
    "label: answer" with the German labels and the answers as the customer read them (the
    dropdown's option label, the number as typed), isolated for direction."""
    fields = [
        {"key": "holder", "label": {"en": "Licence holder", "de": "Lizenzinhaber"}, "type": "text"},
        {"key": "seats", "label": {"en": "Seats", "de": "Plätze"}, "type": "numeric"},
        {
            "key": "region",
            "label": {"en": "Data region", "de": "Datenregion"},
            "type": "dropdown",
            "options": [{"value": "eu-west", "label": {"en": "Europe", "de": "Europa"}}],
        },
    ]
    cart = {"locale": "de", "products": [{"id": "support"}], "custom_fields": fields}
    answers = {"cf_holder": "Zoë Quennell", "cf_seats": "2,5", "cf_region": "eu-west"}
    order_id = shop.place(cart, answers)
    shop.pump(lambda: shop.state(order_id) == "sent")
    text, html = _parts(smtp.received[0].message)
    text = text.replace("\r\n", "\n")
    assert "Weitere Angaben\n" in text
    for label, answer in (
        ("Lizenzinhaber", "Zoë Quennell"),
        ("Plätze", "2,5"),
        ("Datenregion", "Europa"),
    ):
        assert f"  \u2068{label}\u2069: \u2068{answer}\u2069\n" in text
        assert f'<span dir="auto">{label}</span>: <span dir="auto">{answer}</span>' in html
    assert ">Weitere Angaben</h2>" in html
    assert "eu-west" not in text + html


def test_an_arabic_receipt_is_right_to_left_and_formats_money_as_the_cart_page(
    shop: Shop, smtp: SmtpServer
) -> None:
    """An Arabic order's receipt has an Arabic subject, an HTML part with dir="rtl" lang="ar",
    and shows the total exactly as the Arabic cart page showed it."""
    link = shop.client.post(
        "/api/v1/links",
        json={"locale": "ar", "products": [{"id": "support", "quantity": 2}]},
        headers=shop.auth,
    ).get_json()
    page = shop.client.get(link_path(link["url"])).get_data(as_text=True)
    shown = re.search(r'<dl class="total"><dt>[^<]*</dt><dd><bdi>([^<]+)</bdi>', page)
    assert shown is not None
    order_id = shop.place({"locale": "ar", "products": [{"id": "support", "quantity": 2}]})
    shop.pump(lambda: smtp.received)
    message = smtp.received[0].message
    assert str(message["Subject"]) == "إيصالك من Ruiz Software"
    assert message["Content-Language"] == "ar"
    text, html = _parts(message)
    assert '<html lang="ar" dir="rtl">' in html
    assert 'dir="rtl"' in html.split("<body", 1)[1]
    assert shown.group(1) in html
    assert shown.group(1) in text
    assert "رقم الطلب" in text
    number = shop.client.get(f"/api/v1/orders/{order_id}", headers=shop.auth).get_json()["number"]
    assert number in text


def test_a_refusal_for_now_is_retried_until_the_server_accepts(
    shop: Shop, smtp: SmtpServer
) -> None:
    """A 451 leaves the receipt retrying with its code (not the address) and a next attempt;
    when the server then accepts, exactly one receipt is delivered after two attempts."""
    smtp.plan(["451"])
    order_id = shop.place()
    shop.pump(lambda: smtp.rcpt_attempts >= 1)
    receipt = shop.receipt(order_id)
    if receipt["state"] == "retrying":  # the retry may already have run in the same pump
        assert receipt["attempts"] == 1
        assert receipt["last_error"] == "451 4.3.0 recipient refused"
        assert receipt["next_attempt_at"] is not None
    shop.pump(lambda: shop.state(order_id) == "sent")
    shop.passes(10)
    assert len(smtp.received) == 1
    assert smtp.rcpt_attempts == 2
    receipt = shop.receipt(order_id)
    assert receipt["attempts"] == 2
    assert receipt["next_attempt_at"] is None


def test_a_retried_receipt_is_sent_though_its_shard_has_nothing_else_due(
    real_redis: Any, smtp: SmtpServer
) -> None:
    """With the webhook delivered at once and its lease short (nothing else brings a worker back
    to the shard), a receipt refused with 451 is still retried after its backoff and sent."""
    shop = _shop(
        real_redis.url,
        f"smtp://127.0.0.1:{smtp.port}",
        webhook_claim_idle_ms=100,
        webhook_retry_base_seconds=1.0,
    )
    with Receiver() as receiver, shop.app.app_context():
        services().merchants.set_webhook_url("acme", f"{receiver.url}/hook")
        smtp.plan(["451"])
        order_id = shop.place()
        shop.pump(lambda: shop.state(order_id) == "sent", timeout=20)
        assert len(receiver.received()) == 1
    assert smtp.rcpt_attempts == 2
    assert len(smtp.received) == 1


def test_a_permanent_refusal_fails_at_once_without_retries(shop: Shop, smtp: SmtpServer) -> None:
    """A 550 for the recipient fails the receipt after one attempt and it is never tried again."""
    smtp.plan(["550"])
    order_id = shop.place()
    shop.pump(lambda: shop.state(order_id) == "failed")
    shop.passes(20)
    receipt = shop.receipt(order_id)
    assert receipt["attempts"] == 1
    assert receipt["last_error"] == "550 5.1.1 recipient refused"
    assert receipt["next_attempt_at"] is None
    assert smtp.rcpt_attempts == 1
    assert smtp.received == []


def _tls_shop(
    real_redis: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, security: str
) -> Iterator[tuple[Shop, SmtpServer]]:
    ca_file, context = make_ca(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
    users = {"shop@ruiz.example": "p@ss:w/rd%"}
    scheme = "smtp+starttls" if security == "starttls" else "smtps"
    with SmtpServer(security, context, users) as server:
        url = f"{scheme}://shop%40ruiz.example:p%40ss%3Aw%2Frd%25@127.0.0.1:{server.port}"
        yield _shop(real_redis.url, url), server


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_auth_over_starttls_and_smtps_with_a_verified_certificate(
    real_redis: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, security: str
) -> None:
    """Over STARTTLS and over implicit TLS (smtps), with the server's certificate verified
    against the CA in SSL_CERT_FILE, the worker logs in with the URL's percent-decoded user and
    password and the receipt arrives."""
    for shop, server in _tls_shop(real_redis, tmp_path, monkeypatch, security):
        order_id = shop.place()
        shop.pump(lambda s=shop, o=order_id: s.state(o) == "sent")
        assert server.logins == [("shop@ruiz.example", "p@ss:w/rd%")]
        assert [r.rcpt_tos for r in server.received] == [[CUSTOMER]]


def test_a_refused_sender_is_retried_not_failed(shop: Shop, smtp: SmtpServer) -> None:
    """A 553 for CHECKOUT_MAIL_FROM is the operator's to fix, not the customer's: the receipt
    is retried (not failed for good, as a refused recipient is) and sent once accepted."""
    smtp.plan(["553-sender"])
    order_id = shop.place()
    shop.pump(lambda: shop.state(order_id) == "sent")
    receipt = shop.receipt(order_id)
    assert receipt["attempts"] == 2
    assert [r.rcpt_tos for r in smtp.received] == [[CUSTOMER]]


def test_a_certificate_the_trust_store_does_not_know_gets_nothing(
    real_redis: Any, tmp_path: Path
) -> None:
    """Without the test CA in the trust store the TLS handshake fails: no login, no message, and
    the receipt waits for a retry saying why."""
    _, context = make_ca(tmp_path)
    with SmtpServer("tls", context, {"u": "secret-pass"}) as server:
        shop = _shop(real_redis.url, f"smtps://u:secret-pass@127.0.0.1:{server.port}")
        order_id = shop.place()
        shop.pump(lambda: (shop.receipt(order_id) or {}).get("attempts", 0) >= 1)
        assert shop.receipt(order_id)["last_error"] == "TLS certificate not trusted"
        assert server.logins == []
        assert server.received == []


def test_starttls_required_but_not_offered_sends_nothing(real_redis: Any, smtp: SmtpServer) -> None:
    """smtp+starttls:// refuses a server that does not offer STARTTLS: no password, no message."""
    shop = _shop(real_redis.url, f"smtp+starttls://u:secret-pass@127.0.0.1:{smtp.port}")
    order_id = shop.place()
    shop.pump(lambda: (shop.receipt(order_id) or {}).get("attempts", 0) >= 1)
    receipt = shop.receipt(order_id)
    assert receipt["state"] == "retrying"
    assert receipt["last_error"] == "STARTTLS not offered by the server (required)"
    assert smtp.rcpt_attempts == 0
    assert smtp.received == []


def test_without_smtp_nothing_is_sent_no_receipt_is_owed_and_the_page_promises_none(
    real_redis: Any, smtp: SmtpServer
) -> None:
    """With CHECKOUT_SMTP_URL unset the worker sends nothing, the event's receipt is null, and
    the confirmation page says nothing about an email to the customer."""
    shop = _shop(real_redis.url, None)
    link = shop.client.post(
        "/api/v1/links", json={"products": [{"id": "kit"}]}, headers=shop.auth
    ).get_json()
    path = link_path(link["url"])
    csrf = csrf_of(shop.client.get(path).get_data(as_text=True))
    placed = shop.client.post(path, data={"csrf_token": csrf, "email": CUSTOMER, **BERLIN})
    done = shop.client.get(placed.headers["Location"]).get_data(as_text=True)
    assert "Thank you, your order is placed" in done
    assert CUSTOMER not in done
    assert "receipt" not in done.lower()
    order_id = shop.client.get(f"/api/v1/links/{link['id']}", headers=shop.auth).get_json()[
        "order_id"
    ]
    event_id = "evt_" + order_id.removeprefix("ord_")

    def attempted() -> bool:
        event = shop.client.get(f"/api/v1/events/{event_id}", headers=shop.auth).get_json()
        return bool(event["state"] == "skipped")

    shop.pump(attempted)  # the webhook side ran (skipped: no URL), so passes happened
    shop.passes(10)
    assert shop.receipt(order_id) is None
    assert smtp.rcpt_attempts == 0
    assert smtp.received == []


@pytest.mark.parametrize(
    ("locale", "sentence"),
    [
        ("en", f"A receipt is on its way to {CUSTOMER}."),
        ("de", f"Ihr Kaufbeleg ist auf dem Weg an {CUSTOMER}."),
    ],
)
def test_with_smtp_the_confirmation_page_says_a_receipt_is_on_its_way(
    shop: Shop, locale: str, sentence: str
) -> None:
    """With SMTP configured the confirmation page tells the customer, in the page's language,
    that a receipt is on its way to the address they entered."""
    link = shop.client.post(
        "/api/v1/links", json={"locale": locale, "products": [{"id": "kit"}]}, headers=shop.auth
    ).get_json()
    path = link_path(link["url"])
    csrf = csrf_of(shop.client.get(path).get_data(as_text=True))
    placed = shop.client.post(path, data={"csrf_token": csrf, "email": CUSTOMER, **BERLIN})
    done = shop.client.get(placed.headers["Location"]).get_data(as_text=True)
    # The address is the customer's text: isolated for direction.
    assert f'<bdi class="text">{CUSTOMER}</bdi>' in done
    assert sentence in re.sub(r"<[^>]+>", "", done)


def test_personal_data_never_reaches_the_logs(
    shop: Shop, smtp: SmtpServer, caplog: pytest.LogCaptureFixture
) -> None:
    """While receipts are sent, retried (451) and refused (550), no log record carries the
    customer's address or name, in its message or its fields."""
    caplog.set_level(logging.DEBUG)
    smtp.plan(["451", "250", "550"])
    first, second = shop.place(), shop.place()
    shop.pump(lambda: {shop.state(first), shop.state(second)} == {"sent", "failed"})
    assert any(r.getMessage() == "receipt attempt" for r in caplog.records)
    # The test SMTP server's own log ("mail.log") shows the whole conversation: not ours.
    for record in (r for r in caplog.records if r.name != "mail.log"):
        dumped = record.getMessage() + repr(vars(record))
        for secret in (CUSTOMER, FIRST, LAST, "ana.ruiz.receipt"):
            assert secret not in dumped, record.getMessage()


def test_the_html_part_escapes_what_the_merchant_and_customer_wrote(
    shop: Shop, smtp: SmtpServer
) -> None:
    """A product name and property holding markup arrive as text in the HTML part, never as
    markup, and unchanged in the text part."""
    name = "<script>alert('x')</script> & <b>Kit</b>"
    cart = {"products": [{"id": "kit", "name": name, "properties": {"<i>k</i>": '"v"'}}]}
    shop.place(cart)
    shop.pump(lambda: smtp.received)
    text, html = _parts(smtp.received[0].message)
    assert "<script>" not in html
    assert "<b>Kit</b>" not in html
    assert "<i>k</i>" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &lt;b&gt;Kit&lt;/b&gt;" in html
    assert "&quot;v&quot;" in html
    assert name in text
