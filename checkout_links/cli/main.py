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
from typing import TYPE_CHECKING

import click

from checkout_links.cli import account as cli_account
from checkout_links.cli import catalog as cli_catalog
from checkout_links.cli import ports
from checkout_links.cli.context import fail, services, with_settings
from checkout_links.core.config import load_settings
from checkout_links.core.errors import CheckoutError, ConfigError
from checkout_links.worker.webhook_request import validate_webhook_url

if TYPE_CHECKING:
    from flask import Flask


def _factory() -> Flask:
    from checkout_links.web.app import create_app

    try:
        return create_app()
    except ConfigError as exc:
        fail(*exc.problems)


@click.group()
def cli() -> None:
    """Operate checkout-links: merchants, catalogs, orders, the server and the worker.

    Every command reads the service's CHECKOUT_* environment (docs/api.md);
    the store commands need CHECKOUT_SECRET_KEYS and CHECKOUT_REDIS_URL, which
    `checkout-links demo` prints for its own store. The demo needs none.
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
    svc = services()
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
        key = services().merchants.add_key(merchant_id)
    except CheckoutError as exc:
        fail(exc.detail)
    click.echo(json.dumps({"merchant_id": merchant_id, "api_key": key}))


@merchant.command("list-keys")
@click.argument("merchant_id")
@with_settings
def merchant_list_keys(merchant_id: str) -> None:
    """List a merchant's key ids (never the keys)."""
    svc = services()
    try:
        svc.merchants.get(merchant_id)
    except CheckoutError as exc:
        fail(exc.detail)
    click.echo(json.dumps(svc.merchants.list_keys(merchant_id)))


@merchant.command("revoke-key")
@click.argument("merchant_id")
@click.argument("key_id")
@with_settings
def merchant_revoke_key(merchant_id: str, key_id: str) -> None:
    """Revoke one API key (the 12-character id after ``ck_``)."""
    try:
        services().merchants.revoke_key(merchant_id, key_id)
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
        secret = services().merchants.rotate_webhook_secret(merchant_id, int(grace_hours * 3600))
    except CheckoutError as exc:
        fail(exc.detail)
    click.echo(json.dumps({"merchant_id": merchant_id, "webhook_secret": secret}))


@merchant.command("set-webhook-url")
@click.argument("merchant_id")
@click.argument("url")
@with_settings
def merchant_set_webhook_url(merchant_id: str, url: str) -> None:
    """Set where order webhooks are sent (https, public addresses only in production)."""
    svc = services()
    try:
        validate_webhook_url(url, allow_private=svc.settings.allow_private_webhooks)
        svc.merchants.set_webhook_url(merchant_id, url)
    except CheckoutError as exc:
        fail(exc.detail)
    click.echo(json.dumps({"merchant_id": merchant_id, "webhook_url": url}))


@cli.command("worker", short_help="Deliver webhooks, send receipt emails, run retention.")
@click.option(
    "--consumer",
    default=None,
    help="This worker's name among the workers sharing the store (default: host-pid).",
)
@with_settings
def worker(consumer: str | None) -> None:
    """Run the background work after orders: webhooks, receipt emails and retention.

    Delivers each order's signed webhook (retried with backoff), sends the
    customers' receipt emails when CHECKOUT_SMTP_URL is set, and once a minute
    removes what CHECKOUT_ORDER_RETENTION_SECONDS no longer keeps. Run one or
    more beside the web app; SIGTERM or SIGINT finishes the attempts in flight,
    then exits.
    """
    import signal
    import threading

    from checkout_links.worker.deliverer import Worker

    stop = threading.Event()

    def _stop(signum: int, _frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    Worker(services(waits_for_store=True), consumer).run(stop)


@cli.group("orders")
def orders_group() -> None:
    """Take merchants' order history out."""


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


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
            click.echo(f"export: {_count(count, 'order')} so far...", err=True)
    out.flush()
    rows = f", {_count(table.rows, 'CSV row')}" if fmt == "csv" else ""
    took = time.monotonic() - started
    click.echo(f"export: {_count(count, 'order')}{rows} in {took:.1f} s", err=True)


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


_BIND_HELP = (
    "Address and port to listen on, HOST:PORT. The default answers only on this "
    "machine; 0.0.0.0:PORT listens on every interface."
)


def _check_bind(command: str, bind: str) -> None:
    """Refuse, in one line and before anything starts, an address that cannot be listened on."""
    try:
        where = ports.split_bind(bind)
    except ValueError as exc:
        fail(str(exc))
    if where is None:
        return
    host, port = where
    why = ports.why_not_free(host, port)
    if why is not None:
        fail(
            f"cannot listen on {bind}: {why}. Choose a free address, e.g. "
            f"`checkout-links {command} --bind {ports.suggestion(host)}`"
        )


@cli.command("serve", short_help="Run the web app under gunicorn.")
@click.option(
    "--bind", default="127.0.0.1:8000", show_default=True, metavar="HOST:PORT", help=_BIND_HELP
)
@click.option("--workers", default=2, show_default=True, help="Worker processes.")
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
    _check_bind("serve", bind)
    problems: list[str] = []
    try:
        load_settings()
    except ConfigError as exc:
        problems += exc.problems
    if workers > 1 and not os.environ.get("CHECKOUT_REDIS_URL"):
        problems.append(
            f"CHECKOUT_REDIS_URL: not set, so the store is in-process and --workers {workers} "
            "would give each worker a ledger of its own; set it, or use --workers 1"
        )
    if problems:
        fail(*problems)  # every one at once, before gevent or the app
    from checkout_links.serving import gunicorn as serving

    if worker_class == "gevent":
        serving.patch_for_gevent()
    # Imported after the patch, like the app: it imports Flask and the core.
    from checkout_links.web.warm import warm

    app = _factory()
    warm(app)  # before the workers fork (web/warm.py)
    serving.run(app, bind, workers, threads, worker_class)


@cli.command("demo", short_help="Try it out: the service on an embedded store, with a demo shop.")
@click.option(
    "--bind", default="127.0.0.1:8000", show_default=True, metavar="HOST:PORT", help=_BIND_HELP
)
@click.option(
    "--store-port",
    default=0,
    show_default=True,
    metavar="PORT",
    help="Loopback port of the demo's embedded store (0: any free port).",
)
def demo(bind: str, store_port: int) -> None:
    """Start a self-contained demo: an embedded store, a demo merchant and catalog.

    It prints the demo merchant's API key, the variables to export in another
    shell (API_KEY, CHECKOUT_REDIS_URL, CHECKOUT_SECRET_KEYS) and a curl that
    creates a link. The store (fakeredis) listens on 127.0.0.1, so the store
    commands in that shell reach it. Nothing survives a restart.
    """
    # Both ports are checked before anything starts or is printed: a busy one
    # is one line, not a banner aimed at someone else's service.
    _check_bind("demo", bind)
    use_own_store = not os.environ.get("CHECKOUT_REDIS_URL")
    if use_own_store and store_port:
        why = ports.why_not_free("127.0.0.1", store_port)
        if why is not None:
            fail(
                f"--store-port {store_port}: cannot listen on 127.0.0.1:{store_port}: {why}. "
                "Choose another port, or leave --store-port out for any free one"
            )
    from checkout_links.cli.demo import exports, seed, serve_store
    from checkout_links.serving import gunicorn as serving
    from checkout_links.web.extensions import services as app_services

    store = None
    if use_own_store:
        try:
            store, port = serve_store(store_port)
        except RuntimeError as exc:
            fail(str(exc))
        os.environ["CHECKOUT_REDIS_URL"] = f"redis://127.0.0.1:{port}/0"
    os.environ.setdefault("CHECKOUT_SECRET_KEYS", secrets.token_urlsafe(32))
    os.environ.setdefault("CHECKOUT_BASE_URL", f"http://{bind}")
    try:
        app = _factory()
        base_url = app.config["CHECKOUT_SETTINGS"].base_url
        with app.app_context():
            api_key = seed(app_services())
        click.echo(exports(api_key, base_url, os.environ))
        sys.stdout.flush()
        serving.run(app, bind, 1, 8, "gthread")
    finally:
        if store is not None:
            store.terminate()
            store.wait(timeout=10)


cli_account.register(merchant)
cli_catalog.register(catalog)


def main() -> None:
    """Console-script entry point."""
    cli.main(prog_name="checkout-links")
