"""Receipts from real ``checkout-links worker`` processes configured by the environment, over a
real redis-server, to a real SMTP server (aiosmtpd) on 127.0.0.1."""

from __future__ import annotations

from collections import Counter

import pytest

from checkout_links.testing.shop import place_order
from checkout_links.testing.smtp_server import SmtpServer
from checkout_links.testing.workers import Stack

pytestmark = pytest.mark.slow

ORDERS = 30
CUSTOMER = "ana@example.com"  # what checkout_links.testing.shop.place_order enters


def test_two_worker_processes_send_each_receipt_once_and_log_no_address(
    stack: Stack,
) -> None:
    """Two workers started with CHECKOUT_SMTP_URL and CHECKOUT_MAIL_FROM in their environment
    send every order's receipt exactly once between them, every event shows it sent, and
    neither worker's log holds the customer's address."""
    with SmtpServer() as smtp:
        env = {
            "CHECKOUT_SMTP_URL": f"smtp://127.0.0.1:{smtp.port}",
            "CHECKOUT_MAIL_FROM": "receipts@pay.example.com",
        }
        workers = [stack.start_worker("w1", **env), stack.start_worker("w2", **env)]
        order_ids = [place_order(stack.client, stack.auth) for _ in range(ORDERS)]
        stack.receiver.wait_for(
            "every receipt recorded as sent",
            lambda: (
                all((e["receipt"] or {}).get("state") == "sent" for e in stack.events())
                and len(stack.events()) == ORDERS
            ),
            timeout=60,
        )
        for worker in workers:
            worker.stop()
            assert worker.returncode == 0, worker.log_tail()
        sent = Counter(r.message["Message-ID"] for r in smtp.received)
    expected = {f"<receipt.evt_{o.removeprefix('ord_')}@pay.example.com>" for o in order_ids}
    assert set(sent) == expected
    assert max(sent.values()) == 1
    assert all(r.rcpt_tos == [CUSTOMER] for r in smtp.received)
    for worker in workers:
        assert "receipt attempt" in worker.log_text()
        assert CUSTOMER not in worker.log_text()
