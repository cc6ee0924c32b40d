"""The ``checkout-links`` command line: a Flask CLI group bound to the app factory."""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext
from pydantic import ValidationError

from checkout_links import create_app
from checkout_links.core.catalog import validate_product
from checkout_links.core.errors import CheckoutError, ConfigError, ValidationFailed
from checkout_links.core.schemas import ProductIn
from checkout_links.web.extensions import services
from checkout_links.webhooks import validate_webhook_url

#: The product id rule of the merchant API (``schemas.ProductId``).
PRODUCT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    raise SystemExit(2)


def _factory() -> Flask:
    try:
        return create_app()
    except ConfigError as exc:
        _fail(str(exc))
        raise  # unreachable; keeps the type checker sure we never return None


@click.group(cls=FlaskGroup, create_app=_factory, add_version_option=False)
def cli() -> None:
    """Operate checkout-links: merchants, catalogs, the server and the webhook worker."""


@cli.group()
def merchant() -> None:
    """Manage merchants and their API keys."""


@merchant.command("create")
@click.argument("merchant_id")
@click.option("--name", default="", help="Display name.")
@click.option("--webhook-url", default=None, help="Where order webhooks are sent.")
@click.option("--currency", default="EUR", show_default=True, help="Default link currency.")
@with_appcontext
def merchant_create(merchant_id: str, name: str, webhook_url: str | None, currency: str) -> None:
    """Create a merchant; prints its API key and webhook secret once, as JSON."""
    svc = services()
    try:
        if webhook_url is not None:
            validate_webhook_url(webhook_url, allow_private=svc.settings.allow_private_webhooks)
        created = svc.merchants.create(
            merchant_id, name=name, webhook_url=webhook_url, currency=currency
        )
    except CheckoutError as exc:
        _fail(exc.detail)
    click.echo(json.dumps(created))


@merchant.command("add-key")
@click.argument("merchant_id")
@with_appcontext
def merchant_add_key(merchant_id: str) -> None:
    """Issue another API key (to rotate keys without downtime)."""
    try:
        key = services().merchants.add_key(merchant_id)
    except CheckoutError as exc:
        _fail(exc.detail)
    click.echo(json.dumps({"merchant_id": merchant_id, "api_key": key}))


@merchant.command("list-keys")
@click.argument("merchant_id")
@with_appcontext
def merchant_list_keys(merchant_id: str) -> None:
    """List a merchant's key ids (never the keys)."""
    click.echo(json.dumps(services().merchants.list_keys(merchant_id)))


@merchant.command("revoke-key")
@click.argument("merchant_id")
@click.argument("key_id")
@with_appcontext
def merchant_revoke_key(merchant_id: str, key_id: str) -> None:
    """Revoke one API key (the 12-character id after ``ck_``)."""
    try:
        services().merchants.revoke_key(merchant_id, key_id)
    except CheckoutError as exc:
        _fail(exc.detail)
    click.echo(json.dumps({"key_id": key_id, "revoked": True}))


@merchant.command("rotate-webhook-secret")
@click.argument("merchant_id")
@click.option(
    "--grace-hours",
    default=24.0,
    show_default=True,
    help="How long the old secret keeps signing alongside the new one.",
)
@with_appcontext
def merchant_rotate_webhook_secret(merchant_id: str, grace_hours: float) -> None:
    """Make a new webhook secret; both sign webhooks during the grace period."""
    try:
        secret = services().merchants.rotate_webhook_secret(merchant_id, int(grace_hours * 3600))
    except CheckoutError as exc:
        _fail(exc.detail)
    click.echo(json.dumps({"merchant_id": merchant_id, "webhook_secret": secret}))


@merchant.command("set-webhook-url")
@click.argument("merchant_id")
@click.argument("url")
@with_appcontext
def merchant_set_webhook_url(merchant_id: str, url: str) -> None:
    """Set where order webhooks are sent (https, public addresses only in production)."""
    svc = services()
    try:
        validate_webhook_url(url, allow_private=svc.settings.allow_private_webhooks)
        svc.merchants.set_webhook_url(merchant_id, url)
    except CheckoutError as exc:
        _fail(exc.detail)
    click.echo(json.dumps({"merchant_id": merchant_id, "webhook_url": url}))


@cli.command("worker")
@click.option("--consumer", default=None, help="Consumer name (default: host-pid).")
@with_appcontext
def worker(consumer: str | None) -> None:
    """Deliver order webhooks until stopped (SIGTERM/SIGINT finish the current attempt)."""
    import signal
    import threading

    from checkout_links.worker import Worker

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
@with_appcontext
def orders_export(merchant_id: str, since: str | None, until: str | None, fmt: str) -> None:
    """Stream a merchant's orders in the window to stdout, newest first."""
    import time

    from checkout_links.core import export, orders

    svc = services()
    try:
        svc.merchants.get(merchant_id)
        window = orders.OrderFilter(
            created_gte_ms=orders.parse_rfc3339_ms(since, "--since") if since else None,
            created_lt_ms=orders.parse_rfc3339_ms(until, "--until") if until else None,
        )
    except CheckoutError as exc:
        _fail(exc.detail)
    found = orders.iter_orders(
        svc.redis, merchant_id, window, retention_seconds=svc.settings.order_retention_seconds
    )
    out = click.get_binary_stream("stdout")
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


@cli.group()
def catalog() -> None:
    """Manage merchants' original products."""


def import_products(merchant_id: str, items: list[dict[str, Any]]) -> int:
    """Validate every product first, then store them all; returns the count."""
    parsed = []
    for i, item in enumerate(items):
        if not isinstance(item, dict) or "id" not in item:
            _fail(f"product #{i}: an object with an 'id' is required")
        # The same id rule as PUT /api/v1/products/{id}: an id such as "x@1" would
        # otherwise land on the key of product x's revision 1.
        if not isinstance(item["id"], str) or not PRODUCT_ID.fullmatch(item["id"]):
            _fail(f"product #{i}: id must match {PRODUCT_ID.pattern}")
        fields = {k: v for k, v in item.items() if k != "id"}
        try:
            product = ProductIn.model_validate(fields)
            # Money against currency too, before anything is stored: a file with
            # one bad price used to import the products before it.
            validate_product(product)
        except ValidationError as exc:
            first = exc.errors()[0]
            _fail(
                f"product #{i} ({item['id']}): {'.'.join(map(str, first['loc']))}: {first['msg']}"
            )
        except ValidationFailed as exc:
            where = "; ".join(
                f"{'.'.join(map(str, e['loc'][1:]))}: {e['msg']}" for e in exc.errors or []
            )
            _fail(f"product #{i} ({item['id']}): {where or exc.detail}")
        parsed.append((item["id"], product))
    svc = services()
    svc.merchants.get(merchant_id)
    for product_id, product in parsed:
        svc.catalog.put_product(merchant_id, product_id, product)
    return len(parsed)


@catalog.command("import")
@click.argument("merchant_id")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def catalog_import(merchant_id: str, file: Path) -> None:
    """Load original products from a JSON list (objects as in PUT /api/v1/products/{id})."""
    try:
        items = json.loads(file.read_text())
    except (OSError, ValueError) as exc:
        _fail(f"{file}: {exc}")
    if not isinstance(items, list):
        _fail(f"{file}: expected a JSON list of products")
    try:
        count = import_products(merchant_id, items)
    except CheckoutError as exc:
        _fail(exc.detail)
    click.echo(json.dumps({"merchant_id": merchant_id, "imported": count}))


def _serve(app: Flask, bind: str, workers: int, threads: int, worker_class: str) -> None:
    from gunicorn.app.base import BaseApplication

    class _Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            self.cfg.set("bind", bind)
            self.cfg.set("workers", workers)
            self.cfg.set("threads", threads)
            self.cfg.set("worker_class", worker_class)
            self.cfg.set("limit_request_line", 8190)
            self.cfg.set("logger_class", "checkout_links.gunicorn_logging.RedactingLogger")
            self.cfg.set("accesslog", "-")

        def load(self) -> Flask:
            return app

    _Server().run()


def _patch_for_gevent() -> None:
    """Make sockets, locks and sleeps cooperative before the app (and its Redis pool) exists.

    gunicorn's gevent worker patches only in the worker, after this process
    has built the app. ``ssl`` is imported already (httpx, for the webhook
    worker), but no SSL context exists yet, which is what the warning is about.
    """
    import warnings

    from gevent import monkey

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", monkey.MonkeyPatchWarning)
        monkey.patch_all()


@cli.command("serve", with_appcontext=False)
@click.option("--bind", default="127.0.0.1:8000", show_default=True)
@click.option("--workers", default=2, show_default=True)
@click.option(
    "--worker-class",
    type=click.Choice(["gevent", "gthread"]),
    default="gevent",
    show_default=True,
    help="gevent: a slow client holds a greenlet, not a thread, so this may face clients. "
    "gthread: only behind a buffering proxy (deploy/nginx.conf).",
)
@click.option("--threads", default=4, show_default=True, help="Threads per gthread worker.")
def serve(bind: str, workers: int, worker_class: str, threads: int) -> None:
    """Run the web app under gunicorn (production: use deploy/gunicorn.conf.py)."""
    if worker_class == "gevent":
        _patch_for_gevent()
    app = _factory()
    if app.config["CHECKOUT_SETTINGS"].redis_url is None and workers > 1:
        _fail("CHECKOUT_REDIS_URL is unset: the in-process store needs --workers 1")
    _serve(app, bind, workers, threads, worker_class)


@cli.command("demo", with_appcontext=False)
@click.option("--bind", default="127.0.0.1:8000", show_default=True)
def demo(bind: str) -> None:
    """Start a self-contained demo: in-process store, a demo merchant and catalog."""
    from checkout_links.demo import seed

    os.environ.setdefault("CHECKOUT_DEMO", "true")
    os.environ.setdefault("CHECKOUT_BASE_URL", f"http://{bind}")
    app = _factory()
    with app.app_context():
        banner = seed(current_app.config["CHECKOUT_SETTINGS"].base_url)
    click.echo(banner)
    sys.stdout.flush()
    _serve(app, bind, 1, 8, "gthread")


def main() -> None:
    """Console-script entry point."""
    cli.main(prog_name="checkout-links")
