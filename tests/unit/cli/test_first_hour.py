"""What a newcomer meets first on the command line: refusals that say at once what to set."""

from __future__ import annotations

import json
import os
import re
import socket
from pathlib import Path

import fakeredis
import pytest
from click.testing import CliRunner, Result

from checkout_links.cli.demo import DEMO_CATALOG, exports, seed
from checkout_links.cli.main import cli
from checkout_links.testing import SECRET_A, add_merchant, make_app
from checkout_links.web.extensions import services


def _invoke(*args: str, **env: str) -> Result:
    """Run ``checkout-links args`` in a shell with no CHECKOUT_* variable but ``env``."""
    clean: dict[str, str | None] = {k: None for k in os.environ if k.startswith("CHECKOUT_")}
    return CliRunner().invoke(cli, list(args), env={**clean, **env}, prog_name="checkout-links")


def _no_log_lines(result: Result) -> None:
    """No JSON log record on stdout or stderr: a refusal is for a person, not a log."""
    for line in (result.stdout + result.stderr).splitlines():
        assert not line.lstrip().startswith("{"), line


def test_every_missing_variable_is_named_at_once() -> None:
    """`merchant create` in a fresh shell names CHECKOUT_SECRET_KEYS and CHECKOUT_REDIS_URL
    together, one `Error:` line each, and exits 2 having printed nothing else."""
    done = _invoke("merchant", "create", "my-shop")
    assert done.exit_code == 2
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert [line.split(":", 2)[1].strip() for line in lines] == [
        "CHECKOUT_SECRET_KEYS",
        "CHECKOUT_REDIS_URL",
    ]
    assert all(line.startswith("Error: ") for line in lines)
    assert all("checkout-links demo" in line for line in lines)
    _no_log_lines(done)


@pytest.mark.parametrize(
    "args",
    [
        ["orders", "export", "demo"],
        ["merchant", "show-account", "demo"],
        ["worker"],
        ["catalog", "import", "demo", "README.md"],
    ],
    ids=lambda a: " ".join(a[:2]),
)
def test_no_command_works_on_a_throwaway_store(args: list[str]) -> None:
    """With keys but without CHECKOUT_REDIS_URL, reading and writing commands alike refuse,
    naming the variable, instead of answering from an empty in-process store."""
    done = _invoke(*args, CHECKOUT_SECRET_KEYS=SECRET_A)
    assert done.exit_code == 2
    assert done.stdout == ""
    assert done.stderr.startswith("Error: CHECKOUT_REDIS_URL: not set")
    assert "No merchant" not in done.stderr
    _no_log_lines(done)


def test_an_unknown_command_is_named_before_any_setting() -> None:
    """`checkout-links nosuch` says there is no such command, whatever the environment lacks."""
    done = _invoke("nosuch")
    assert done.exit_code == 2
    assert "Error: No such command 'nosuch'." in done.stderr
    assert "CHECKOUT_" not in done.stderr


def test_a_setting_refusal_has_no_pydantic_prefix() -> None:
    """A short secret key is refused in the CLI's words: `Error: CHECKOUT_SECRET_KEYS: ...`."""
    done = _invoke(
        "worker", CHECKOUT_SECRET_KEYS="short", CHECKOUT_REDIS_URL="redis://127.0.0.1:1/0"
    )
    assert done.exit_code == 2
    assert done.stderr == (
        "Error: CHECKOUT_SECRET_KEYS: each secret key must be at least 32 characters\n"
    )


def test_the_demo_banner_says_what_to_export(fake_redis: fakeredis.FakeRedis) -> None:
    """The demo's banner has the three export lines a second shell needs (API_KEY among them),
    and the exported API key works against the demo's store."""
    app = make_app(fake_redis)
    with app.app_context():
        api_key = seed(services())
    env = {"CHECKOUT_REDIS_URL": "redis://127.0.0.1:40123/0", "CHECKOUT_SECRET_KEYS": SECRET_A}
    banner = exports(api_key, "http://127.0.0.1:8000", env)
    exported = dict(re.findall(r"^  export (\w+)=(\S+)$", banner, flags=re.MULTILINE))
    assert exported == {"API_KEY": api_key, **env}
    listed = app.test_client().get(
        "/api/v1/products", headers={"Authorization": f"Bearer {exported['API_KEY']}"}
    )
    assert listed.status_code == 200
    assert len(listed.get_json()["items"]) == len(DEMO_CATALOG)


ROOT = Path(__file__).resolve().parents[3]


def test_the_example_catalog_is_the_demos(fake_redis: fakeredis.FakeRedis) -> None:
    """examples/catalog.json holds the demo's products, so the README's links work for a
    merchant that imported it exactly as for the demo merchant."""
    assert json.loads((ROOT / "examples" / "catalog.json").read_text()) == DEMO_CATALOG


def test_every_readme_curl_creates_a_link_for_a_new_merchant(
    fake_redis: fakeredis.FakeRedis,
) -> None:
    """A new merchant that imported examples/catalog.json (quick start, step 5) gets a 201
    from the body of every curl in the README that creates a link."""
    app = make_app(fake_redis)
    with app.app_context():
        svc = services()
    runner = CliRunner()
    created = runner.invoke(cli, ["merchant", "create", "my-shop"], obj=svc)
    assert created.exit_code == 0, created.output
    api_key = json.loads(created.stdout)["api_key"]
    imported = runner.invoke(
        cli, ["catalog", "import", "my-shop", str(ROOT / "examples" / "catalog.json")], obj=svc
    )
    assert imported.exit_code == 0, imported.output
    assert json.loads(imported.stdout) == {"merchant_id": "my-shop", "imported": len(DEMO_CATALOG)}
    readme = (ROOT / "README.md").read_text()
    bodies = re.findall(r"/api/v1/links \\\n.*?-d '(.*?)'", readme, flags=re.DOTALL)
    bodies += re.findall(r"/api/v1/links -H .*?-d '(.*?)'", readme, flags=re.DOTALL)
    assert len(bodies) >= 2
    for body in bodies:
        answer = app.test_client().post(
            "/api/v1/links",
            data=body,
            content_type="application/json",
            headers={"Authorization": f"Bearer {api_key}"},
        )
        assert answer.status_code == 201, (body, answer.get_json())


def _shape(value: object) -> object:
    """The keys of ``value`` all the way down (lists by their first item), without the values."""
    if isinstance(value, dict):
        return {key: _shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_shape(value[0])] if value else []
    return None


def test_the_readme_sample_answer_shows_every_field(fake_redis: fakeredis.FakeRedis) -> None:
    """The README's sample 201 answer has exactly the fields, in the order, that the Example's
    request gets today: no field missing (optional, replaced, locale, subtotal, discounts...)."""
    app = make_app(fake_redis)
    with app.app_context():
        api_key = seed(services())
    readme = (ROOT / "README.md").read_text()
    example = readme[readme.index("## Example") :]
    body = re.search(r"-d '(.*?)'", example, flags=re.DOTALL)
    sample = re.search(r"`201 Created`.*?```json\n(.*?)```", example, flags=re.DOTALL)
    assert body
    assert sample
    answer = app.test_client().post(
        "/api/v1/links",
        data=body.group(1),
        content_type="application/json",
        headers={"Authorization": f"Bearer {api_key}"},
    )
    assert answer.status_code == 201
    shown = json.loads(sample.group(1))
    assert _shape(shown) == _shape(answer.get_json())
    assert list(shown) == list(answer.get_json())
    assert shown["total"] == answer.get_json()["total"]


def test_a_store_that_does_not_answer_is_one_line() -> None:
    """With CHECKOUT_REDIS_URL aimed at a port where nothing listens (a stopped demo), a command
    says so in one `Error:` line naming the variable, without a log record before it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    done = _invoke(
        "orders",
        "export",
        "demo",
        CHECKOUT_SECRET_KEYS=SECRET_A,
        CHECKOUT_REDIS_URL=f"redis://127.0.0.1:{port}/0",
    )
    assert done.exit_code == 2
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("Error: CHECKOUT_REDIS_URL: no Redis answers there (")
    assert f"127.0.0.1:{port}" in lines[0]


def test_catalog_import_help_shows_a_file_that_imports(
    fake_redis: fakeredis.FakeRedis, tmp_path: Path
) -> None:
    """`catalog import --help` shows the file format as an example, names the shipped example
    file, and its example is a file that imports as it stands."""
    shown = _invoke("catalog", "import", "--help")
    assert shown.exit_code == 0
    assert "examples/catalog.json" in shown.stdout
    example = re.search(r"^\s*\[\s*$.*?^\s*\]\s*$", shown.stdout, re.MULTILINE | re.DOTALL)
    assert example
    products = json.loads(example.group(0))
    (tmp_path / "catalog.json").write_text(example.group(0))
    app = make_app(fake_redis)
    add_merchant(app)
    with app.app_context():
        svc = services()
    done = CliRunner().invoke(
        cli, ["catalog", "import", "acme", str(tmp_path / "catalog.json")], obj=svc
    )
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["imported"] == len(products)
    assert len(products) >= 2


def test_worker_help_names_all_it_does() -> None:
    """`worker --help` says it delivers webhooks, sends receipt emails and runs retention."""
    shown = _invoke("worker", "--help")
    assert shown.exit_code == 0
    text = " ".join(shown.stdout.split()).lower()
    for duty in ("webhook", "receipt email", "retention"):
        assert duty in text


def test_a_link_for_a_product_not_in_the_catalog_says_how_to_add_it(
    fake_redis: fakeredis.FakeRedis,
) -> None:
    """A new merchant's link for a product it has not created is refused naming the product
    and both ways to create it (the API and `catalog import`)."""
    app = make_app(fake_redis)
    with app.app_context():
        api_key = services().merchants.create("my-shop")["api_key"]
    answer = app.test_client().post(
        "/api/v1/links",
        json={"products": [{"id": "pro-licence", "price": "10.00"}]},
        headers={"Authorization": f"Bearer {api_key}"},
    )
    assert answer.status_code == 422
    [error] = answer.get_json()["errors"]
    assert error["loc"] == ["body", "products", 0, "id"]
    assert "'pro-licence'" in error["msg"]
    assert "PUT /api/v1/products/pro-licence" in error["msg"]
    assert "checkout-links catalog import" in error["msg"]


@pytest.mark.parametrize("sent", ["Bearer ", "Bearer"], ids=["as curl sends it", "trimmed"])
def test_a_curl_with_an_unset_api_key_is_told_so(
    fake_redis: fakeredis.FakeRedis, sent: str
) -> None:
    """The README's curl run where API_KEY is not exported (`Bearer ` and nothing after, or
    trimmed by a proxy) gets a 401 saying the header holds no key and asking about $API_KEY."""
    app = make_app(fake_redis)
    answer = app.test_client().post(
        "/api/v1/links", json={"products": [{"id": "kit"}]}, headers={"Authorization": sent}
    )
    assert answer.status_code == 401
    detail = answer.get_json()["detail"]
    assert "no API key" in detail
    assert "$API_KEY" in detail


def test_serve_names_every_missing_setting_at_once() -> None:
    """`serve` in a fresh shell names the missing secret keys and, for several workers, the
    missing shared store, together and before it starts anything."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    done = _invoke("serve", "--bind", f"127.0.0.1:{port}", "--workers", "2")
    assert done.exit_code == 2
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert [line.split(":", 2)[1].strip() for line in lines] == [
        "CHECKOUT_SECRET_KEYS",
        "CHECKOUT_REDIS_URL",
    ]
    assert "--workers 1" in lines[1]
