"""The path a newcomer takes: help with no settings, the demo's store from another shell."""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from pathlib import Path

import click
import fakeredis
import httpx
import pytest
from click.testing import CliRunner

from checkout_links.cli.demo import DEMO_CATALOG, DEMO_MERCHANT, seed
from checkout_links.cli.main import cli
from checkout_links.testing import make_app
from checkout_links.testing.cli import command_paths
from checkout_links.testing.servers import ProcessServer, free_port
from checkout_links.web.extensions import services


def _clean_env(**extra: str) -> dict[str, str]:
    """The environment of a new shell: no CHECKOUT_*, no FLASK_* variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CHECKOUT_", "FLASK_"))}
    return {**env, **extra}


COMMANDS = command_paths(cli)


def test_the_walk_finds_every_documented_command() -> None:
    """The list below covers the commands the README documents, so none escapes the help test."""
    names = {" ".join(p) for p in COMMANDS}
    assert {"merchant create", "catalog import", "serve", "demo", "worker"} <= names


def _no_settings() -> dict[str, str | None]:
    """CliRunner's environment for a new shell: every CHECKOUT_* and FLASK_* variable unset."""
    return {k: None for k in os.environ if k.startswith(("CHECKOUT_", "FLASK_"))}


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "(top)")
def test_help_works_with_no_environment(path: tuple[str, ...]) -> None:
    """`checkout-links ... --help` prints its usage and exits 0 in a shell with no settings."""
    done = CliRunner().invoke(
        cli, [*path, "--help"], env=_no_settings(), prog_name="checkout-links"
    )
    assert done.exit_code == 0, done.stderr
    assert done.stdout.startswith("Usage: checkout-links")
    assert done.stderr == ""


def test_the_installed_entry_point_starts() -> None:
    """The installed `checkout-links` script starts and prints the group's help (not Flask's)
    in a shell with no settings."""
    done = subprocess.run(
        ["checkout-links", "--help"],
        capture_output=True,
        text=True,
        env=_clean_env(),
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Usage: checkout-links")
    assert "merchant" in done.stdout
    assert "--env-file" not in done.stdout
    assert done.stderr == ""


def test_an_unknown_command_is_named_as_such() -> None:
    """`checkout-links nosuch` says there is no such command and exits 2, with no settings."""
    done = CliRunner().invoke(cli, ["nosuch"], env=_no_settings(), prog_name="checkout-links")
    assert done.exit_code == 2
    assert "No such command 'nosuch'" in done.stderr
    assert "CHECKOUT_" not in done.stderr


def test_the_group_is_plain_click_without_flask_commands() -> None:
    """The top-level help lists this project's commands only: no `run`, `shell` or `routes`,
    no `--app`/`--env-file`/`--debug` options."""
    done = CliRunner().invoke(cli, ["--help"], env=_no_settings(), prog_name="checkout-links")
    assert done.exit_code == 0, done.stderr
    assert sorted(cli.list_commands(click.Context(cli))) == [
        "catalog",
        "demo",
        "merchant",
        "orders",
        "serve",
        "worker",
    ]
    for flask_only in ("--app", "--env-file", "--debug", " routes ", " shell "):
        assert flask_only not in done.stdout


def test_a_command_refuses_to_write_to_a_throwaway_store() -> None:
    """Without CHECKOUT_REDIS_URL, `merchant create` prints no key (it would work nowhere)
    and says on stderr what to set instead."""
    done = CliRunner().invoke(
        cli,
        ["merchant", "create", "acme"],
        env={**_no_settings(), "CHECKOUT_DEMO": "true"},
        prog_name="checkout-links",
    )
    assert done.exit_code == 2
    assert done.stdout == ""
    assert "CHECKOUT_REDIS_URL: not set" in done.stderr
    assert "checkout-links demo" in done.stderr


def test_the_demo_catalog_sells_in_four_currencies() -> None:
    """Links in EUR, USD, JPY and KWD issue from the demo catalog, each with its minor units."""
    app = make_app(fakeredis.FakeRedis(server=fakeredis.FakeServer(version=(7, 2))))
    with app.app_context():
        key = seed(services())
    by_currency = {str(p["currency"]): str(p["id"]) for p in DEMO_CATALOG if p.get("price")}
    totals = {}
    for currency in ("EUR", "USD", "JPY", "KWD"):
        body = {"currency": currency, "products": [{"id": by_currency[currency]}]}
        answer = app.test_client().post(
            "/api/v1/links", json=body, headers={"Authorization": f"Bearer {key}"}
        )
        assert answer.status_code == 201, answer.get_json()
        totals[currency] = answer.get_json()["total"]
    assert [len(t.partition(".")[2]) for t in totals.values()] == [2, 2, 0, 3]


def _exports(server: ProcessServer) -> dict[str, str]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = dict(re.findall(r"export (CHECKOUT_\w+)=(\S+)", server.log_text()))
        if len(found) == 2:
            return found
        time.sleep(0.2)
    raise AssertionError(f"no exports in the banner:\n{server.log_tail()}")


def test_the_cli_in_another_shell_reaches_the_running_demo(tmp_path: Path) -> None:
    """With the two variables the demo prints, `merchant create` in another process makes a
    merchant in the demo's store: its API key works against the running demo."""
    port = free_port()
    server = ProcessServer(
        ["checkout-links", "demo", "--bind", f"127.0.0.1:{port}"],
        port=port,
        log_path=tmp_path / "demo.log",
        env=_clean_env(),
    )
    with server:
        server.wait_http("/healthz", timeout=30)
        exports = _exports(server)
        assert exports["CHECKOUT_REDIS_URL"].startswith("redis://127.0.0.1:")
        done = subprocess.run(
            ["checkout-links", "merchant", "create", "my-shop"],
            capture_output=True,
            text=True,
            env=_clean_env(**exports),
            timeout=60,
            check=True,
        )
        created = json.loads(done.stdout)
        products = httpx.get(
            f"http://127.0.0.1:{port}/api/v1/products",
            headers={"Authorization": f"Bearer {created['api_key']}"},
            timeout=10,
            trust_env=False,
        )
        assert products.status_code == 200
        assert products.json() == {"items": [], "next_cursor": None}
        listed = subprocess.run(
            ["checkout-links", "merchant", "list-keys", DEMO_MERCHANT],
            capture_output=True,
            text=True,
            env=_clean_env(**exports),
            timeout=60,
            check=True,
        )
        assert len(json.loads(listed.stdout)) >= 1
