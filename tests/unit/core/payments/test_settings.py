"""A merchant's payment settings (core/merchants/payment.py) through PATCH/GET /api/v1/account."""

from __future__ import annotations

from typing import Any

import fakeredis
import msgspec
import pytest
from flask import Flask
from flask.testing import FlaskClient

from checkout_links.core.errors import InvalidToken
from checkout_links.core.merchants.payment import payment_config
from checkout_links.core.storage import redis_keys as keys
from checkout_links.testing import SECRET_B, make_app, problem_body
from checkout_links.web.extensions import services

STRIPE = {
    "publishable_key": "pk_test_51Pub",
    "secret_key": "sk_test_51SecretValue",
    "webhook_secret": "whsec_SigningValue123",
}


def _patch(client: FlaskClient, auth: dict[str, str], payment: Any) -> Any:
    return client.patch("/api/v1/account", json={"payment": payment}, headers=auth)


def test_the_default_is_none_and_shows_the_stripe_webhook_url(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    """A new merchant's payment is provider none, no keys set, and names the webhook URL of
    the service to register at Stripe."""
    shown = client.get("/api/v1/account", headers=auth).get_json()["payment"]
    assert shown == {
        "provider": "none",
        "instructions": None,
        "stripe": {
            "publishable_key": None,
            "secret_key_set": False,
            "webhook_secret_set": False,
            "webhook_url": "http://localhost/webhooks/stripe/acme",
        },
    }


def test_stripe_secrets_are_write_only_and_sealed_at_rest(
    client: FlaskClient, auth: dict[str, str], app: Flask, fake_redis: fakeredis.FakeRedis
) -> None:
    """After setting Stripe's keys, no answer and no Redis value holds a secret in clear, GET
    says each is set, and the core opens them."""
    answer = _patch(client, auth, {"provider": "stripe", "stripe": STRIPE})
    assert answer.status_code == 200, answer.get_json()
    shown = client.get("/api/v1/account", headers=auth)
    for response in (answer, shown):
        body = response.get_data(as_text=True)
        assert "SecretValue" not in body
        assert "SigningValue" not in body
    stripe = shown.get_json()["payment"]["stripe"]
    assert (stripe["publishable_key"], stripe["secret_key_set"], stripe["webhook_secret_set"]) == (
        "pk_test_51Pub",
        True,
        True,
    )
    for key in fake_redis.keys("*"):
        if fake_redis.type(key) == b"string":
            value = fake_redis.get(key) or b""
            assert b"SecretValue" not in value
            assert b"SigningValue" not in value
    assert b"SecretValue" not in fake_redis.get(keys.merchant("acme"))  # type: ignore[operator]
    with app.app_context():
        svc = services()
        config = payment_config(svc.merchants.get("acme"), svc.keyring)
    assert config.provider == "stripe"
    assert config.stripe is not None
    assert (config.stripe.secret_key, config.stripe.webhook_secret) == (
        "sk_test_51SecretValue",
        "whsec_SigningValue123",
    )
    assert "SecretValue" not in repr(config)


def test_sealed_secrets_open_only_for_their_merchant_and_keys(
    client: FlaskClient, auth: dict[str, str], app: Flask, fake_redis: fakeredis.FakeRedis
) -> None:
    """A sealed secret copied to another merchant, or read with other service keys, stays shut."""
    _patch(client, auth, {"provider": "stripe", "stripe": STRIPE})
    with app.app_context():
        svc = services()
        record = svc.merchants.get("acme")
        other = msgspec.structs.replace(record, id="evil")
        with pytest.raises(InvalidToken):
            payment_config(other, svc.keyring)
    stranger = make_app(fake_redis, secret_keys=SECRET_B)
    with stranger.app_context():
        svc = services()
        with pytest.raises(InvalidToken):
            payment_config(svc.merchants.get("acme"), svc.keyring)


def test_merge_semantics_of_the_payment_settings(client: FlaskClient, auth: dict[str, str]) -> None:
    """A field sent replaces, null clears, a field not sent stays, and payment: null resets."""
    _patch(client, auth, {"provider": "stripe", "stripe": STRIPE})
    kept = _patch(client, auth, {"stripe": {"publishable_key": "pk_test_Other"}}).get_json()
    assert kept["payment"]["stripe"]["publishable_key"] == "pk_test_Other"
    assert kept["payment"]["stripe"]["secret_key_set"] is True
    manual = _patch(client, auth, {"provider": "manual", "instructions": "IBAN DE89\nRef: number"})
    assert manual.get_json()["payment"]["provider"] == "manual"
    assert manual.get_json()["payment"]["instructions"] == "IBAN DE89\nRef: number"
    assert manual.get_json()["payment"]["stripe"]["secret_key_set"] is True
    cleared = _patch(client, auth, {"stripe": {"secret_key": None}}).get_json()["payment"]
    assert cleared["stripe"]["secret_key_set"] is False
    assert cleared["stripe"]["webhook_secret_set"] is True
    reset = _patch(client, auth, None).get_json()["payment"]
    assert reset["provider"] == "none"
    assert reset["instructions"] is None
    assert reset["stripe"]["publishable_key"] is None


@pytest.mark.parametrize(
    ("payment", "loc"),
    [
        ({"provider": "manual"}, ["body", "payment", "instructions"]),
        ({"provider": "manual", "instructions": "x" * 1001}, ["body", "payment", "instructions"]),
        ({"provider": "manual", "instructions": "pay\u202e"}, ["body", "payment", "instructions"]),
        ({"provider": "stripe"}, ["body", "payment", "stripe", "publishable_key"]),
        (
            {"provider": "stripe", "stripe": {**STRIPE, "webhook_secret": None}},
            ["body", "payment", "stripe", "webhook_secret"],
        ),
        (
            {"stripe": {**STRIPE, "secret_key": "sk_live_51Secret"}},
            ["body", "payment", "stripe", "secret_key"],
        ),
        ({"stripe": {"secret_key": "pk_test_wrong"}}, ["body", "payment", "stripe", "secret_key"]),
        ({"provider": "paypal"}, ["body", "payment", "provider"]),
        ({"secret": "x"}, ["body", "payment", "secret"]),
    ],
)
def test_settings_that_cannot_take_orders_are_refused_by_field(
    client: FlaskClient, auth: dict[str, str], payment: Any, loc: list[str]
) -> None:
    """Manual without instructions (or too long, or with a bidi override), stripe without all
    its keys, test and live keys mixed, a malformed key or provider: 422 at the field, never
    quoting a secret, and the settings stay as they were."""
    problem = problem_body(_patch(client, auth, payment), 422)
    assert problem["errors"][0]["loc"][: len(loc)] == loc
    assert "51Secret" not in str(problem)
    assert "SigningValue" not in str(problem)
    assert client.get("/api/v1/account", headers=auth).get_json()["payment"]["provider"] == "none"
