"""The demo: an embedded store on loopback, a merchant with a small catalog, what to type next."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Mapping

from checkout_links.core.errors import Conflict
from checkout_links.core.schemas import ProductIn
from checkout_links.core.services import Services

DEMO_MERCHANT = "demo"

DEMO_CATALOG: list[dict[str, object]] = [
    {
        "id": "pro-licence",
        "name": "Pro licence",
        "description": "Per-seat licence, priced by the seat calculator.",
        "sku": "PRO",
        "tax_code": "SW-LIC",
        "delivery": "digital",
        "currency": "EUR",
        "price_min": "10.00",
        "price_max": "100000.00",
    },
    {
        "id": "support-hours",
        "name": "Support hours",
        "price": "95.00",
        "currency": "EUR",
        "overridable": ["quantity", "properties"],
    },
    {
        "id": "setup-kit",
        "name": "Setup kit",
        "description": "Hardware token and printed guide.",
        "price": "49.90",
        "currency": "EUR",
        "delivery": "physical",
    },
    # One product per currency with other minor units, for links in USD, JPY
    # (no decimals) and KWD (three decimals).
    {
        "id": "team-plan",
        "name": "Team plan, monthly",
        "price": "49.00",
        "currency": "USD",
        "subscription": {"interval": "month"},
    },
    {"id": "ebook-ja", "name": "Handbook (e-book)", "price": "1500", "currency": "JPY"},
    {"id": "workshop-kw", "name": "Workshop seat", "price": "12.500", "currency": "KWD"},
]

EXAMPLE_LINK = {
    "currency": "EUR",
    "products": [
        {
            "id": "pro-licence",
            "name": "Pro licence, 25 seats, 1 year",
            "price": "1249.00",
            "properties": {"seats": "25", "term": "12 months"},
        },
        {"id": "support-hours", "quantity": 3},
    ],
    "customer": {"email": "ana@example.com", "first_name": "Ana", "country": "DE"},
    "locale": "de",
}


def serve_store(port: int = 0) -> tuple[subprocess.Popen[str], int]:
    """Start the demo's store: a fresh fakeredis on ``127.0.0.1:port`` in its own process.

    Its own process, not a thread: gunicorn forks its worker from the demo, and
    a fork taken while a store thread holds a lock left the worker hung at exit.
    Returns the process and the port it bound (any free one for 0); terminate
    the process to stop the store.
    """
    child = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "checkout_links.cli.demo", str(port)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    line = child.stdout.readline()
    if not line.strip().isdigit():
        child.kill()
        child.wait(timeout=10)
        raise RuntimeError(
            f"--store-port {port}: the demo's store could not listen on 127.0.0.1:{port}"
        )
    return child, int(line)


def seed(svc: Services) -> str:
    """Create the demo merchant and catalog in ``svc``'s store; return a new API key of it."""
    try:
        created = svc.merchants.create(DEMO_MERCHANT, name="Demo shop", currency="EUR")
        api_key = str(created["api_key"])
    except Conflict:
        api_key = svc.merchants.add_key(DEMO_MERCHANT)
    for item in DEMO_CATALOG:
        fields = {k: v for k, v in item.items() if k != "id"}
        svc.catalog.put_product(DEMO_MERCHANT, str(item["id"]), ProductIn.model_validate(fields))
    return api_key


def exports(api_key: str, base_url: str, env: Mapping[str, str]) -> str:
    """The banner: who the demo is, what to export in another shell, and a curl to try."""
    body = json.dumps(EXAMPLE_LINK)
    return (
        "\n"
        "checkout-links demo (embedded store: nothing survives a restart)\n"
        f"  merchant: {DEMO_MERCHANT}\n"
        f"  API key:  {api_key}\n"
        "  catalog:  " + ", ".join(str(p["id"]) for p in DEMO_CATALOG) + "\n"
        f"  serving:  {base_url} (API reference: {base_url}/api/docs)\n\n"
        "In another shell, export these; the README's commands then reach this demo:\n\n"
        f"  export API_KEY={api_key}\n"
        f"  export CHECKOUT_REDIS_URL={env['CHECKOUT_REDIS_URL']}\n"
        f"  export CHECKOUT_SECRET_KEYS={env['CHECKOUT_SECRET_KEYS']}\n\n"
        'Create a link, then open its "url" in a browser:\n\n'
        f"  curl -s {base_url}/api/v1/links \\\n"
        f"    -H 'Authorization: Bearer {api_key}' \\\n"
        "    -H 'Content-Type: application/json' \\\n"
        f"    -d '{body}'\n"
    )


def _run_store(port: int) -> None:
    import fakeredis

    try:
        store = fakeredis.TcpFakeServer(("127.0.0.1", port), server_version=(7, 2))
    except OSError:
        sys.exit(1)  # the demo says so in one line (serve_store)
    store.daemon_threads = True  # open connections must not keep the store alive
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(store.server_address[1], flush=True)
    store.serve_forever()


if __name__ == "__main__":
    _run_store(int(sys.argv[1]))
