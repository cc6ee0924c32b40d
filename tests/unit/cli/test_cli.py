"""The checkout-links command line, run in-process against an app's services over fakeredis."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import fakeredis
import pytest
from click.testing import CliRunner, Result
from flask import Flask

from checkout_links.cli.main import cli
from checkout_links.testing import add_merchant, make_app
from checkout_links.web.extensions import services

Run = Callable[..., Result]


@pytest.fixture
def cli_app(fake_redis: fakeredis.FakeRedis) -> Flask:
    """An app without a cache, so a revocation shows at once."""
    return make_app(fake_redis, cache_seconds=0)


@pytest.fixture
def run(cli_app: Flask) -> Run:
    """Invoke the ``checkout-links`` group on ``cli_app``'s services (the app sees its writes)."""
    with cli_app.app_context():
        svc = services()

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(cli, list(args), obj=svc)

    return invoke


def _auth(api_key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_key}"}


def _created(result: Result) -> dict[str, Any]:
    """The one JSON object ``merchant create`` printed, after checking it is alone on stdout."""
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1, result.stdout
    created: dict[str, Any] = json.loads(lines[0])
    return created


def _everything_stored(client: fakeredis.FakeRedis) -> list[bytes]:
    """Every key name and every value (of every type) in the store, as bytes."""
    out: list[bytes] = []
    for key in client.scan_iter(count=1000):
        out.append(key)
        kind = client.type(key).decode()
        if kind == "string":
            out.append(client.get(key))
        elif kind == "set":
            out.extend(client.smembers(key))
        elif kind == "zset":
            out.extend(client.zrange(key, 0, -1))
        elif kind == "hash":
            for field, value in client.hgetall(key).items():
                out.extend((field, value))
        elif kind == "list":
            out.extend(client.lrange(key, 0, -1))
        elif kind == "stream":
            for _id, fields in client.xrange(key):
                for field, value in fields.items():
                    out.extend((field, value))
        else:
            raise AssertionError(f"unexpected type {kind} for {key!r}")
    return out


# ---------------------------------------------------------------------------- merchant create


def test_merchant_create_prints_one_json_object(run: Run, cli_app: Flask) -> None:
    """create prints exactly one JSON object whose API key then authenticates against the API."""
    created = _created(run("merchant", "create", "acme", "--name", "Acme", "--currency", "JPY"))
    assert set(created) == {"merchant_id", "api_key", "webhook_secret"}
    assert created["merchant_id"] == "acme"
    assert created["webhook_secret"].startswith("whsec_")
    client = cli_app.test_client()
    assert client.get("/api/v1/products", headers=_auth(created["api_key"])).status_code == 200
    with cli_app.app_context():
        record = services().merchants.get("acme")
    assert (record.name, record.currency) == ("Acme", "JPY")


def test_each_merchant_gets_its_own_secrets(run: Run) -> None:
    """Two merchants get different API keys and webhook secrets."""
    one = _created(run("merchant", "create", "one"))
    two = _created(run("merchant", "create", "two"))
    assert one["api_key"] != two["api_key"]
    assert one["webhook_secret"] != two["webhook_secret"]


def test_creating_an_existing_merchant_fails(run: Run, cli_app: Flask) -> None:
    """A second create of the same id exits non-zero with a clear message; the first key works."""
    first = _created(run("merchant", "create", "acme"))
    again = run("merchant", "create", "acme")
    assert again.exit_code != 0
    assert again.stdout == ""
    assert "already exists" in again.stderr
    assert "acme" in again.stderr
    client = cli_app.test_client()
    assert client.get("/api/v1/products", headers=_auth(first["api_key"])).status_code == 200


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["Bad Id"], "merchant id"),
        (["a"], "merchant id"),
        (["acme", "--currency", "XYZ"], "XYZ"),
    ],
)
def test_invalid_merchant_create_fails(run: Run, args: list[str], needle: str) -> None:
    """An invalid merchant id or currency exits non-zero, prints no JSON and says why."""
    result = run("merchant", "create", *args)
    assert result.exit_code != 0
    assert result.stdout == ""
    assert needle in result.stderr


def test_no_plaintext_api_key_is_stored(run: Run, fake_redis: fakeredis.FakeRedis) -> None:
    """Neither an API key nor its secret part appears in any stored key or value."""
    created = _created(run("merchant", "create", "acme"))
    extra = run("merchant", "add-key", "acme")
    assert extra.exit_code == 0
    keys = [created["api_key"], json.loads(extra.stdout)["api_key"]]
    stored = _everything_stored(fake_redis)
    assert stored, "the merchant was stored somewhere"
    for api_key in keys:
        # ck_<key id>_<secret>; the secret is urlsafe base64 and may hold "_" itself.
        secret = api_key.split("_", 2)[2][-20:]
        for blob in stored:
            assert api_key.encode() not in blob
            assert secret.encode() not in blob


def test_add_key_and_list_keys(run: Run, cli_app: Flask) -> None:
    """add-key issues a second working key; list-keys shows both ids but never a key."""
    first = _created(run("merchant", "create", "acme"))
    added = run("merchant", "add-key", "acme")
    second = json.loads(added.stdout)["api_key"]
    client = cli_app.test_client()
    for key in (first["api_key"], second):
        assert client.get("/api/v1/products", headers=_auth(key)).status_code == 200
    listed = run("merchant", "list-keys", "acme")
    assert listed.exit_code == 0
    ids = {entry["key_id"] for entry in json.loads(listed.stdout)}
    assert ids == {first["api_key"].split("_")[1], second.split("_")[1]}
    assert first["api_key"] not in listed.stdout
    assert second not in listed.stdout


def test_revoke_key_makes_it_401(run: Run, cli_app: Flask) -> None:
    """revoke-key turns the key into a 401 while the merchant's other key keeps working."""
    created = _created(run("merchant", "create", "acme"))
    other = json.loads(run("merchant", "add-key", "acme").stdout)["api_key"]
    client = cli_app.test_client()
    auth = _auth(created["api_key"])
    assert client.get("/api/v1/products", headers=auth).status_code == 200
    key_id = created["api_key"].split("_")[1]
    result = run("merchant", "revoke-key", "acme", key_id)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"key_id": key_id, "revoked": True}
    resp = client.get("/api/v1/products", headers=auth)
    assert resp.status_code == 401
    assert resp.mimetype == "application/problem+json"
    assert client.get("/api/v1/products", headers=_auth(other)).status_code == 200
    listed = json.loads(run("merchant", "list-keys", "acme").stdout)
    assert {e["key_id"]: e["revoked"] for e in listed}[key_id] is True


def test_revoke_key_of_another_merchant_fails(run: Run, cli_app: Flask) -> None:
    """revoke-key with a key id of another merchant exits non-zero and revokes nothing."""
    acme = _created(run("merchant", "create", "acme"))
    _created(run("merchant", "create", "globex"))
    result = run("merchant", "revoke-key", "globex", acme["api_key"].split("_")[1])
    assert result.exit_code != 0
    assert "No key" in result.stderr
    client = cli_app.test_client()
    assert client.get("/api/v1/products", headers=_auth(acme["api_key"])).status_code == 200


# ---------------------------------------------------------------------------- catalog import

PRODUCTS = [
    {
        "id": "pro-licence",
        "name": "Pro licence",
        "sku": "PRO",
        "currency": "EUR",
        "price_min": "10.00",
        "price_max": "100000.00",
    },
    {"id": "support", "name": "Support", "price": "95.00", "currency": "EUR"},
    {"id": "kit.v2", "name": "Kit", "price": "49.90", "currency": "EUR", "delivery": "physical"},
]


def _write(tmp_path: Path, content: Any) -> str:
    path = tmp_path / "catalog.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return str(path)


def test_catalog_import_loads_products(run: Run, cli_app: Flask, tmp_path: Path) -> None:
    """import stores every product of the file; the API then serves them and links can use them."""
    key = _created(run("merchant", "create", "acme"))["api_key"]
    result = run("catalog", "import", "acme", _write(tmp_path, PRODUCTS))
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"merchant_id": "acme", "imported": 3}
    client = cli_app.test_client()
    for product in PRODUCTS:
        got = client.get(f"/api/v1/products/{product['id']}", headers=_auth(key))
        assert got.status_code == 200
        body = got.get_json()
        assert {k: body[k] for k in product} == product
    link = client.post(
        "/api/v1/links",
        json={"products": [{"id": "kit.v2"}, {"id": "pro-licence", "price": "20.00"}]},
        headers=_auth(key),
    )
    assert link.status_code == 201
    assert link.get_json()["total"] == "69.90"


def test_catalog_import_replaces_existing_products(
    run: Run, cli_app: Flask, tmp_path: Path
) -> None:
    """Importing over existing products replaces them (the file is the new version)."""
    key = add_merchant(cli_app)
    result = run("catalog", "import", "acme", _write(tmp_path, [{"id": "kit", "name": "Kit 2"}]))
    assert result.exit_code == 0, result.output
    got = cli_app.test_client().get("/api/v1/products/kit", headers=_auth(key)).get_json()
    assert got["name"] == "Kit 2"


BAD_FILES: list[tuple[str, Any]] = [
    ("unknown field", [*PRODUCTS, {"id": "x", "name": "X", "colour": "red"}]),
    ("missing name", [*PRODUCTS, {"id": "x"}]),
    (
        "EUR price with 3 digits",
        [*PRODUCTS, {"id": "x", "name": "X", "price": "1.234", "currency": "EUR"}],
    ),
    ("price without currency", [*PRODUCTS, {"id": "x", "name": "X", "price": "1.00"}]),
    (
        "price_min above price_max",
        [
            *PRODUCTS,
            {"id": "x", "name": "X", "currency": "EUR", "price_min": "9", "price_max": "1"},
        ],
    ),
    ("id with @", [*PRODUCTS, {"id": "support@1", "name": "X"}]),
    ("id with a colon", [*PRODUCTS, {"id": "a:b", "name": "X"}]),
    ("numeric id", [*PRODUCTS, {"id": 7, "name": "X"}]),
    ("no id", [*PRODUCTS, {"name": "X"}]),
    ("not an object", [*PRODUCTS, "x"]),
    ("not a list", {"id": "x", "name": "X"}),
    ("malformed JSON", '[{"id": "x", "name": "X"'),
]


@pytest.mark.parametrize("content", [c[1] for c in BAD_FILES], ids=[c[0] for c in BAD_FILES])
def test_catalog_import_with_one_bad_product_imports_nothing(
    run: Run, cli_app: Flask, tmp_path: Path, content: Any
) -> None:
    """A file with one invalid product exits non-zero, says why, and stores none of its products."""
    key = _created(run("merchant", "create", "acme"))["api_key"]
    result = run("catalog", "import", "acme", _write(tmp_path, content))
    assert result.exit_code != 0
    assert result.stdout == ""
    assert result.stderr.startswith("Error:")
    client = cli_app.test_client()
    listed = client.get("/api/v1/products", headers=_auth(key)).get_json()
    assert listed["items"] == []


def test_catalog_import_lists_every_error_of_the_file(
    run: Run, cli_app: Flask, tmp_path: Path
) -> None:
    """A file with several bad products names each one (index, id, field, what to change),
    all in one refusal, and stores none of the file's products."""
    key = _created(run("merchant", "create", "acme"))["api_key"]
    content = [
        *PRODUCTS,
        {"id": "seat", "name": "Seat", "price": "12.5001", "currency": "KWD"},
        {"id": "bad id!", "price": "1.00", "currency": "EUR"},
        7,
        {"id": "support", "name": "Support again"},
    ]
    result = run("catalog", "import", "acme", _write(tmp_path, content))
    assert result.exit_code == 2
    header, *details = result.stderr.splitlines()
    assert header.startswith("Error: ")
    assert "4 of 7 products are invalid" in header
    assert [d.strip() for d in details] == [
        'products[3] (id "seat"): price: KWD allows at most 3 decimal places: round the amount.',
        'products[4] (id "bad id!"): id: Use 1 to 64 characters: a letter or digit first, '
        "then letters, digits, '.', '_' or '-'.",
        'products[4] (id "bad id!"): name: This field is required.',
        'products[5]: Send a JSON object with an "id" and the product\'s fields.',
        'products[6] (id "support"): id: products[1] has the same id',
    ]
    listed = cli_app.test_client().get("/api/v1/products", headers=_auth(key)).get_json()
    assert listed["items"] == []


def test_catalog_import_for_unknown_merchant_fails(run: Run, tmp_path: Path) -> None:
    """Importing for a merchant that does not exist exits non-zero naming it."""
    result = run("catalog", "import", "ghost", _write(tmp_path, PRODUCTS))
    assert result.exit_code != 0
    assert "ghost" in result.stderr


def test_catalog_import_of_a_missing_file_fails(run: Run, tmp_path: Path) -> None:
    """A path that does not exist is refused before anything is loaded."""
    _created(run("merchant", "create", "acme"))
    result = run("catalog", "import", "acme", str(tmp_path / "nope.json"))
    assert result.exit_code != 0
    assert "nope.json" in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["merchant", "list-keys", "ghost"],
        ["merchant", "add-key", "ghost"],
        ["merchant", "show-account", "ghost"],
        ["merchant", "rotate-webhook-secret", "ghost"],
        ["orders", "export", "ghost"],
    ],
    ids=lambda a: " ".join(a[:2]),
)
def test_an_unknown_merchant_is_named_by_every_command(run: Run, args: list[str]) -> None:
    """Every merchant command refuses an unknown merchant id in one `Error:` line, exit 2,
    rather than answering for nobody (an empty key list)."""
    result = run(*args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == "Error: No merchant 'ghost'.\n"
