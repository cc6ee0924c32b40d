"""`checkout-links orders export` in-process, on an app's services over fakeredis."""

from __future__ import annotations

import csv
import io
import json

import fakeredis
from click.testing import CliRunner
from flask import Flask

from checkout_links.cli.main import cli
from checkout_links.testing import BERLIN, add_merchant, csrf_of, link_path, make_app
from checkout_links.web.extensions import services


def _order_with_discounts(app: Flask, key: str) -> str:
    """Place one order from a link with a line discount and a link discount; return its id."""
    client = app.test_client()
    auth = {"Authorization": f"Bearer {key}"}
    link = client.post(
        "/api/v1/links",
        json={
            "products": [
                {
                    "id": "support",
                    "quantity": 2,
                    "properties": {"ticket": "T-1"},
                    "discount": {"percent": "10", "label": "Loyal"},
                },
                {"id": "kit"},
            ],
            "discount": {"amount": "5.00", "label": "Welcome"},
        },
        headers=auth,
    )
    assert link.status_code == 201, link.get_json()
    path = link_path(link.get_json()["url"])
    form = {"csrf_token": csrf_of(client.get(path).get_data(as_text=True)), "email": "a@ex.com"}
    assert client.post(path, data={**form, **BERLIN}).status_code == 303
    status = client.get(f"/api/v1/links/{link.get_json()['id']}", headers=auth).get_json()
    return str(status["order_id"])


def test_csv_discounts_and_properties_read_back_as_json(fake_redis: fakeredis.FakeRedis) -> None:
    """The CSV's `discounts` column holds the order's discounts as JSON (like `properties`),
    so a reader parses it back to what the API shows."""
    app = make_app(fake_redis)
    key = add_merchant(app)
    order_id = _order_with_discounts(app, key)
    with app.app_context():
        svc = services()
    done = CliRunner().invoke(cli, ["orders", "export", "acme", "--format", "csv"], obj=svc)
    assert done.exit_code == 0, done.output
    rows = list(csv.DictReader(io.StringIO(done.stdout, newline="")))
    assert len(rows) == 2
    api = app.test_client().get(
        f"/api/v1/orders/{order_id}", headers={"Authorization": f"Bearer {key}"}
    )
    assert api.status_code == 200
    order = api.get_json()
    assert order["discounts"]
    for row in rows:
        assert json.loads(row["discounts"]) == order["discounts"]
    assert json.loads(rows[0]["properties"]) == order["lines"][0]["properties"]
