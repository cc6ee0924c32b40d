"""The ``checkout-links`` command line: a plain click group over the core's services.

The commands build the services from the CHECKOUT_* settings (see
:mod:`checkout_links.cli.context`); only ``serve`` and ``demo`` import the web
app, inside the command, so importing this module imports no Flask.
"""

from __future__ import annotations

import json
import os
import secrets
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from pydantic import ValidationError

from checkout_links.cli import account as cli_account
from checkout_links.cli.context import fail, services, with_settings
from checkout_links.core.catalog.products import check_product_id, validate_product
from checkout_links.core.errors import CheckoutError, ConfigError, ValidationFailed
from checkout_links.core.i18n.messages import sentence
from checkout_links.core.schemas import ProductIn
from checkout_links.worker.webhook_request import validate_webhook_url

if TYPE_CHECKING:
    from flask import Flask


def _factory() -> Flask:
    from checkout_links.web.app import create_app

    try:
        return create_app()
    except ConfigError as exc:
        fail(str(exc))


@click.group()
def cli() -> None:
    """Operate checkout-links: merchants, catalogs, the server and the webhook worker.

    Every command reads the service's CHECKOUT_* environment (see docs/api.md);
    `checkout-links demo` needs none.
    """


@cli.group()
def merchant() -> None:
    """Manage merchants and their API keys."""


@merchant.command("create")
@click.argument("merchant_id")
@click.option("--name", default="", help="Display name.")
@click.option("--webhook-url", default=None, help="Where order webhooks are sent.")
@click.option("--currency", default="EUR", show_default=True, help="Default link currency.")
@with_settings
def merchant_create(merchant_id: str, name: str, webhook_url: str | None, currency: str) -> None:
    """Create a merchant; prints its API key and webhook secret once, as JSON."""
    svc = services(writes=True)
    try:
        if webhook_url is not None:
            validate_webhook_url(webhook_url, allow_private=svc.settings.allow_private_webhooks)
        created = svc.merchants.create(
            merchant_id, name=name, webhook_url=webhook_url, currency=currency
        )
    except CheckoutError as exc:
        fail(exc.detail)
    click.echo(json.dumps(created))


@merchant.command("add-key")
@click.argument("merchant_id")
@with_settings
def merchant_add_key(merchant_id: str) -> None:
    """Issue another API key (to rotate keys without downtime)."""
    try:
        key = services(writes=True).merchants.add_key(merchant_id)
    except CheckoutError as exc:
        fail(exc.detail)
    click.echo(json.dumps({"merchant_id": merchant_id, "api_key": key}))


@merchant.command("list-keys")
@click.argument("merchant_id")
@with_settings
def merchant_list_keys(merchant_id: str) -> None:
    """List a merchant's key ids (never the keys)."""
    click.echo(json.dumps(services(writes=True).merchants.list_keys(merchant_id)))


@merchant.command("revoke-key")
@click.argument("merchant_id")
@click.argument("key_id")
@with_settings
def merchant_revoke_key(merchant_id: str, key_id: str) -> None:
    """Revoke one API key (the 12-character id after ``ck_``)."""
    try:
        services(writes=True).merchants.revoke_key(merchant_id, key_id)
    except CheckoutError as exc:
        fail(exc.detail)
    click.echo(json.dumps({"key_id": key_id, "revoked": True}))


@merchant.command("rotate-webhook-secret")
@click.argument("merchant_id")
@click.option(
    "--grace-hours",
    default=24.0,
    show_default=True,
    help="How long the old secret keeps signing alongside the new one.",
)
@with_settings
def merchant_rotate_webhook_secret(merchant_id: str, grace_hours: float) -> None:
    """Make a new webhook secret; both sign webhooks during the grace period."""
    try:
        secret = services(writes=True).merchants.rotate_webhook_secret(
            merchant_id, int(grace_hours * 3600)
        )
    except CheckoutError as exc:
        fail(exc.detail)
    click.echo(json.dumps({"merchant_id": merchant_id, "webhook_secret": secret}))


@merchant.command("set-webhook-url")
@click.argument("merchant_id")
@click.argument("url")
@with_settings
def merchant_set_webhook_url(merchant_id: str, url: str) -> None:
    """Set where order webhooks are sent (https, public addresses only in production)."""
    svc = services(writes=True)
    try:
        validate_webhook_url(url, allow_private=svc.settings.allow_private_webhooks)
        svc.merchants.set_webhook_url(merchant_id, url)
    except CheckoutError as exc:
        fail(exc.detail)
    click.echo(json.dumps({"merchant_id": merchant_id, "webhook_url": url}))


@cli.command("worker")
@click.option("--consumer", default=None, help="Consumer name (default: host-pid).")
@with_settings
def worker(consumer: str | None) -> None:
    """Deliver order webhooks until stopped (SIGTERM/SIGINT: finish what is in flight, exit)."""
    import signal
    import threading

    from checkout_links.worker.deliverer import Worker

    stop = threading.Event()

    def _stop(signum: int, _frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    Worker(services(), consumer).run(stop)


@cli.group("orders")
def orders_group() -> None:
    """Take merchants' order history out."""


#: Seconds between two progress lines of a long export on stderr.
PROGRESS_SECONDS = 2.0


@orders_group.command("export")
@click.argument("merchant_id")
@click.option("--since", default=None, help="Orders created at or after (RFC 3339).")
@click.option("--until", default=None, help="Orders created before (RFC 3339).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["ndjson", "csv"]),
    default="ndjson",
    show_default=True,
    help="ndjson: one order a line; csv: one row per order line, with a header row.",
)
@with_settings
def orders_export(merchant_id: str, since: str | None, until: str | None, fmt: str) -> None:
    """Stream a merchant's orders in the window to stdout, newest first."""
    import time

    from checkout_links.core.orders import export
    from checkout_links.core.orders import queries as orders

    svc = services()
    try:
        svc.merchants.get(merchant_id)
        window = orders.OrderFilter(
            created_gte_ms=orders.parse_rfc3339_ms(since, "--since") if since else None,
            created_lt_ms=orders.parse_rfc3339_ms(until, "--until") if until else None,
        )
    except CheckoutError as exc:
        fail(exc.detail)
    found = orders.iter_orders(
        svc.redis,
        svc.keyring,
        merchant_id,
        window,
        retention_seconds=svc.settings.order_retention_seconds,
    )
    out = sys.stdout.buffer
    count, started = 0, time.monotonic()
    last = started
    table = export.CsvExport()
    if fmt == "csv":
        out.write(table.header().encode())
    for order in found:
        out.write(table.order(order).encode() if fmt == "csv" else export.ndjson_line(order))
        count += 1
        if time.monotonic() - last >= PROGRESS_SECONDS:
            last = time.monotonic()
            click.echo(f"export: {count} orders so far...", err=True)
    out.flush()
    rows = f", {table.rows} CSV rows" if fmt == "csv" else ""
    click.echo(f"export: {count} orders{rows} in {time.monotonic() - started:.1f} s", err=True)


@orders_group.command("reseal")
@click.argument("merchant_id")
@with_settings
def orders_reseal(merchant_id: str) -> None:
    """Seal the merchant's orders with the newest secret key (before dropping an older one)."""
    from checkout_links.core.orders.reseal import reseal_orders

    svc = services()
    try:
        svc.merchants.get(merchant_id)
    except CheckoutError as exc:
        fail(exc.detail)
    done = reseal_orders(svc.redis, svc.keyring, merchant_id)
    click.echo(
        json.dumps(
            {
                "merchant_id": merchant_id,
                "orders": done.seen,
                "resealed": done.resealed,
                "unopened": done.unopened,
            }
        )
    )
    if done.unopened:
        fail(
            f"{done.unopened} orders open with no configured key: put back the secret they "
            "were sealed with, then run this again"
        )


@cli.group()
def catalog() -> None:
    """Manage merchants' original products."""


def import_products(merchant_id: str, items: list[dict[str, Any]]) -> int:
    """Validate every product first, then store them all; returns the count."""
    parsed = []
    for i, item in enumerate(items):
        if not isinstance(item, dict) or "id" not in item:
            fail(f"product #{i}: an object with an 'id' is required")
        if not isinstance(item["id"], str):
            fail(f"product #{i}: the id must be a string")
        fields = {k: v for k, v in item.items() if k != "id"}
        try:
            # The catalog's own checks (the id's pattern, money against currency),
            # every product before any is stored.
            check_product_id(item["id"])
            product = ProductIn.model_validate(fields)
            validate_product(product)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(map(str, first["loc"]))
            fail(f"product #{i} ({item['id']}): {where}: {sentence(first)}")
        except ValidationFailed as exc:
            where = "; ".join(f"{'.'.join(map(str, e.loc[1:]))}: {e.msg}" for e in exc.errors or [])
            fail(f"product #{i} ({item['id']}): {where or exc.detail}")
        parsed.append((item["id"], product))
    svc = services(writes=True)
    svc.merchants.get(merchant_id)
    for product_id, product in parsed:
        svc.catalog.put_product(merchant_id, product_id, product)
    return len(parsed)


@catalog.command("import")
@click.argument("merchant_id")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_settings
def catalog_import(merchant_id: str, file: Path) -> None:
    """Load original products from a JSON list (objects as in PUT /api/v1/products/{id})."""
    try:
        items = json.loads(file.read_text())
    except (OSError, ValueError) as exc:
        fail(f"{file}: {exc}")
    if not isinstance(items, list):
        fail(f"{file}: expected a JSON list of products")
    try:
        count = import_products(merchant_id, items)
    except CheckoutError as exc:
        fail(exc.detail)
    click.echo(json.dumps({"merchant_id": merchant_id, "imported": count}))


@cli.command("serve")
@click.option("--bind", default="127.0.0.1:8000", show_default=True)
@click.option("--workers", default=2, show_default=True)
@click.option(
    "--worker-class",
    type=click.Choice(["gevent", "gthread"]),
    default="gevent",
    show_default=True,
    help="gevent: a slow client holds a greenlet, not a thread, so this may face clients "
    "(at most GUNICORN_CLIENT_CONNECTIONS per address and worker, 100; a request must arrive "
    "within GUNICORN_REQUEST_READ_SECONDS, 30). "
    "gthread: only behind a buffering proxy (deploy/nginx.conf).",
)
@click.option("--threads", default=4, show_default=True, help="Threads per gthread worker.")
def serve(bind: str, workers: int, worker_class: str, threads: int) -> None:
    """Run the web app under gunicorn (production: use deploy/gunicorn.conf.py)."""
    from checkout_links.serving import gunicorn as serving

    if worker_class == "gevent":
        serving.patch_for_gevent()
    app = _factory()
    if app.config["CHECKOUT_SETTINGS"].redis_url is None and workers > 1:
        fail("CHECKOUT_REDIS_URL is unset: the in-process store needs --workers 1")
    serving.run(app, bind, workers, threads, worker_class)


@cli.command("demo")
@click.option("--bind", default="127.0.0.1:8000", show_default=True)
@click.option(
    "--store-port",
    default=0,
    show_default=True,
    help="Loopback port of the demo's embedded store (0: any free port).",
)
def demo(bind: str, store_port: int) -> None:
    """Start a self-contained demo: an embedded store, a demo merchant and catalog.

    The store (fakeredis) listens on 127.0.0.1, so `checkout-links merchant ...`
    in another shell reaches it once the printed variables are exported.
    Nothing survives a restart.
    """
    from checkout_links.cli.demo import seed, serve_store
    from checkout_links.serving import gunicorn as serving
    from checkout_links.web.extensions import services as app_services

    store = None
    if not os.environ.get("CHECKOUT_REDIS_URL"):
        store, port = serve_store(store_port)
        os.environ["CHECKOUT_REDIS_URL"] = f"redis://127.0.0.1:{port}/0"
    os.environ.setdefault("CHECKOUT_SECRET_KEYS", secrets.token_urlsafe(32))
    os.environ.setdefault("CHECKOUT_BASE_URL", f"http://{bind}")
    try:
        app = _factory()
        base_url = app.config["CHECKOUT_SETTINGS"].base_url
        with app.app_context():
            banner = seed(app_services(), base_url)
        click.echo(banner)
        click.echo(
            "Run the CLI against this demo from another shell:\n\n"
            f"  export CHECKOUT_REDIS_URL={os.environ['CHECKOUT_REDIS_URL']}\n"
            f"  export CHECKOUT_SECRET_KEYS={os.environ['CHECKOUT_SECRET_KEYS']}\n"
            "  checkout-links merchant create my-shop\n\n"
            f"API reference: {base_url}/api/docs\n"
        )
        sys.stdout.flush()
        serving.run(app, bind, 1, 8, "gthread")
    finally:
        if store is not None:
            store.terminate()
            store.wait(timeout=10)


cli_account.register(merchant)


def main() -> None:
    """Console-script entry point."""
    cli.main(prog_name="checkout-links")
