"""CHECKOUT_SMTP_URL and CHECKOUT_MAIL_FROM: parsed, checked, and the password kept secret."""

from __future__ import annotations

from typing import Any

import fakeredis
import pytest
import redis

from checkout_links.core.config import load_settings
from checkout_links.core.errors import ConfigError
from checkout_links.core.links.ids import link_rand_of_event
from checkout_links.core.outbox.doorbells import earliest
from checkout_links.core.outbox.receipts import ReceiptOutbox
from checkout_links.core.outbox.webhooks import Outbox
from checkout_links.core.storage import redis_keys as keys
from checkout_links.testing import SECRET_A, add_merchant, make_app
from checkout_links.testing.shop import place_order

BASE = {"secret_keys": SECRET_A}
PASSWORD = "s3cr%t/p@ss"


@pytest.mark.parametrize(
    ("url", "security", "port"),
    [
        ("smtp://mail.example", "plain", 25),
        ("smtps://mail.example", "tls", 465),
        ("smtp+starttls://mail.example", "starttls", 587),
        ("smtp+starttls://mail.example:2525", "starttls", 2525),
    ],
)
def test_each_scheme_has_its_security_and_default_port(url: str, security: str, port: int) -> None:
    """smtp:// is plain on 25, smtps:// implicit TLS on 465, smtp+starttls:// STARTTLS on 587."""
    smtp = load_settings({**BASE, "smtp_url": url, "mail_from": "r@pay.example.com"}).smtp
    assert smtp is not None
    assert (smtp.security, smtp.host, smtp.port, smtp.username) == (
        security,
        "mail.example",
        port,
        None,
    )


def test_user_and_password_are_percent_decoded_and_never_shown() -> None:
    """The URL's user and password are percent-decoded; neither the settings' repr nor the
    parsed server's shows the password."""
    url = "smtp+starttls://shop%40ruiz.example:s3cr%25t%2Fp%40ss@mail.example"
    settings = load_settings({**BASE, "smtp_url": url, "mail_from": "r@pay.example.com"})
    smtp = settings.smtp
    assert smtp is not None
    assert smtp.password is not None
    assert smtp.username == "shop@ruiz.example"
    assert smtp.password.get_secret_value() == PASSWORD
    for shown in (repr(settings), str(settings), repr(smtp)):
        assert "s3cr" not in shown


@pytest.mark.parametrize(
    "url",
    [
        "http://user:hunter2hunter2@mail.example",
        "smtp://user:hunter2hunter2@",
        "smtp://user:hunter2hunter2@mail.example:99999",
        "smtp://user:hunter2hunter2@mail.example/path",
    ],
)
def test_a_bad_url_is_a_config_error_that_does_not_repeat_it(url: str) -> None:
    """A wrong scheme, no host, a bad port or a path stops start-up naming CHECKOUT_SMTP_URL,
    without the password in the message."""
    with pytest.raises(ConfigError) as caught:
        load_settings({**BASE, "smtp_url": url, "mail_from": "r@pay.example.com"})
    assert str(caught.value).startswith("CHECKOUT_SMTP_URL: ")
    assert "hunter2" not in str(caught.value)


def test_mail_from_is_required_with_an_smtp_url_and_checked() -> None:
    """CHECKOUT_SMTP_URL without CHECKOUT_MAIL_FROM, or with an invalid one, is a config error
    naming CHECKOUT_MAIL_FROM; without either, receipts are off."""
    with pytest.raises(ConfigError, match=r"^CHECKOUT_MAIL_FROM: required"):
        load_settings({**BASE, "smtp_url": "smtp://mail.example"})
    with pytest.raises(ConfigError, match=r"^CHECKOUT_MAIL_FROM: "):
        load_settings({**BASE, "smtp_url": "smtp://mail.example", "mail_from": "not an address"})
    assert load_settings(BASE).smtp is None


def _registered(client: Any, receipts: bool) -> tuple[int, str]:
    """Place one order through the app and register its outbox entry as a worker does."""
    app = make_app(client, rate_limits_enabled=False)
    auth = {"Authorization": f"Bearer {add_merchant(app)}"}
    order_id = place_order(app.test_client(), auth)
    event_id = "evt_" + order_id.removeprefix("ord_")
    shard = keys.shard_of(link_rand_of_event(event_id))
    outbox = Outbox(client, "w1", 3000, 86_400_000, receipts=receipts)
    outbox.read_new([shard], 10, 1_000)  # reads and registers, as a worker's pass does
    return shard, event_id


def test_registration_schedules_the_receipt_and_one_lease_excludes_another(
    real_redis: Any,
) -> None:
    """Registering an order's event with receipts on makes its receipt pending and due in the
    same step; while one worker holds its lease no other can take it, and the due set's
    earliest score moves to the lease's end."""
    client = redis.Redis.from_url(real_redis.url)
    shard, event_id = _registered(client, receipts=True)
    first, second = ReceiptOutbox(client, "w1", 60_000), ReceiptOutbox(client, "w2", 60_000)
    assert earliest(client, [shard], [keys.receipts_due]) == {shard: 1_000}
    assert [e for _, _, e in first.due([shard], 2_000, 10)] == [event_id]
    leased = first.lease(shard, event_id, 2_000)
    assert leased is not None
    assert leased["receipt_state"] == "pending"
    assert second.lease(shard, event_id, 2_000) is None
    assert earliest(client, [shard], [keys.receipts_due]) == {shard: 62_000}


def test_registration_without_smtp_owes_no_receipt() -> None:
    """With receipts off, registering the event leaves no receipt state and no due receipt."""
    client = fakeredis.FakeRedis(server=fakeredis.FakeServer(version=(7, 2)))
    shard, event_id = _registered(client, receipts=False)
    assert client.hget(keys.event(link_rand_of_event(event_id)), "entry") is not None  # registered
    assert client.hget(keys.event(link_rand_of_event(event_id)), "receipt_state") is None
    assert earliest(client, [shard], [keys.receipts_due]) == {}
