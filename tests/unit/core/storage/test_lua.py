"""The Lua scripts: each loads from its package's ``.lua`` files, compiles, changes on purpose."""

from __future__ import annotations

import hashlib
import importlib
from importlib import resources

import fakeredis
import pytest

from checkout_links.core.ledger import scripts as ledger
from checkout_links.core.outbox import scripts as outbox

#: Every script the package registers, with the SHA1 Redis knows it by (EVALSHA).
#: A change to a ``.lua`` file changes its SHA here: make it on purpose.
SCRIPTS = {
    "checkout_links.core.ledger.scripts:SPEND": "cd378437caaa1889dfd8dba9f7dbc6cc4e87e5a8",
    "checkout_links.core.ledger.scripts:SPEND_INDEXED": "bfb9b8ce52e8eff6f3be336a0acbc217c71b7200",
    "checkout_links.core.ledger.scripts:SPEND_PROMOTED": "4efd32c427817bd22e65b30044d49c967f5dde64",
    "checkout_links.core.ledger.scripts:SPEND_PROMOTED_INDEXED": (
        "6faccb594b7143f00a1e72c78691890da6481daa"
    ),
    "checkout_links.core.ledger.scripts:READ": "374ed74466f4f25f398d115325c942e14cc85aa0",
    "checkout_links.core.ledger.scripts:REVOKE": "28d7e6d91d967de7b2750e6f8bcdbd203221e545",
    "checkout_links.core.outbox.scripts:REGISTER": "a38649f91939c888fb9621a39f781867d89cd561",
    "checkout_links.core.outbox.scripts:LEASE": "ce4b6af9d088ee683275e7f2e00282a461d6d711",
    "checkout_links.core.outbox.scripts:RENEW": "0b7b02281cdf346a52252e14de437b11d86be347",
    "checkout_links.core.outbox.scripts:FINISH": "1f8d5ed26cb3e0cd92160f18d00ad4f896a9c153",
    "checkout_links.core.outbox.scripts:DEFER": "b081f251420d3a997374e9b72477513e9dda0988",
    "checkout_links.core.outbox.scripts:PULL": "e5013f25dcf0df112c0072988ddb53619194bd75",
    "checkout_links.core.outbox.scripts:RECEIPT_FINISH": "bf12bc24c6ce52f6225ac73f136fc46cd1e2bc3f",
    "checkout_links.core.outbox.scripts:CIRCUIT_FAILED": "28fb9a24cab5788c76fd18d1eb44e97ad999cc0b",
    "checkout_links.core.outbox.scripts:CIRCUIT_SUCCEEDED": (
        "b90a64c887cf085a6bff49bff605c1ad4755f7ad"
    ),
    "checkout_links.core.orders.indexes:SETTLE": "affe477c460bb2dacbaed31037fad356daa1d21d",
    "checkout_links.core.promotions.scripts:RESERVE": "950cfd932941dac5da3b6ee053472d83d0270773",
    "checkout_links.core.promotions.scripts:FINISH": "481c4b62a62f2760e67b1fda598309982a5b627a",
    "checkout_links.core.promotions.scripts:SETTLE": "fe836db4f92c59ba7efd21516f6883d5255d4c8b",
    "checkout_links.core.promotions.scripts:STALE": "8fb6e22f9ef70d9c67c15dc56ae3f25961c27feb",
    "checkout_links.core.orders.rewrite:REPLACE": "4bbce03b802843c16a659b7a4bae826b926b1766",
    "checkout_links.core.payments.transitions:STEP": "4727255203f0a80cf6c1a43888a8cedc3b58de2a",
}

#: The packages that hold ``.lua`` files (each listed in pyproject's package-data).
PACKAGES = [
    "checkout_links.core.ledger",
    "checkout_links.core.orders",
    "checkout_links.core.outbox",
    "checkout_links.core.payments",
    "checkout_links.core.promotions",
]


def _script(name: str) -> str:
    module, attr = name.split(":")
    text: str = getattr(importlib.import_module(module), attr)
    return text


@pytest.mark.parametrize("name", SCRIPTS)
def test_each_script_keeps_its_sha(name: str) -> None:
    """Each script's text hashes to the SHA pinned here, so no Lua changes by accident."""
    assert hashlib.sha1(_script(name).encode(), usedforsecurity=False).hexdigest() == SCRIPTS[name]


@pytest.mark.parametrize("name", SCRIPTS)
def test_each_script_compiles(name: str) -> None:
    """Each script is valid Lua: Redis compiles it all (a leading return stops it running)."""
    server = fakeredis.FakeRedis(server=fakeredis.FakeServer(version=(7, 2)))
    assert server.eval("do return 'compiled' end\n" + _script(name), 0) == b"compiled"


def test_every_lua_file_is_part_of_a_script() -> None:
    """No ``.lua`` file lies unused: each one's text is in some registered script."""
    texts = [_script(name) for name in SCRIPTS]
    files = [
        entry
        for package in PACKAGES
        for entry in resources.files(package).iterdir()
        if entry.name.endswith(".lua")
    ]
    assert len(files) >= len(PACKAGES)
    for entry in files:
        assert any(entry.read_text(encoding="utf-8") in text for text in texts), entry.name


def test_the_spends_are_one_script_with_optional_steps() -> None:
    """A promoted spend is the plain one plus the fence, an indexed one plus the index step."""
    folder = resources.files("checkout_links.core.ledger")
    fence = folder.joinpath("spend_fence.lua").read_text(encoding="utf-8")
    index = folder.joinpath("spend_index.lua").read_text(encoding="utf-8")
    assert fence not in ledger.SPEND
    assert index not in ledger.SPEND
    assert ledger.SPEND_PROMOTED.replace(fence, "") == ledger.SPEND
    assert ledger.SPEND_INDEXED.replace(index, "") == ledger.SPEND
    assert ledger.SPEND_PROMOTED_INDEXED.replace(fence, "").replace(index, "") == ledger.SPEND
    assert ledger.SPEND_PROMOTED_INDEXED.index(fence) < ledger.SPEND_PROMOTED_INDEXED.index(index)


def test_webhooks_and_receipts_lease_with_one_script() -> None:
    """A webhook and a receipt are leased by the same script, told apart by a field prefix."""
    assert outbox.WEBHOOK_FIELDS != outbox.RECEIPT_FIELDS
    assert outbox.LEASE.count("if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX'") == 1
