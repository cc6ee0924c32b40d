"""Order webhooks end to end in one process: a fakeredis app, the worker's ``step()``, and a
real HTTP receiver on 127.0.0.1.

The worker is driven by hand (``Worker(...).step()`` in a loop), so every test decides
when deliveries happen and waits for conditions with a deadline, never for a time.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import given, settings
from hypothesis import strategies as st
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from checkout_links.cli.main import cli
from checkout_links.core.merchants.store import new_webhook_secret
from checkout_links.core.services import Services
from checkout_links.testing import add_merchant, make_app, memory_redis
from checkout_links.testing.shop import event_of, place_order, pump
from checkout_links.testing.webhook_receiver import HUGE_BYTES, Receiver
from checkout_links.web.extensions import services
from checkout_links.worker import webhook_request as webhooks
from checkout_links.worker.deliverer import Worker

FAST = {
    "allow_private_webhooks": True,
    "webhook_retry_base_seconds": 0.05,
    "webhook_timeout_seconds": 0.5,
}


def _services_of(app: Flask) -> Services:
    """The services ``app`` works on, for the CLI to work on the same store."""
    with app.app_context():
        return services()


@pytest.fixture
def wh_app() -> Flask:
    return make_app(memory_redis(), **FAST)


@pytest.fixture
def wh_client(wh_app: Flask) -> FlaskClient:
    return wh_app.test_client()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver(slow_seconds=2.0) as rec:
        yield rec


@pytest.fixture
def merchant(wh_app: Flask, receiver: Receiver) -> dict[str, Any]:
    """Merchant ``acme`` with the test catalog and its webhook pointed at the receiver."""
    api_key = add_merchant(wh_app)
    with wh_app.app_context():
        svc = services()
        svc.merchants.set_webhook_url("acme", f"{receiver.url}/hook")
        secret = svc.merchants.webhook_secrets("acme")[0]
    return {"auth": {"Authorization": f"Bearer {api_key}"}, "secret": secret}


def pump_for(app: Flask, seconds: float) -> None:
    """Run worker passes for a while (to show that nothing more happens)."""
    end = time.monotonic() + seconds
    pump(app, lambda: time.monotonic() > end, timeout=seconds + 5)


def verify(secret: str, body: bytes, headers: dict[str, str]) -> Any:
    return Webhook(secret).verify(body, headers)


def test_retries_until_success_with_stable_id_and_valid_signatures(
    wh_app: Flask, wh_client: FlaskClient, receiver: Receiver, merchant: dict[str, Any]
) -> None:
    """After a 500, a timeout and a reset the event arrives once the receiver answers 2xx, every
    attempt carrying the same webhook-id, a timestamp and a Standard Webhooks signature."""
    receiver.plan(["500", "timeout", "reset"])
    order_id = place_order(wh_client, merchant["auth"])
    pump(wh_app, lambda: receiver.ids("ok"))

    attempts = receiver.received()
    assert [a.action for a in attempts] == ["500", "timeout", "reset", "ok"]
    event_id = attempts[0].webhook_id
    assert event_id.startswith("evt_")
    for attempt in attempts:
        assert attempt.headers["webhook-id"] == event_id
        assert attempt.headers["webhook-timestamp"].isdigit()
        assert attempt.headers["webhook-signature"].startswith("v1,")
        assert attempt.headers["content-type"] == "application/json"
        assert verify(merchant["secret"], attempt.body, attempt.headers)["id"] == event_id
    # The same bytes are sent on every attempt, only the timestamp/signature change.
    assert {a.body for a in attempts} == {attempts[0].body}
    assert json.loads(attempts[-1].body)["data"]["id"] == order_id
    event = event_of(wh_client, merchant["auth"], order_id)
    assert (event["id"], event["state"], event["attempts"]) == (event_id, "delivered", 4)


def test_event_body_carries_the_order_as_the_api_returns_it(
    wh_app: Flask, wh_client: FlaskClient, receiver: Receiver, merchant: dict[str, Any]
) -> None:
    """The body is {"id", "type": "order.created", "created_at", "data": order} with the order
    exactly as GET /api/v1/orders/{id} returns it."""
    order_id = place_order(wh_client, merchant["auth"])
    pump(wh_app, lambda: receiver.ids("ok"))
    (delivery,) = receiver.received()
    event = json.loads(delivery.body)
    order = wh_client.get(f"/api/v1/orders/{order_id}", headers=merchant["auth"]).get_json()
    assert set(event) == {"id", "type", "created_at", "data"}
    assert event["id"] == delivery.webhook_id
    assert event["type"] == "order.created"
    assert event["created_at"] == order["created_at"]
    assert event["data"] == order
    assert "merchant_id" not in event["data"]


def test_event_state_is_visible_to_its_merchant_only(
    wh_app: Flask, wh_client: FlaskClient, receiver: Receiver, merchant: dict[str, Any]
) -> None:
    """GET /api/v1/events and /events/{id} show a delivered event with its attempt count, and
    another merchant gets 404 for it (reading or redelivering) and does not see it listed."""
    auth = merchant["auth"]
    receiver.plan(["500", "500"])
    order_id = place_order(wh_client, auth)
    pending = event_of(wh_client, auth, order_id)
    assert pending["state"] == "pending"
    assert pending["attempts"] == 0
    pump(wh_app, lambda: receiver.ids("ok"))

    listed = event_of(wh_client, auth, order_id)
    assert listed["id"] == receiver.received()[0].webhook_id
    assert listed["type"] == "order.created"
    assert listed["state"] == "delivered"
    assert listed["attempts"] == 3
    assert listed["last_status"] == 200
    assert listed["next_attempt_at"] is None
    one = wh_client.get(f"/api/v1/events/{listed['id']}", headers=auth)
    assert one.status_code == 200
    assert one.get_json() == listed

    other_key = add_merchant(wh_app, "globex")
    other = {"Authorization": f"Bearer {other_key}"}
    assert wh_client.get(f"/api/v1/events/{listed['id']}", headers=other).status_code == 404
    redeliver = wh_client.post(f"/api/v1/events/{listed['id']}/redeliver", headers=other)
    assert redeliver.status_code == 404
    assert wh_client.get("/api/v1/events", headers=other).get_json()["items"] == []
    assert wh_client.get("/api/v1/events/evt_nonsense", headers=auth).status_code == 404


def test_redelivery_sends_the_same_event_again(
    wh_app: Flask, wh_client: FlaskClient, receiver: Receiver, merchant: dict[str, Any]
) -> None:
    """POST /api/v1/events/{id}/redeliver answers 202 and the receiver gets the same event id
    (and the same body) once more."""
    auth = merchant["auth"]
    order_id = place_order(wh_client, auth)
    pump(wh_app, lambda: receiver.ids("ok"))
    event_id = event_of(wh_client, auth, order_id)["id"]

    answer = wh_client.post(f"/api/v1/events/{event_id}/redeliver", headers=auth)
    assert answer.status_code == 202
    assert answer.get_json()["id"] == event_id
    assert answer.get_json()["state"] == "pending"
    pump(wh_app, lambda: receiver.ids("ok")[event_id] == 2)

    first, second = receiver.received()
    assert first.webhook_id == second.webhook_id == event_id
    assert first.body == second.body
    assert verify(merchant["secret"], second.body, second.headers)
    after = event_of(wh_client, auth, order_id)
    assert after["state"] == "delivered"
    assert after["attempts"] == 2


def test_dead_letter_after_retry_window_until_redelivered(
    receiver: Receiver,
) -> None:
    """With a 1 s retry window and a receiver that always fails, the event ends ``dead``, is not
    attempted again, and a redelivery sends it once more."""
    app = make_app(memory_redis(), **FAST, webhook_retry_seconds=1)
    client = app.test_client()
    auth = {"Authorization": f"Bearer {add_merchant(app)}"}
    with app.app_context():
        services().merchants.set_webhook_url("acme", f"{receiver.url}/hook")
    receiver.default = "500"
    order_id = place_order(client, auth)

    pump(app, lambda: event_of(client, auth, order_id)["state"] == "dead")
    dead = event_of(client, auth, order_id)
    tries = len(receiver.received())
    assert tries >= 2
    assert dead["attempts"] == tries
    assert dead["last_status"] == 500
    assert dead["next_attempt_at"] is None

    pump_for(app, 1.0)
    assert len(receiver.received()) == tries
    assert event_of(client, auth, order_id) == dead

    receiver.default = "ok"
    assert client.post(f"/api/v1/events/{dead['id']}/redeliver", headers=auth).status_code == 202
    pump(app, lambda: event_of(client, auth, order_id)["state"] == "delivered")
    assert len(receiver.received()) == tries + 1
    assert receiver.received()[-1].webhook_id == dead["id"]


def test_events_without_a_webhook_url_are_skipped_until_redelivered(
    receiver: Receiver,
) -> None:
    """A merchant without a webhook URL gets its event kept as ``skipped`` (no attempt, no
    retry, listable by state); a redelivery is refused until a URL is set, then sends it."""
    app = make_app(memory_redis(), **FAST, cache_seconds=0)
    client = app.test_client()
    auth = {"Authorization": f"Bearer {add_merchant(app)}"}
    order_id = place_order(client, auth)

    pump(app, lambda: event_of(client, auth, order_id)["state"] == "skipped")
    skipped = event_of(client, auth, order_id)
    assert skipped["attempts"] == 0
    assert skipped["next_attempt_at"] is None
    assert skipped["last_attempt_at"] is None
    assert skipped["last_error"] == "no webhook URL configured"
    listed = client.get("/api/v1/events?state=skipped", headers=auth).get_json()["items"]
    assert [e["id"] for e in listed] == [skipped["id"]]
    assert client.get("/api/v1/events?state=retrying", headers=auth).get_json()["items"] == []

    pump_for(app, 1.0)  # ten times the first retry delay: nothing more happens
    assert event_of(client, auth, order_id) == skipped

    refused = client.post(f"/api/v1/events/{skipped['id']}/redeliver", headers=auth)
    assert refused.status_code == 409
    assert "webhook URL" in refused.get_json()["detail"]
    with app.app_context():
        services().merchants.set_webhook_url("acme", f"{receiver.url}/hook")
    answer = client.post(f"/api/v1/events/{skipped['id']}/redeliver", headers=auth)
    assert answer.status_code == 202
    pump(app, lambda: event_of(client, auth, order_id)["state"] == "delivered")
    assert [a.webhook_id for a in receiver.received()] == [skipped["id"]]
    assert event_of(client, auth, order_id)["attempts"] == 1


def test_rotation_grace_signs_with_old_and_new_secret(
    wh_app: Flask, wh_client: FlaskClient, receiver: Receiver, merchant: dict[str, Any]
) -> None:
    """During a rotation's grace period a delivery carries two v1 signatures and verifies under
    both the old and the new secret."""
    old = merchant["secret"]
    with wh_app.app_context():
        new = services().merchants.rotate_webhook_secret("acme", 3600)
    assert new != old
    place_order(wh_client, merchant["auth"])
    pump(wh_app, lambda: receiver.ids("ok"))

    (delivery,) = receiver.received()
    signatures = delivery.headers["webhook-signature"].split(" ")
    assert len(signatures) == 2
    assert all(s.startswith("v1,") for s in signatures)
    assert verify(old, delivery.body, delivery.headers)
    assert verify(new, delivery.body, delivery.headers)


def test_rotation_without_grace_signs_with_the_new_secret_only(
    wh_app: Flask, wh_client: FlaskClient, receiver: Receiver, merchant: dict[str, Any]
) -> None:
    """``merchant rotate-webhook-secret --grace-hours 0`` makes only the new secret verify,
    even right after a rotation with a grace period."""
    old = merchant["secret"]
    with wh_app.app_context():
        middle = services().merchants.rotate_webhook_secret("acme", 3600)
        svc = services()
    result = CliRunner().invoke(
        cli, ["merchant", "rotate-webhook-secret", "acme", "--grace-hours", "0"], obj=svc
    )
    assert result.exit_code == 0, result.output
    new = json.loads(result.stdout)["webhook_secret"]
    place_order(wh_client, merchant["auth"])
    pump(wh_app, lambda: receiver.ids("ok"))

    (delivery,) = receiver.received()
    assert len(delivery.headers["webhook-signature"].split(" ")) == 1
    assert verify(new, delivery.body, delivery.headers)
    for retired in (old, middle):
        with pytest.raises(WebhookVerificationError):
            verify(retired, delivery.body, delivery.headers)


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/hook",
        "https://127.0.0.1/hook",
        "https://10.0.0.1/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://[::ffff:10.0.0.1]/hook",
        "https://0.0.0.0/hook",
        "https://localhost/hook",
        "https://api.localhost/hook",
        "https://user:pw@example.com/hook",
        "ftp://example.com/hook",
        "https:///nohost",
    ],
)
def test_check_url_refuses_unsafe_targets(url: str) -> None:
    """With private webhooks off, check_url refuses plain http, loopback, private, link-local,
    v4-mapped and unspecified addresses, localhost names and URLs with credentials."""
    with pytest.raises(webhooks.UnsafeURL):
        webhooks.check_url(url, allow_private=False, resolve=False)


def test_check_url_allow_private_still_refuses_credentials() -> None:
    """allow_private lets http and loopback through but never credentials in the URL."""
    webhooks.check_url("http://127.0.0.1:9/hook", allow_private=True)
    with pytest.raises(webhooks.UnsafeURL):
        webhooks.check_url("http://u:p@127.0.0.1:9/hook", allow_private=True)


def test_check_url_accepts_a_public_https_address() -> None:
    """A public https address passes (no DNS: the host is an IP literal)."""
    webhooks.check_url("https://93.184.215.14/hook", allow_private=False)
    webhooks.check_url("https://[2606:4700::1111]/hook", allow_private=False)


def _deliver(url: str, *, allow_private: bool, timeout: float = 2.0) -> webhooks.Attempt:
    client = webhooks.http_client(timeout)
    try:
        return webhooks.deliver(
            client,
            url,
            event_id="evt_test",
            body=b'{"id":"evt_test"}',
            secrets=[new_webhook_secret()],
            allow_private=allow_private,
        )
    finally:
        client.close()


def test_deliver_refuses_private_targets_without_connecting(receiver: Receiver) -> None:
    """deliver() to a loopback URL, spelled in several ways, fails without opening a connection
    when private webhooks are off."""
    port = receiver.port
    urls = [
        f"http://127.0.0.1:{port}/hook",
        f"https://127.0.0.1:{port}/hook",
        f"https://localhost:{port}/hook",
        f"https://[::ffff:127.0.0.1]:{port}/hook",
        f"https://127.1:{port}/hook",  # resolves to 127.0.0.1
        f"https://2130706433:{port}/hook",  # 127.0.0.1 as one decimal number
        f"https://u:p@127.0.0.1:{port}/hook",
    ]
    for url in urls:
        attempt = _deliver(url, allow_private=False)
        assert not attempt.ok, url
        assert attempt.status is None, url
        assert attempt.error is not None
        assert attempt.error.startswith("refused URL"), (url, attempt.error)
    assert receiver.connections == 0
    assert receiver.requests == []
    # Control: the same receiver is reachable when private webhooks are allowed.
    assert _deliver(f"http://127.0.0.1:{port}/hook", allow_private=True).ok
    assert receiver.connections == 1


def test_redirects_are_not_followed(receiver: Receiver) -> None:
    """A 302 is a failed attempt and its target receives nothing."""
    receiver.plan(["redirect"])
    attempt = _deliver(f"{receiver.url}/hook", allow_private=True)
    assert not attempt.ok
    assert attempt.status == 302
    assert [r.path for r in receiver.requests] == ["/hook"]
    assert receiver.received("/elsewhere") == []


def test_huge_response_body_is_not_read_in_full(receiver: Receiver) -> None:
    """A 2xx answer streaming 50 MB counts as delivered and the client hangs up long before the
    body ends."""
    receiver.plan(["huge"])
    attempt = _deliver(f"{receiver.url}/hook", allow_private=True)
    assert attempt.ok
    assert attempt.status == 200
    (rec,) = receiver.requests
    assert rec.finished.wait(15)
    assert rec.client_hung_up
    assert rec.bytes_sent < HUGE_BYTES


def test_timeout_and_reset_are_failed_attempts(receiver: Receiver) -> None:
    """An endpoint that answers too late, or resets the connection, gives a failed attempt with
    no status and the exception's name as the error."""
    receiver.plan(["timeout", "reset", "500"])
    slow = _deliver(f"{receiver.url}/hook", allow_private=True, timeout=0.3)
    reset = _deliver(f"{receiver.url}/hook", allow_private=True)
    error = _deliver(f"{receiver.url}/hook", allow_private=True)
    assert (slow.ok, slow.status, slow.error) == (False, None, "ReadTimeout")
    assert (reset.ok, reset.status) == (False, None)
    assert reset.error in {"ReadError", "RemoteProtocolError"}
    assert (error.ok, error.status, error.error) == (False, 500, "HTTP 500")


@settings(max_examples=50, deadline=None, database=None)
@given(
    msg_id=st.text(min_size=1, max_size=40),
    timestamp=st.integers(min_value=0, max_value=4_000_000_000),
    body=st.text(max_size=300),
)
def test_sign_matches_standardwebhooks_byte_for_byte(
    msg_id: str, timestamp: int, body: str
) -> None:
    """webhooks.sign gives exactly the signature the standardwebhooks library computes."""
    secret = new_webhook_secret()
    raw = body.encode()
    expected = Webhook(secret).sign(msg_id, datetime.fromtimestamp(timestamp, UTC), raw.decode())
    assert webhooks.sign(secret, msg_id, timestamp, raw) == expected


def test_cli_merchant_create_refuses_private_webhook_url() -> None:
    """``merchant create --webhook-url`` refuses a private address unless private webhooks are
    allowed, and creates nothing when it refuses."""
    strict = _services_of(make_app(memory_redis()))
    runner = CliRunner()
    for url in ("http://10.0.0.1/x", "https://10.0.0.1/x", "https://localhost/x"):
        result = runner.invoke(
            cli, ["merchant", "create", "shop", "--webhook-url", url], obj=strict
        )
        assert result.exit_code == 2, (url, result.output)
        assert "webhook URL" in result.output
    listed = runner.invoke(cli, ["merchant", "list-keys", "shop"], obj=strict)
    assert listed.exit_code == 2
    assert listed.stderr == "Error: No merchant 'shop'.\n"

    lenient = _services_of(make_app(memory_redis(), allow_private_webhooks=True))
    result = runner.invoke(
        cli, ["merchant", "create", "shop", "--webhook-url", "http://10.0.0.1/x"], obj=lenient
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["merchant_id"] == "shop"


def test_cli_set_webhook_url_refuses_private_url() -> None:
    """``merchant set-webhook-url`` applies the same SSRF rules as ``merchant create``."""
    strict = make_app(memory_redis())
    add_merchant(strict)
    result = CliRunner().invoke(
        cli,
        ["merchant", "set-webhook-url", "acme", "https://169.254.169.254/x"],
        obj=_services_of(strict),
    )
    assert result.exit_code == 2, result.output
    with strict.app_context():
        assert services().merchants.get("acme").webhook_url is None


def test_a_trickled_response_body_does_not_hold_the_attempt(receiver: Receiver) -> None:
    """A 2xx answer whose body arrives one byte at a time (each read within the read timeout)
    does not keep the attempt, and so the event's lease, open: the client hangs up first."""
    receiver.slow_seconds = 8.0
    receiver.plan(["trickle"])
    attempt = _deliver(f"{receiver.url}/hook", allow_private=True, timeout=0.5)
    assert attempt.status == 200
    (rec,) = receiver.requests
    assert rec.finished.wait(15)
    assert rec.client_hung_up


def test_trickled_response_headers_do_not_hold_the_attempt(receiver: Receiver) -> None:
    """A receiver that sends its status line and headers a byte at a time (each read within
    the read timeout) does not keep the attempt open: the client hangs up first."""
    receiver.slow_seconds = 2.0
    receiver.plan(["trickle-head"])
    _deliver(f"{receiver.url}/hook", allow_private=True, timeout=0.5)
    (rec,) = receiver.requests
    assert rec.finished.wait(15)
    assert rec.client_hung_up


def test_redelivery_requested_during_an_attempt_is_not_lost(
    receiver: Receiver,
) -> None:
    """A redelivery asked for while an attempt is still in flight sends the event once more
    after that attempt ends (the 202 is a promise)."""
    app = make_app(memory_redis(), **{**FAST, "webhook_timeout_seconds": 10.0})
    client = app.test_client()
    auth = {"Authorization": f"Bearer {add_merchant(app)}"}
    with app.app_context():
        services().merchants.set_webhook_url("acme", f"{receiver.url}/hook")
        worker = Worker(services(), "w0")
    worker.ensure_groups()
    receiver.plan(["block"])
    order_id = place_order(client, auth)
    first_pass = threading.Thread(target=worker.step)
    first_pass.start()
    try:
        receiver.wait_for("the first attempt", lambda: bool(receiver.received()))
        event_id = receiver.received()[0].webhook_id
        assert client.post(f"/api/v1/events/{event_id}/redeliver", headers=auth).status_code == 202
    finally:
        receiver.release.set()
        first_pass.join(15)
        worker.close()
    assert not first_pass.is_alive()
    pump(app, lambda: receiver.ids()[event_id] == 2, timeout=5)
    assert event_of(client, auth, order_id)["state"] == "delivered"


def test_trim_keeps_unread_outbox_entries_however_old() -> None:
    """Trimming follows the consumer group, not age: entries a day old that no worker has
    read yet all survive a trim."""
    from checkout_links.core.storage import redis_keys as keys

    app = make_app(memory_redis(), **FAST)
    with app.app_context():
        worker = Worker(services(), "w-trim")
        worker.ensure_groups()
        stream = keys.outbox(3)
        day_ago_ms = int(time.time() * 1000) - 25 * 3600 * 1000
        for i in range(5):
            worker.redis.xadd(stream, {"event_id": f"old{i}"}, id=f"{day_ago_ms + i}-0")
        worker.redis.xadd(stream, {"event_id": "new"})
        worker.outbox.trim([3])
        left = [fields[b"event_id"] for _, fields in worker.redis.xrange(stream)]
        worker.close()
    assert left == [b"old0", b"old1", b"old2", b"old3", b"old4", b"new"]
