"""``checkout_links.client``: typed results, response headers, and a ``verify_webhook`` that
raises its own error for every bad input.

The client talks to the real app under gunicorn over a real redis-server; mypy itself
checks that the result types are what a merchant's code is checked against.
"""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest
import redis

from checkout_links.client import (
    CheckoutLinksClient,
    NotFoundError,
    WebhookVerificationError,
    verify_webhook,
)
from checkout_links.core.merchants.store import new_webhook_secret
from checkout_links.testing import add_merchant, make_app
from checkout_links.testing.realapp import gunicorn_app
from checkout_links.testing.servers import RedisServer
from checkout_links.worker.webhook_request import signature_header


@pytest.fixture
def served(real_redis: RedisServer, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """The app under gunicorn over a real Redis, and an API key of merchant ``acme``."""
    api_key = add_merchant(make_app(redis.Redis.from_url(real_redis.url)))
    server = gunicorn_app(tmp_path, real_redis.url, workers=1).start()
    try:
        server.wait_http()
        yield server.url, api_key
    finally:
        server.stop()


@pytest.mark.slow
def test_results_and_headers_from_a_real_server(served: tuple[str, str]) -> None:
    """create_link takes any sequence of mappings and returns the link; last_response gives the
    request id the server sent and says whether the answer was an idempotent replay; errors
    carry the request id too."""
    base_url, api_key = served
    lines = (MappingProxyType({"id": "kit"}),)
    with CheckoutLinksClient(base_url, api_key) as api:
        link = api.create_link(lines, idempotency_key="order-1")
        first = api.last_response
        again = api.create_link(lines, idempotency_key="order-1")
        second = api.last_response
        assert first is not None
        assert second is not None
        assert link["total"] == "49.90"
        assert again["id"] == link["id"]
        assert (first.idempotent_replayed, second.idempotent_replayed) == (False, True)
        assert first.request_id
        assert first.request_id != second.request_id
        assert api.get_link(link["id"])["status"] == "open"
        assert api.list_events(state="pending")["items"] == []
        with pytest.raises(NotFoundError) as missing:
            api.get_order("ord_nothing")
        assert missing.value.request_id == api.last_response.request_id


MERCHANT_CODE = """
from checkout_links.client import CheckoutLinksClient, verify_webhook

def handle(api: CheckoutLinksClient, body: bytes, headers: dict[str, str]) -> None:
    link = api.create_link([{"id": "kit"}])
    total: str = link["total"]
    event = verify_webhook(body, headers, "whsec_x")
    order_id: str = event["data"]["id"]
    for item in api.list_events(state="dead")["items"]:
        attempts: int = item["attempts"]
    link["totl"]
    api.list_events(state="lost")
"""


@pytest.mark.slow
def test_mypy_checks_merchant_code_against_the_result_types(tmp_path: Path) -> None:
    """mypy accepts correct use of the results and reports a misspelt key and an unknown
    event state: the types are real, not ``dict[str, Any]``."""
    code = tmp_path / "merchant.py"
    code.write_text(MERCHANT_CODE)
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-incremental",
            "--follow-imports=silent",
            str(code),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,  # not the repository: its mypy settings are not a merchant's
        # An editable install is an import hook mypy cannot follow: point it at the package.
        env={**os.environ, "MYPYPATH": str(Path(__file__).resolve().parents[2])},
    ).stdout
    errors = [line for line in out.splitlines() if ": error:" in line]
    assert len(errors) == 2, out
    assert '"totl"' in errors[0]
    assert "'lost'" in errors[1]


def _signed(secret: str, body: bytes = b'{"id":"evt_1"}') -> dict[str, str]:
    ts = int(time.time())
    return {
        "webhook-id": "evt_1",
        "webhook-timestamp": str(ts),
        "webhook-signature": signature_header([secret], "evt_1", ts, body),
    }


BAD_SECRETS: list[Any] = ["whsec_", "whsec_not base64!", "whsec_%%%%", [], None, 42, b"whsec_x"]


@pytest.mark.parametrize("secret", BAD_SECRETS)
def test_a_malformed_secret_raises_the_verification_error(secret: Any) -> None:
    """An empty, non-base64 or non-string secret (or an empty list) is a
    WebhookVerificationError, never a ValueError or TypeError."""
    with pytest.raises(WebhookVerificationError):
        verify_webhook(b'{"id":"evt_1"}', _signed(new_webhook_secret()), secret)


def test_every_bad_request_raises_the_verification_error() -> None:
    """Text instead of bytes, a non-JSON or non-object body, a timestamp of thousands of
    digits, a stale one, a garbled or missing signature: each raises
    WebhookVerificationError, and the good request verifies."""
    secret = new_webhook_secret()
    good = _signed(secret)
    assert verify_webhook(b'{"id":"evt_1"}', good, secret)["id"] == "evt_1"
    cases: list[tuple[Any, dict[str, str]]] = [
        ('{"id":"evt_1"}', good),
        (b"[1]", _signed(secret, b"[1]")),
        (b"not json", _signed(secret, b"not json")),
        (b'{"id":"evt_1"}', {**good, "webhook-timestamp": "9" * 5000}),
        (b'{"id":"evt_1"}', {**good, "webhook-timestamp": str(int(time.time()) - 3600)}),
        (b'{"id":"evt_1"}', {**good, "webhook-signature": "v1,@@@ v2,x ,"}),
        (b'{"id":"evt_1"}', {**good, "webhook-signature": "v1," + base64.b64encode(b"x").decode()}),
        (b'{"id":"evt_1"}', {k: v for k, v in good.items() if k != "webhook-id"}),
    ]
    for body, headers in cases:
        with pytest.raises(WebhookVerificationError):
            verify_webhook(body, headers, secret)
