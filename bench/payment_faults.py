"""The card payment fault table: each fault, and what it does to charges and ``order.paid``.

    python -m bench.payment_faults [--orders 5] [--only NAME ...]

Real processes on 127.0.0.1: a redis-server (AOF ``appendfsync always``), the
app under gunicorn, localstripe (Stripe and its webhooks) behind
:class:`~checkout_links.testing.stripe_proxy.StripeProxy`, which injects the
faults between the app and Stripe. The customer is :class:`CardShop` (it does
what the payment page's script does). For each scenario it prints one Markdown
row: orders, succeeded charges at Stripe, ``order.paid`` events, and lost
payments (a charge whose order is not paid at the end). The promise is one
charge and one ``order.paid`` per order, and no lost payment, whatever the fault.
"""

from __future__ import annotations

import argparse
import contextlib
import re
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from checkout_links.testing import add_merchant, make_app
from checkout_links.testing.card_shop import DECLINED_CARD, GOOD_CARD, CardShop
from checkout_links.testing.localstripe import LocalStripe
from checkout_links.testing.realapp import gunicorn_app, http_client
from checkout_links.testing.servers import ProcessServer, RedisServer
from checkout_links.testing.stripe_proxy import StripeProxy
from checkout_links.web.extensions import services
from checkout_links.worker.stripe_reconcile import Reconciliation


class Bench:
    """One app, one Redis, one localstripe and the proxy; a fresh merchant per scenario."""

    def __init__(self, root: Path, stripe: LocalStripe, redis_server: RedisServer) -> None:
        self.root, self.stripe, self.redis_server = root, stripe, redis_server
        self.proxy = StripeProxy(stripe.url).__enter__()
        env = {"CHECKOUT_STRIPE_API_BASE": self.proxy.url, "CHECKOUT_STRIPE_JS_URL": stripe.js_url}
        self.app: ProcessServer = gunicorn_app(root, redis_server.url, workers=2, env=env)
        self.app.start()
        self.app.wait_http("/readyz", timeout=60)
        self.local = make_app(None, redis_url=redis_server.url, stripe_api_base=stripe.url)

    def shop(self, name: str, webhook: bool) -> CardShop:
        """A new merchant (its own keys at Stripe) for scenario ``name``."""
        merchant = re.sub(r"[^a-z0-9]", "", name)[:20] + str(time.monotonic_ns() % 100000)
        auth = {"Authorization": f"Bearer {add_merchant(self.local, merchant)}"}
        shop = CardShop(http_client(self.app.url), auth, self.stripe, merchant_id=merchant)
        account = shop.connect()
        if webhook:
            url = account["payment"]["stripe"]["webhook_url"]
            self.stripe.register_webhook(name, url, shop.keys["webhook_secret"])
        return shop

    def restart(self) -> None:
        self.app.kill()
        self.app.start()
        self.app.wait_http("/readyz", timeout=60)

    def reconcile(self) -> None:
        with self.local.app_context():
            Reconciliation(services(), min_age_seconds=0).run_once()

    def close(self) -> None:
        self.app.stop()
        self.proxy.__exit__(None, None, None)


def _pay_quietly(shop: CardShop, path: str, card: str = GOOD_CARD, csrf: str | None = None) -> None:
    with contextlib.suppress(httpx.HTTPError):  # the app was killed under this request
        shop.pay(path, card, csrf=csrf)


def _killed_mid_payment(bench: Bench, shop: CardShop, path: str) -> None:
    bench.proxy.hold, bench.proxy.hold_seconds = re.compile(r"/confirm$"), 3.0
    bench.proxy.held.clear()
    paying = threading.Thread(target=_pay_quietly, args=(shop, path))
    paying.start()
    bench.proxy.held.wait(30)
    bench.app.kill()
    paying.join(30)
    bench.proxy.hold = None
    bench.app.start()
    bench.app.wait_http("/readyz", timeout=60)


def _replay(shop: CardShop, order_id: str, times: int) -> None:
    intent = shop.intent_of(order_id)
    event = {
        "id": f"evt_replay_{order_id[-8:]}",
        "type": "payment_intent.succeeded",
        "data": {"object": intent},
    }
    payload, signature = shop.signed(event)
    for _ in range(times):
        shop.webhook(shop.merchant_id, payload, signature)


def s_baseline(bench: Bench, shop: CardShop, path: str, order_id: str) -> None:
    shop.pay(path)


def s_double_click(bench: Bench, shop: CardShop, path: str, order_id: str) -> None:
    tokens = [shop.csrf(path), shop.csrf(path)]
    threads = [
        threading.Thread(target=_pay_quietly, args=(shop, path, GOOD_CARD, t)) for t in tokens
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def s_decline_then_pay(bench: Bench, shop: CardShop, path: str, order_id: str) -> None:
    shop.pay(path, DECLINED_CARD)
    shop.pay(path, GOOD_CARD)


def s_webhook_and_return(bench: Bench, shop: CardShop, path: str, order_id: str) -> None:
    shop.pay(path)
    time.sleep(1.5)  # localstripe sends its event a second after the charge


def s_webhook_replayed(bench: Bench, shop: CardShop, path: str, order_id: str) -> None:
    shop.pay(path)
    _replay(shop, order_id, 3)


def s_kill_then_return(bench: Bench, shop: CardShop, path: str, order_id: str) -> None:
    _killed_mid_payment(bench, shop, path)
    shop.client.get(path)  # the customer reloads the payment page


def s_kill_then_reconcile(bench: Bench, shop: CardShop, path: str, order_id: str) -> None:
    _killed_mid_payment(bench, shop, path)
    bench.reconcile()  # the customer never comes back; the webhook found no app


def s_redis_down(bench: Bench, shop: CardShop, path: str, order_id: str) -> None:
    # Stripe charges, then Redis dies before the order is updated (the answer is held while
    # it is killed); the customer's request fails, Redis comes back from its AOF, and the
    # customer reloads the page.
    bench.proxy.hold, bench.proxy.hold_seconds = re.compile(r"/confirm$"), 1.0
    bench.proxy.held.clear()
    paying = threading.Thread(target=_pay_quietly, args=(shop, path))
    paying.start()
    bench.proxy.held.wait(30)
    bench.redis_server.kill()
    paying.join(30)
    bench.proxy.hold = None
    bench.redis_server.start()
    shop.client.get(path)


def s_stripe_down(bench: Bench, shop: CardShop, path: str, order_id: str) -> None:
    csrf = shop.csrf(path)
    bench.proxy.down = True
    try:
        _pay_quietly(shop, path, GOOD_CARD, csrf)
    finally:
        bench.proxy.down = False
    shop.pay(path)  # Stripe is back: the customer tries again


SCENARIOS: dict[str, tuple[str, bool, Callable[[Bench, CardShop, str, str], None]]] = {
    "baseline": ("none (one card payment)", False, s_baseline),
    "double-click": ("two tabs / double click: two POSTs at once", False, s_double_click),
    "decline": ("a declined card, then a good one", False, s_decline_then_pay),
    "webhook-and-return": ("webhook and return both report", True, s_webhook_and_return),
    "webhook-replay": ("payment_intent.succeeded replayed 3 times", False, s_webhook_replayed),
    "kill-return": (
        "app SIGKILLed between charge and update; customer returns",
        True,
        s_kill_then_return,
    ),
    "kill-reconcile": (
        "app SIGKILLed between charge and update; no return, webhook lost; worker reconciliation",
        True,
        s_kill_then_reconcile,
    ),
    "redis-down": (
        "Redis SIGKILLed between charge and update; back from its AOF; customer returns",
        False,
        s_redis_down,
    ),
    "stripe-down": ("Stripe unreachable at the first attempt, then back", False, s_stripe_down),
}


def run(names: list[str], orders: int) -> list[dict[str, Any]]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        with LocalStripe(root / "stripe") as stripe, RedisServer(root / "redis") as redis_server:
            bench = Bench(root / "app", stripe, redis_server)
            try:
                for name in names:
                    title, webhook, scenario = SCENARIOS[name]
                    shop = bench.shop(name, webhook)
                    placed = [shop.place() for _ in range(orders)]
                    for order_id, path, _ in placed:
                        scenario(bench, shop, path, order_id)
                    ids = [order_id for order_id, _, _ in placed]
                    charges = sum(shop.charges(o) for o in ids)
                    paid_events = sum(len(shop.events(o, "order.paid")) for o in ids)
                    lost = sum(
                        1
                        for o in ids
                        if shop.charges(o) and shop.order(o)["payment"]["status"] != "paid"
                    )
                    rows.append(
                        {
                            "fault": title,
                            "orders": orders,
                            "charges": charges,
                            "order.paid": paid_events,
                            "lost": lost,
                        }
                    )
                    print(_row(rows[-1]), flush=True)
            finally:
                bench.close()
    return rows


def _row(row: dict[str, Any]) -> str:
    cells = (row["fault"], row["orders"], row["charges"], row["order.paid"], row["lost"])
    return "| " + " | ".join(str(c) for c in cells) + " |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=5)
    parser.add_argument("--only", nargs="*", choices=list(SCENARIOS))
    args = parser.parse_args()
    print("| fault | orders | charges | order.paid events | lost payments |")
    print("| --- | ---: | ---: | ---: | ---: |")
    run(args.only or list(SCENARIOS), args.orders)


if __name__ == "__main__":
    main()
