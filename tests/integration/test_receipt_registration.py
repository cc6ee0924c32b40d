"""Receipt registration on a real redis-server: the worker's pass schedules the receipt and
one lease excludes another; without CHECKOUT_SMTP_URL no receipt is owed."""

from __future__ import annotations

from typing import Any

import fakeredis
import redis

from checkout_links.core.links.ids import link_rand_of_event
from checkout_links.core.outbox.doorbells import earliest
from checkout_links.core.outbox.receipts import ReceiptOutbox
from checkout_links.core.outbox.webhooks import Outbox
from checkout_links.core.storage import redis_keys as keys
from checkout_links.testing import add_merchant, make_app
from checkout_links.testing.shop import place_order


def _registered(client: Any, receipts: bool) -> tuple[int, str]:
    """Place one order through the app and register its outbox entry as a worker does."""
    app = make_app(client, rate_limits_enabled=False)
    auth = {"Authorization": f"Bearer {add_merchant(app)}"}
    order_id = place_order(app.test_client(), auth)
    event_id = "evt_" + order_id.removeprefix("ord_")
    shard = keys.shard_of(link_rand_of_event(event_id))
    outbox = Outbox(client, "w1", 3000, 86_400_000, receipts=receipts)
    outbox.read_new([shard], 10, 1_000)  # reads and registers, as a worker's pass does
    return shard, event_id


def test_registration_schedules_the_receipt_and_one_lease_excludes_another(
    real_redis: Any,
) -> None:
    """Registering an order's event with receipts on makes its receipt pending and due in the
    same step; while one worker holds its lease no other can take it, and the due set's
    earliest score moves to the lease's end."""
    client = redis.Redis.from_url(real_redis.url)
    shard, event_id = _registered(client, receipts=True)
    first, second = ReceiptOutbox(client, "w1", 60_000), ReceiptOutbox(client, "w2", 60_000)
    assert earliest(client, [shard], [keys.receipts_due]) == {shard: 1_000}
    assert [e for _, _, e in first.due([shard], 2_000, 10)] == [event_id]
    leased = first.lease(shard, event_id, 2_000)
    assert leased is not None
    assert leased["receipt_state"] == "pending"
    assert second.lease(shard, event_id, 2_000) is None
    assert earliest(client, [shard], [keys.receipts_due]) == {shard: 62_000}


def test_registration_without_smtp_owes_no_receipt() -> None:
    """With receipts off, registering the event leaves no receipt state and no due receipt."""
    client = fakeredis.FakeRedis(server=fakeredis.FakeServer(version=(7, 2)))
    shard, event_id = _registered(client, receipts=False)
    assert client.hget(keys.event(link_rand_of_event(event_id)), "entry") is not None  # registered
    assert client.hget(keys.event(link_rand_of_event(event_id)), "receipt_state") is None
    assert earliest(client, [shard], [keys.receipts_due]) == {}
