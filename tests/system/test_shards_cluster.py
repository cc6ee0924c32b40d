"""Raising CHECKOUT_LEDGER_SHARDS on a live 6-master Redis Cluster breaks no issued link."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from flask import Flask

from checkout_links.core.links.ids import link_rand_of_order
from checkout_links.core.services import Services
from checkout_links.core.storage import redis_keys as keys
from checkout_links.testing import BERLIN, add_merchant, csrf_of, link_path, make_app
from checkout_links.testing.cluster import RedisCluster
from checkout_links.testing.webhook_receiver import Receiver
from checkout_links.worker.deliverer import Worker

pytestmark = pytest.mark.slow

LINK = {"products": [{"id": "kit", "quantity": 2}], "customer": {"email": "ana@example.com"}}
PER_SETTING = 40


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisCluster]:
    """Six masters, no replicas: the ledger's shards spread over six primaries."""
    with RedisCluster(Path(tmp_path_factory.mktemp("cluster6")), masters=6, replicas=0) as running:
        yield running


def app_with(cluster: RedisCluster, shards: int) -> Flask:
    """An app instance on the cluster issuing links over ``shards`` shards."""
    seeds = ",".join(f"{host}:{port}" for host, port in cluster.startup_nodes[:2])
    return make_app(
        None,
        redis_url=f"redis+cluster://{seeds}/",
        ledger_shards=shards,
        allow_private_webhooks=True,
        rate_limits_enabled=False,
        webhook_retry_base_seconds=0.2,
    )


def issue(app: Flask, auth: dict[str, str], n: int) -> list[dict[str, str]]:
    web = app.test_client()
    return [web.post("/api/v1/links", json=LINK, headers=auth).get_json() for _ in range(n)]


def redeem(app: Flask, url: str) -> int:
    """Open the link's page on ``app`` and place the order; returns the POST's status."""
    web = app.test_client()
    page = web.get(link_path(url))
    if page.status_code != 200:
        return page.status_code
    form = {"csrf_token": csrf_of(page.text), "email": "ana@example.com", **BERLIN}
    return web.post(link_path(url), data=form).status_code


def test_raising_the_shard_count_between_issue_and_redeem_breaks_no_link(
    cluster: RedisCluster,
) -> None:
    """Links issued at 16 shards and at 16,384 are redeemed, after the raise, each exactly once
    (on either setting's instances), land on all six masters, are all listed, and every order's
    webhook reaches the merchant exactly once from workers of both settings."""
    narrow, wide = app_with(cluster, 16), app_with(cluster, 16384)
    auth = {"Authorization": f"Bearer {add_merchant(narrow, 'grow')}"}
    svc_narrow: Services = narrow.extensions["checkout"]
    svc_wide: Services = wide.extensions["checkout"]
    with Receiver() as receiver:
        svc_narrow.merchants.set_webhook_url("grow", f"{receiver.url}/hook")
        before = issue(narrow, auth, PER_SETTING)
        # The raise: every instance now issues over 16,384 shards.
        after = issue(wide, auth, PER_SETTING)
        links = before + after
        for n, link in enumerate(links):
            first = redeem(wide if n % 2 else narrow, link["url"])
            again = redeem(narrow if n % 2 else wide, link["url"])
            assert (first, again) == (303, 410), link["id"]
        web = wide.test_client()
        order_ids = [
            web.get(f"/api/v1/links/{link['id']}", headers=auth).get_json()["order_id"]
            for link in links
        ]
        assert len(set(order_ids)) == len(links)
        shards = [keys.shard_of(link_rand_of_order(o)) for o in order_ids]
        assert max(shards[:PER_SETTING]) < 16
        assert max(shards[PER_SETTING:]) >= 16
        node = redis.Redis.from_url(cluster.nodes[0].url)
        slots = {int(node.execute_command("CLUSTER", "KEYSLOT", keys.outbox(s))) for s in shards}
        owners = set()
        for start, end, master, *_ in node.execute_command("CLUSTER", "SLOTS"):
            if any(int(start) <= s <= int(end) for s in slots):
                owners.add(int(master[1]))
        assert len(owners) == 6, "the orders' shards are on all six masters"

        listed = web.get("/api/v1/orders?limit=100", headers=auth).get_json()["items"]
        assert sorted(o["id"] for o in listed) == sorted(order_ids)

        workers = [Worker(svc_narrow, "narrow"), Worker(svc_wide, "wide")]
        deadline = time.monotonic() + 90
        try:
            while len(set(receiver.ids("ok"))) < len(order_ids):
                assert time.monotonic() < deadline, f"{len(set(receiver.ids('ok')))} delivered"
                if not sum(w.step() for w in workers):
                    time.sleep(0.05)
        finally:
            for worker in workers:
                worker.close()
        delivered = Counter(receiver.ids("ok"))
    events = web.get("/api/v1/events?limit=100", headers=auth).get_json()["items"]
    assert {e["order_id"] for e in events} == set(order_ids)
    assert set(delivered) == {e["id"] for e in events}
    assert set(delivered.values()) == {1}, "no webhook was sent twice"
    assert {e["state"] for e in events} == {"delivered"}
