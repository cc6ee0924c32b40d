"""A key rotation end to end: orders sealed with the old secret stay readable once a new one
is appended, ``orders reseal`` seals them with the new one, and then the old secret can go."""

from __future__ import annotations

import json

from click.testing import CliRunner
from flask import Flask

from checkout_links.cli.main import cli
from checkout_links.core.services import Services
from checkout_links.testing import add_merchant, make_app, memory_redis
from checkout_links.testing.shop import place_order
from checkout_links.web.extensions import services

OLD, NEW = "o" * 40, "n" * 40


def _services(app: Flask) -> Services:
    with app.app_context():
        return services()


def test_reseal_lets_the_old_secret_go_without_losing_a_customer() -> None:
    """Placed under the old key, the order reads under old+new; after reseal, under the new
    key alone; a second reseal has nothing left to do."""
    store = memory_redis()
    before = make_app(store, secret_keys=OLD)
    auth = {"Authorization": f"Bearer {add_merchant(before)}"}
    order_id = place_order(before.test_client(), auth)

    rotated = make_app(store, secret_keys=f"{OLD},{NEW}")
    web = rotated.test_client()
    assert web.get(f"/api/v1/orders/{order_id}", headers=auth).get_json()["customer"]["email"]
    runner = CliRunner()
    first = runner.invoke(cli, ["orders", "reseal", "acme"], obj=_services(rotated))
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout) == {
        "merchant_id": "acme",
        "orders": 1,
        "resealed": 1,
        "unopened": 0,
    }
    again = runner.invoke(cli, ["orders", "reseal", "acme"], obj=_services(rotated))
    assert json.loads(again.stdout)["resealed"] == 0

    after = make_app(store, secret_keys=NEW).test_client()
    shown = after.get(f"/api/v1/orders/{order_id}", headers=auth).get_json()
    assert shown["customer"]["email"] == "ana@example.com"


def test_reseal_leaves_orders_no_key_opens_and_says_so() -> None:
    """With the old secret already gone, reseal changes nothing and exits non-zero."""
    store = memory_redis()
    before = make_app(store, secret_keys=OLD)
    auth = {"Authorization": f"Bearer {add_merchant(before)}"}
    order_id = place_order(before.test_client(), auth)
    raw_before = [store.get(k) for k in store.scan_iter(match="*:o:*")]
    result = CliRunner().invoke(
        cli, ["orders", "reseal", "acme"], obj=_services(make_app(store, secret_keys=NEW))
    )
    assert result.exit_code != 0
    assert "1 orders open with no configured key" in result.output
    assert [store.get(k) for k in store.scan_iter(match="*:o:*")] == raw_before
    back = make_app(store, secret_keys=OLD).test_client()
    assert back.get(f"/api/v1/orders/{order_id}", headers=auth).get_json()["customer"]["email"]
