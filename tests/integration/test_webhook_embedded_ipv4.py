"""Webhook URLs whose IPv6 address carries a private IPv4 address are refused.

NAT64, 6to4, IPv4-mapped, IPv4-translated and IPv4-compatible addresses reach
(through a translator, a tunnel, or the host's own dual stack) the IPv4 address
they embed, so they are judged as that address, at save and at every delivery.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from click.testing import CliRunner

from checkout_links.cli.main import cli
from checkout_links.core.errors import ValidationFailed
from checkout_links.core.merchants.store import new_webhook_secret
from checkout_links.testing import add_merchant, make_app, memory_redis
from checkout_links.testing.webhook_receiver import Receiver
from checkout_links.web.extensions import services
from checkout_links.worker import webhook_request as webhooks

#: Each spelling reaches loopback, a private network or the cloud metadata address.
EMBEDDED_PRIVATE = [
    "64:ff9b::7f00:1",  # NAT64 well-known prefix, 127.0.0.1
    "64:ff9b::a9fe:a9fe",  # NAT64, 169.254.169.254
    "64:ff9b::10.0.0.1",  # NAT64 in dotted form
    "64:ff9b:1::a00:1",  # NAT64 local-use prefix (RFC 8215)
    "64:ff9b:1:ffff::808:808",  # local-use prefix: refused whatever it embeds
    "2002:7f00:1::1",  # 6to4 of 127.0.0.1
    "2002:c0a8:101::",  # 6to4 of 192.168.1.1
    "::127.0.0.1",  # IPv4-compatible
    "::10.0.0.1",
    "::8.8.8.8",  # IPv4-compatible: deprecated, refused whatever it embeds
    "::ffff:127.0.0.1",  # IPv4-mapped
    "::ffff:0:127.0.0.1",  # IPv4-translated
    "::ffff:0:a00:1",
    "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
]

#: The same forms around public IPv4 addresses stay usable.
EMBEDDED_PUBLIC = ["64:ff9b::808:808", "2002:808:808::1", "::ffff:0:8.8.8.8"]


@pytest.mark.parametrize("address", EMBEDDED_PRIVATE)
def test_saving_a_url_with_an_embedded_private_ipv4_is_refused(address: str) -> None:
    """The merchant's URL check refuses an IPv6 literal that embeds a private IPv4 address."""
    with pytest.raises(ValidationFailed, match="webhook URL must not point to a private"):
        webhooks.validate_webhook_url(f"https://[{address}]/hook", allow_private=False)


@pytest.mark.parametrize("address", EMBEDDED_PUBLIC)
def test_embedded_public_ipv4_addresses_stay_usable(address: str) -> None:
    """NAT64 and 6to4 addresses of a public IPv4 address pass the check."""
    url = f"https://[{address}]/hook"
    assert webhooks.validate_webhook_url(url, allow_private=False) == url


def test_cli_refuses_a_nat64_loopback_webhook_url() -> None:
    """``merchant set-webhook-url`` refuses a NAT64 spelling of 127.0.0.1 and keeps no URL."""
    app = make_app(memory_redis())
    add_merchant(app)
    with app.app_context():
        svc = services()
    result = CliRunner().invoke(
        cli, ["merchant", "set-webhook-url", "acme", "https://[64:ff9b::7f00:1]/x"], obj=svc
    )
    assert result.exit_code == 2, result.output
    assert "webhook URL" in result.output
    assert svc.merchants.get("acme").webhook_url is None


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver(slow_seconds=2.0) as rec:
        yield rec


def test_delivery_refuses_embedded_private_addresses_without_connecting(
    receiver: Receiver,
) -> None:
    """A delivery to any embedded-private spelling (saved before this check, or changed by
    hand in the store) fails as a refused URL and opens no connection."""
    client = webhooks.http_client(2.0)
    try:
        for address in EMBEDDED_PRIVATE:
            attempt = webhooks.deliver(
                client,
                f"https://[{address}]:{receiver.port}/hook",
                event_id="evt_test",
                body=b'{"id":"evt_test"}',
                secrets=[new_webhook_secret()],
                allow_private=False,
            )
            assert not attempt.ok, address
            assert attempt.error is not None
            assert attempt.error.startswith("refused URL"), (address, attempt.error)
    finally:
        client.close()
    assert receiver.connections == 0
