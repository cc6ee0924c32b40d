"""The link token with cart choices: old tokens still decode, choices survive a round trip."""

from __future__ import annotations

import msgspec

from checkout_links.core.crypto.keyring import KeyRing
from checkout_links.core.links.token import (
    CartLine,
    Choices,
    Customer,
    LinkDiscount,
    LinkPayload,
    OptionalItem,
    QuantityBounds,
    Subscription,
    TokenCodec,
)

CODEC = TokenCodec(KeyRing(["a" * 40]))

#: Issued by the codec before cart choices existed (commit 1d6bee0), key "a" * 40.
OLD_TOKEN = (
    "EeuxXYnBn_uRUjTavmvtSlynwLQYTsCIvytlspUnGCC7DyHaHw3O_aFm9hSIKW8SF4oBmD5xf5gaBofau4iTwBIWuXuL3h9"
    "7FlT1UucpZviatTH6Rif-mTVJUMG74I0lz7zlwaKx3iQWa6oqNtsnlmDCHa4TStZzFtSQL71w1zBGSQnqc9IsFBNu_6ToX4"
    "ZTuzD8YzY0YAoKK7f50QAioEA"
)
#: The plaintext that codec wrote for the same payload.
OLD_PLAINTEXT = (
    "9bc41072727272727272727272727272727272a461636d65ce6ab13b80ce6aba7600a3455552929ba36b697407"
    "02c0c0c0c0c0c0c0c09bab70726f2d6c6963656e63650901ce0001e7e4a350726fc0c0c0c081a57365617473a2"
    "323592a479656172019caf616e61406578616d706c652e636f6da0a0a0a0a0a0a0a0a0a0a0c0c0bb6874747073"
    "3a2f2f73686f702e6578616d706c652f7468616e6b73a26465"
)
PAYLOAD = LinkPayload(
    link_rand=b"r" * 16,
    merchant_id="acme",
    issued_at=1_790_000_000,
    expires_at=1_790_604_800,
    currency="EUR",
    lines=[
        CartLine("kit", 7, 2),
        CartLine(
            "pro-licence",
            9,
            1,
            price_minor=124900,
            name="Pro",
            properties={"seats": "25"},
            subscription=Subscription("year", 1),
        ),
    ],
    customer=Customer(email="ana@example.com"),
    return_url="https://shop.example/thanks",
    locale="de",
)


def test_a_token_issued_before_cart_choices_still_decodes() -> None:
    """The token format only grew at its end: an old token opens to the same cart, no choices."""
    decoded = CODEC.decode(OLD_TOKEN)
    assert decoded == PAYLOAD
    assert decoded.choices is None


def test_a_link_without_choices_or_custom_fields_carries_two_bytes_more_than_before() -> None:
    """Links that use neither choices nor custom fields pay one msgpack nil per new field."""
    new = msgspec.msgpack.encode(PAYLOAD)
    old = bytes.fromhex(OLD_PLAINTEXT)
    assert len(new) == len(old) + 2
    assert new[1:-2] == old[1:]
    assert new[-2:] == b"\xc0\xc0"


def test_choices_survive_a_round_trip() -> None:
    """Bounds, line and cart discounts, optional items and up-sells decode as encoded."""
    choices = Choices(
        bounds=[QuantityBounds(0, 99), None],
        discounts=[None, LinkDiscount(percent_bp=1250, label="Loyalty")],
        optional=[
            OptionalItem(CartLine("support", 3), QuantityBounds(1, 5)),
            OptionalItem(CartLine("pro-plus", 4, price_minor=150000), replaces=1),
        ],
        discount=LinkDiscount(amount_minor=500),
        promotion_codes=True,
    )
    payload = msgspec.structs.replace(PAYLOAD, choices=choices)
    assert CODEC.decode(CODEC.encode(payload)) == payload
