"""The merchant client against the real app (in-process WSGI), and webhook verification."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import fakeredis
import httpx
import pytest
from flask import Flask, request
from flask.testing import FlaskClient
from standardwebhooks import Webhook

from checkout_links.client import (
    AuthenticationError,
    CheckoutLinksClient,
    CheckoutLinksError,
    ConflictError,
    NotFoundError,
    RateLimitError,
    ServiceUnavailableError,
    TransportError,
    ValidationError,
    WebhookVerificationError,
    verify_webhook,
)
from checkout_links.testing import BERLIN, add_merchant, csrf_of, link_path, make_app
from checkout_links.web.extensions import services
from checkout_links.worker.webhook_request import deliver, signature_header

BASE = "http://localhost"
Handler = Callable[[httpx.Request], httpx.Response]


class FastClient(CheckoutLinksClient):
    """No backoff sleep after a connection error, so retry tests run instantly."""

    RETRY_BACKOFF = 0.0


@pytest.fixture
def api(app: Flask, api_key: str) -> Iterator[CheckoutLinksClient]:
    with CheckoutLinksClient(BASE, api_key, transport=httpx.WSGITransport(app=app)) as api:
        yield api


def through(app: Flask, api_key: str, handler: Callable[..., httpx.Response]) -> FastClient:
    """A client whose requests go to ``handler(request, forward)``; ``forward`` reaches the app."""
    wsgi = httpx.WSGITransport(app=app)

    def forward(request: httpx.Request) -> httpx.Response:
        response = wsgi.handle_request(request)
        response.read()
        return response

    transport = httpx.MockTransport(lambda request: handler(request, forward))
    return FastClient(BASE, api_key, transport=transport)


def place_order(client: FlaskClient, url: str, email: str = "ana@example.com") -> None:
    """Buy through the customer's pages: the cart page, then its form."""
    page = client.get(link_path(url))
    assert page.status_code == 200
    form = {"csrf_token": csrf_of(page.get_data(as_text=True)), "email": email, **BERLIN}
    assert client.post(link_path(url), data=form).status_code == 303


LINE = {"id": "pro-licence", "price": "1249.00", "properties": {"seats": "25"}}


# The merchant API


def test_put_get_and_list_products(api: CheckoutLinksClient) -> None:
    """A product put through the client reads back, and iteration follows cursors to the end."""
    put = api.put_product("gadget", name="Gadget", price="9.50", currency="EUR")
    assert put["id"] == "gadget"
    assert api.get_product("gadget")["price"] == "9.50"
    page = api.list_products(limit=2)
    assert len(page["items"]) == 2
    assert page["next_cursor"]
    ids = [p["id"] for p in api.iter_products(limit=2)]
    assert ids == ["gadget", "kit", "pro-licence", "support"]


def test_delete_product_deactivates_it(api: CheckoutLinksClient) -> None:
    """delete_product leaves the product readable but inactive."""
    assert api.delete_product("kit")["active"] is False
    assert api.get_product("kit")["active"] is False


def test_tax_rates_through_the_client(api: CheckoutLinksClient) -> None:
    """A rate put through the client reads back, lists in id order and deactivates."""
    put = api.put_tax_rate("fr-tva", country="FR", percent="20", display_name="TVA")
    assert (put["id"], put["percent"], put["region"]) == ("fr-tva", "20", None)
    api.put_tax_rate("de-mwst", country="DE", percent="19", display_name="MwSt.")
    assert api.get_tax_rate("fr-tva")["display_name"] == "TVA"
    assert [r["id"] for r in api.list_tax_rates()["items"]] == ["de-mwst", "fr-tva"]
    assert api.delete_tax_rate("fr-tva")["active"] is False


def test_create_link_and_read_it(api: CheckoutLinksClient) -> None:
    """create_link returns the issued link (Decimal prices sent as strings) and it reads as open."""
    link = api.create_link(
        [{"id": "pro-licence", "price": Decimal("1249.00")}], customer={"email": "a@example.com"}
    )
    assert link["id"].startswith("lnk_")
    assert link["url"].startswith(f"{BASE}/c/")
    assert link["total"] == "1249.00"
    assert api.get_link(link["id"]) == {"id": link["id"], "status": "open"}


def test_same_idempotency_key_returns_the_same_link(api: CheckoutLinksClient) -> None:
    """Two create_link calls with one key yield one link; without a key each call is a new link."""
    first = api.create_link([LINE], idempotency_key="quote-118")
    again = api.create_link([LINE], idempotency_key="quote-118")
    assert again == first
    assert api.create_link([LINE])["id"] != api.create_link([LINE])["id"]


def test_idempotency_key_reused_with_another_body(api: CheckoutLinksClient) -> None:
    """Reusing a key for a different cart is a ValidationError pointing at the header."""
    api.create_link([LINE], idempotency_key="quote-119")
    with pytest.raises(ValidationError) as caught:
        api.create_link([{**LINE, "price": "999.00"}], idempotency_key="quote-119")
    assert caught.value.errors[0]["loc"] == ["header", "Idempotency-Key"]


def test_revoke_link(api: CheckoutLinksClient) -> None:
    """revoke_link withdraws an open link and its status says so."""
    link = api.create_link([LINE])
    assert api.revoke_link(link["id"]) == {"id": link["id"], "status": "revoked"}
    assert api.get_link(link["id"])["status"] == "revoked"


def test_unknown_api_key_is_authentication_error(app: Flask, api_key: str) -> None:
    """A 401 becomes AuthenticationError carrying the problem+json body."""
    bad = CheckoutLinksClient(BASE, "ck_000000000000_nope", transport=httpx.WSGITransport(app=app))
    with bad, pytest.raises(AuthenticationError) as caught:
        bad.list_products()
    assert caught.value.status == 401
    assert caught.value.problem["status"] == 401
    assert caught.value.problem["type"].endswith("/unauthorized")
    assert caught.value.detail == "Unknown or revoked API key."


@pytest.mark.parametrize(
    ("line", "loc"),
    [
        ({"id": "support", "quantity": 0}, ["body", "products", 0, "quantity"]),
        ({"id": "pro-licence", "price": "5.00"}, ["body", "products", 0, "price"]),
        ({"id": "support", "name": "Other"}, ["body", "products", 0, "name"]),
    ],
)
def test_validation_error_points_at_the_field(
    api: CheckoutLinksClient, line: dict[str, Any], loc: list[Any]
) -> None:
    """A 422 becomes ValidationError whose errors' loc names the offending field."""
    with pytest.raises(ValidationError) as caught:
        api.create_link([line])
    assert caught.value.status == 422
    assert [e["loc"] for e in caught.value.errors] == [loc]


@pytest.mark.parametrize(
    "call",
    [
        lambda api: api.get_product("nope"),
        lambda api: api.get_link("lnk_forged"),
        lambda api: api.revoke_link("lnk_forged"),
        lambda api: api.get_order("ord_nope"),
        lambda api: api.redeliver_event("evt_nope"),
    ],
)
def test_unknown_ids_are_not_found(
    api: CheckoutLinksClient, call: Callable[[CheckoutLinksClient], Any]
) -> None:
    """A 404 becomes NotFoundError."""
    with pytest.raises(NotFoundError) as caught:
        call(api)
    assert caught.value.status == 404


def test_another_merchants_link_is_not_found(app: Flask, api: CheckoutLinksClient) -> None:
    """A link id of another merchant is NotFoundError, not that merchant's status."""
    link = api.create_link([LINE])
    other_key = add_merchant(app, "other")
    other = CheckoutLinksClient(BASE, other_key, transport=httpx.WSGITransport(app=app))
    with other, pytest.raises(NotFoundError):
        other.get_link(link["id"])


def test_revoking_a_completed_link_is_conflict(
    api: CheckoutLinksClient, client: FlaskClient
) -> None:
    """Revoking a link that produced an order is ConflictError, and the link stays completed."""
    link = api.create_link([LINE])
    place_order(client, link["url"])
    with pytest.raises(ConflictError) as caught:
        api.revoke_link(link["id"])
    assert caught.value.status == 409
    assert api.get_link(link["id"])["status"] == "completed"


def test_orders_read_and_listed(api: CheckoutLinksClient, client: FlaskClient) -> None:
    """Placed orders read back by id and iterate newest first across pages; erasing one's
    personal data keeps its amounts."""
    first = api.create_link([LINE], external_ref="quote-1", additional_data={"crm": "1"})
    second = api.create_link([{"id": "kit", "quantity": 2}])
    place_order(client, first["url"], "ana@example.com")
    place_order(client, second["url"], "bo@example.com")
    order_id = api.get_link(first["id"])["order_id"]
    order = api.get_order(order_id)
    assert order["link_id"] == first["id"]
    assert order["status"] == "placed"
    assert order["total"] == "1249.00"
    assert order["customer"]["email"] == "ana@example.com"
    assert order["additional_data"] == {"crm": "1"}
    assert order["external_ref"] == "quote-1"
    assert api.list_orders(limit=1)["next_cursor"]
    links = [o["link_id"] for o in api.iter_orders(limit=1)]
    assert links == [second["id"], first["id"]]
    erased = api.erase_personal_data(order_id)
    assert (erased["customer"]["email"], erased["additional_data"]) == ("", {})
    assert erased["total"] == "1249.00"


def test_orders_filtered_by_window_and_reference(
    api: CheckoutLinksClient, client: FlaskClient
) -> None:
    """The client sends aware datetimes and references as the list's filters."""
    from datetime import UTC, datetime, timedelta

    tagged = api.create_link([LINE], external_ref="quote-7")
    plain = api.create_link([{"id": "kit", "quantity": 2}])
    place_order(client, tagged["url"])
    place_order(client, plain["url"])
    tagged_order = api.get_link(tagged["id"])["order_id"]
    now = datetime.now(UTC)
    refs = [o["id"] for o in api.iter_orders(external_ref="quote-7")]
    assert refs == [tagged_order]
    window = api.list_orders(
        created_gte=now - timedelta(hours=1), created_lt=now + timedelta(hours=1)
    )
    assert len(window["items"]) == 2
    assert api.list_orders(created_gte=now + timedelta(hours=1))["items"] == []
    with pytest.raises(ValueError, match="timezone-aware"):
        api.list_orders(created_gte=datetime(2026, 1, 1))


def test_events_listed_and_redelivered(
    app: Flask, api: CheckoutLinksClient, client: FlaskClient
) -> None:
    """A placed order shows up as an order.created event, which can be queued again once the
    merchant has a webhook URL (before, the client raises ConflictError)."""
    link = api.create_link([LINE])
    place_order(client, link["url"])
    [event] = api.list_events()["items"]
    assert event["type"] == "order.created"
    assert event["order_id"] == api.get_link(link["id"])["order_id"]
    with pytest.raises(ConflictError, match="No webhook URL"):
        api.redeliver_event(event["id"])
    with app.app_context():
        services().merchants.set_webhook_url("acme", "https://hooks.example.com/orders")
    assert api.redeliver_event(event["id"])["state"] == "pending"


# Retries


def test_lost_503_on_create_link_is_retried_with_the_same_key(app: Flask, api_key: str) -> None:
    """A 503 after the link was issued is retried with the same key and body: one link, same id."""
    sent: list[httpx.Request] = []
    swallowed: list[dict[str, Any]] = []

    def handler(request: httpx.Request, forward: Handler) -> httpx.Response:
        sent.append(request)
        response = forward(request)
        if len(sent) == 1:
            swallowed.append(response.json())
            return httpx.Response(503, headers={"Retry-After": "0"})
        return response

    with through(app, api_key, handler) as api:
        link = api.create_link([LINE])
    assert len(sent) == 2
    assert link["id"] == swallowed[0]["id"]
    keys = {r.headers["Idempotency-Key"] for r in sent}
    assert len(keys) == 1
    assert keys != {""}
    assert sent[0].content == sent[1].content


def test_connection_error_is_retried(app: Flask, api_key: str) -> None:
    """A connection error on an idempotent request is retried and the retry's answer returned."""
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request, forward: Handler) -> httpx.Response:
        sent.append(request)
        if len(sent) == 1:
            raise httpx.ConnectError("connection refused", request=request)
        return forward(request)

    with through(app, api_key, handler) as api:
        assert api.get_product("kit")["id"] == "kit"
    assert len(sent) == 2


@pytest.mark.parametrize(
    ("status", "error"), [(429, RateLimitError), (503, ServiceUnavailableError)]
)
def test_retries_are_bounded(
    app: Flask, api_key: str, status: int, error: type[CheckoutLinksError]
) -> None:
    """A 429 or 503 that persists is tried max_retries + 1 times, then raised as its class."""
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request, forward: Handler) -> httpx.Response:
        sent.append(request)
        return httpx.Response(status, headers={"Retry-After": "0"}, json={"detail": "down"})

    with through(app, api_key, handler) as api, pytest.raises(error) as caught:
        api.get_product("kit")
    assert len(sent) == 3
    assert caught.value.retry_after == 0
    assert caught.value.detail == "down"


def test_network_failure_becomes_transport_error(app: Flask, api_key: str) -> None:
    """Connection errors that outlast the retries raise TransportError, with no status."""

    def handler(request: httpx.Request, forward: Handler) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with through(app, api_key, handler) as api, pytest.raises(TransportError) as caught:
        api.get_product("kit")
    assert caught.value.status is None
    assert isinstance(caught.value.__cause__, httpx.ConnectError)


def test_non_idempotent_post_is_not_retried(app: Flask, api_key: str) -> None:
    """redeliver_event is sent once even on a 503."""
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request, forward: Handler) -> httpx.Response:
        sent.append(request)
        return httpx.Response(503, headers={"Retry-After": "0"})

    with through(app, api_key, handler) as api, pytest.raises(ServiceUnavailableError):
        api.redeliver_event("evt_x")
    assert len(sent) == 1


def test_retry_after_beyond_the_cap_is_raised_at_once(app: Flask, api_key: str) -> None:
    """A Retry-After longer than the client waits raises RateLimitError carrying it, untried."""
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request, forward: Handler) -> httpx.Response:
        sent.append(request)
        return httpx.Response(429, headers={"Retry-After": "120"})

    with through(app, api_key, handler) as api, pytest.raises(RateLimitError) as caught:
        api.list_orders()
    assert len(sent) == 1
    assert caught.value.retry_after == 120
    assert caught.value.status == 429


def test_servers_rate_limit_is_rate_limit_error() -> None:
    """The server's own 429 becomes RateLimitError with its Retry-After, raised without waiting."""
    app = make_app(fakeredis.FakeRedis(server=fakeredis.FakeServer()), rate_limit_api="2/minute")
    key = add_merchant(app)
    sent: list[httpx.Request] = []
    wsgi = httpx.WSGITransport(app=app)

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        response = wsgi.handle_request(request)
        response.read()
        return response

    with CheckoutLinksClient(BASE, key, transport=httpx.MockTransport(handler)) as api:
        api.get_product("kit")
        api.get_product("kit")
        started = time.monotonic()
        with pytest.raises(RateLimitError) as caught:
            api.get_product("kit")
    assert time.monotonic() - started < 5
    assert len(sent) == 3
    assert caught.value.retry_after is not None
    assert caught.value.retry_after > CheckoutLinksClient.MAX_RETRY_WAIT
    assert caught.value.problem["status"] == 429


# Webhook verification

SECRET = "whsec_" + base64.b64encode(bytes(range(32))).decode()
OLD_SECRET = "whsec_" + base64.b64encode(b"o" * 32).decode()
BODY = json.dumps({"id": "evt_1", "type": "order.created", "data": {"id": "ord_1"}}).encode()
TS = 1_700_000_000


def headers_for(signature: str, msg_id: str = "evt_1", ts: int = TS) -> dict[str, str]:
    return {"webhook-id": msg_id, "webhook-timestamp": str(ts), "webhook-signature": signature}


def test_verify_accepts_our_servers_signature() -> None:
    """A body signed by the server's own signer verifies and is returned parsed."""
    headers = headers_for(signature_header([SECRET], "evt_1", TS, BODY))
    assert verify_webhook(BODY, headers, SECRET, now=TS) == json.loads(BODY)


def test_verify_accepts_standardwebhooks_signature() -> None:
    """A body signed by the standardwebhooks reference library verifies."""
    sig = Webhook(SECRET).sign("evt_1", datetime.fromtimestamp(TS, UTC), BODY.decode())
    assert verify_webhook(BODY, headers_for(sig), SECRET, now=TS)["id"] == "evt_1"


def test_verify_looks_headers_up_case_insensitively() -> None:
    """Header names in any case are found."""
    lower = headers_for(signature_header([SECRET], "evt_1", TS, BODY))
    headers = {name.title(): value for name, value in lower.items()}
    assert verify_webhook(BODY, headers, SECRET, now=TS)["id"] == "evt_1"


def test_verify_during_secret_rotation() -> None:
    """One matching signature among several is enough, on either side of a rotation."""
    both = headers_for(signature_header([OLD_SECRET, SECRET], "evt_1", TS, BODY))
    assert verify_webhook(BODY, both, SECRET, now=TS)["id"] == "evt_1"
    old_only = headers_for(signature_header([OLD_SECRET], "evt_1", TS, BODY))
    assert verify_webhook(BODY, old_only, [SECRET, OLD_SECRET], now=TS)["id"] == "evt_1"


def test_verify_accepts_the_tolerance_edges() -> None:
    """A timestamp exactly tolerance seconds off, either way, is accepted."""
    headers = headers_for(signature_header([SECRET], "evt_1", TS, BODY))
    assert verify_webhook(BODY, headers, SECRET, now=TS + 300)
    assert verify_webhook(BODY, headers, SECRET, now=TS - 300)


def test_server_delivery_verifies() -> None:
    """The exact request the webhook worker sends passes verify_webhook."""
    received: list[dict[str, Any]] = []

    def merchant(request: httpx.Request) -> httpx.Response:
        received.append(verify_webhook(request.content, request.headers, SECRET))
        return httpx.Response(204)

    with httpx.Client(transport=httpx.MockTransport(merchant)) as http:
        attempt = deliver(
            http,
            "http://merchant.test/hooks",
            event_id="evt_1",
            body=BODY,
            secrets=[SECRET],
            allow_private=True,
        )
    assert attempt.ok
    assert received == [json.loads(BODY)]


def test_verify_reads_flask_request_headers() -> None:
    """A Flask view can hand its request's raw body and headers straight to verify_webhook."""
    merchant = Flask(__name__)

    @merchant.post("/hooks")
    def hooks() -> tuple[str, int]:
        try:
            verify_webhook(request.get_data(), request.headers, SECRET)
        except WebhookVerificationError:
            return "", 400
        return "", 204

    now = int(time.time())
    headers = headers_for(signature_header([SECRET], "evt_1", now, BODY), ts=now)
    client = merchant.test_client()
    assert client.post("/hooks", data=BODY, headers=headers).status_code == 204
    assert client.post("/hooks", data=BODY + b" ", headers=headers).status_code == 400


GOOD = signature_header([SECRET], "evt_1", TS, BODY)


@pytest.mark.parametrize(
    ("body", "headers", "secret", "now"),
    [
        pytest.param(BODY.replace(b"ord_1", b"ord_2"), headers_for(GOOD), SECRET, TS, id="body"),
        pytest.param(BODY, headers_for(GOOD, msg_id="evt_2"), SECRET, TS, id="id"),
        pytest.param(BODY, headers_for(GOOD), OLD_SECRET, TS, id="wrong-secret"),
        pytest.param(BODY, headers_for(GOOD), SECRET, TS + 301, id="stale"),
        pytest.param(BODY, headers_for(GOOD), SECRET, TS - 301, id="future"),
        pytest.param(BODY, headers_for(GOOD.replace("v1,", "v2,")), SECRET, TS, id="version"),
        pytest.param(BODY, headers_for("v1,!!notbase64"), SECRET, TS, id="garbage-signature"),
        pytest.param(BODY, {**headers_for(GOOD), "webhook-timestamp": "17e8"}, SECRET, TS, id="ts"),
    ],
)
def test_verify_rejects(body: bytes, headers: dict[str, str], secret: str, now: float) -> None:
    """A changed body or id, a wrong secret, a timestamp beyond tolerance or a bad header fails."""
    with pytest.raises(WebhookVerificationError):
        verify_webhook(body, headers, secret, now=now)


@pytest.mark.parametrize("missing", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_verify_rejects_missing_headers(missing: str) -> None:
    """Each of the three headers is required."""
    headers = headers_for(GOOD)
    del headers[missing]
    with pytest.raises(WebhookVerificationError, match=missing):
        verify_webhook(BODY, headers, SECRET, now=TS)
