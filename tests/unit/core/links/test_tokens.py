"""The link token codec, key rotation and link ids, without a Flask app."""

from __future__ import annotations

import base64
import hashlib
import zlib

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checkout_links.core.crypto.keyring import KeyRing
from checkout_links.core.errors import InvalidToken
from checkout_links.core.links.ids import LinkIds, link_rand_of_order, order_id_for
from checkout_links.core.links.token import (
    CartLine,
    Customer,
    LinkPayload,
    Subscription,
    TokenCodec,
)
from checkout_links.testing import SECRET_A, SECRET_B

B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

CODEC_A = TokenCodec(KeyRing([SECRET_A]))

PII = {
    "email": "ana.ruiz-private@example.com",
    "first_name": "Anastasia",
    "last_name": "Ruiz-Zabaleta",
    "phone": "+49 30 98765432",
    "address": "Invalidenstrasse 117",
    "tax_id": "DE987654321",
}


def _line(i: int) -> CartLine:
    """A line whose fields vary with ``i``: some set, some left to the catalog."""
    return CartLine(
        product_id=f"prod-{i % 7}",
        rev=(i * 2_654_435_761) % 2**32,
        quantity=1 + (i * 37) % 1_000_000,
        price_minor=None if i % 3 == 0 else i * 1999,
        name=None if i % 4 == 0 else f"Zeile {i}: Größe XL ✓ 日本語 🚀",
        sku=f"SKU-{i}" if i % 2 else None,
        vendor_code="crm-line-8812" if i % 5 == 0 else None,
        name_for_invoice="Rechnung «Pro»" if i % 6 == 0 else None,
        description="مرحبا\u200f — a description\nwith a newline" if i % 3 == 1 else None,
        properties={"seats": str(i), "term": "12 months", "ключ": "значение"} if i % 2 else None,
        subscription=Subscription("year", 1 + i % 3) if i % 4 == 1 else None,
    )


def _payload(
    n_lines: int, *, customer: Customer | None = None, rand: bytes = b"r" * 16
) -> LinkPayload:
    return LinkPayload(
        link_rand=rand,
        merchant_id="acme",
        issued_at=1_790_000_000,
        expires_at=1_790_604_800,
        currency="EUR",
        lines=[_line(i) for i in range(n_lines)],
        customer=customer,
        additional_data={"crm_deal": "8812", "emoji": "🙂"} if n_lines % 2 else None,
        external_ref="quote-2026-118" if n_lines > 1 else None,
        return_url="https://shop.example/thanks?x=1",
        locale="de-AT",
    )


def _blob(token: str) -> bytes:
    return base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))


def _token(blob: bytes) -> str:
    return base64.urlsafe_b64encode(blob).rstrip(b"=").decode()


# One short token (stored raw) and one long one (deflated), so both flag values are attacked.
# The codec deflates whenever that is shorter, which is nearly always; the raw form
# (flags 0) is sealed here by the key ring itself so that its path is attacked too.
SMALL_PAYLOAD = LinkPayload(bytes(range(16)), "acme", 1, 2, "EUR", [CartLine("kit", 7)])
SMALL_TOKEN = _token(CODEC_A.keyring.seal(msgspec.msgpack.encode(SMALL_PAYLOAD), bytes([0x10])))
LARGE_TOKEN = CODEC_A.encode(_payload(60, customer=Customer(**PII)))


@pytest.mark.parametrize("n_lines", [1, 2, 3, 17, 50, 99, 100])
def test_round_trip_fixed_sizes(n_lines: int) -> None:
    """A cart of 1..100 varied unicode lines with a full customer decodes to an equal payload."""
    payload = _payload(n_lines, customer=Customer(**PII, country="DE", language="de"))
    assert CODEC_A.decode(CODEC_A.encode(payload)) == payload


texts = st.text(max_size=30)
lines_strategy = st.builds(
    CartLine,
    product_id=st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", fullmatch=True),
    rev=st.integers(0, 2**32 - 1),
    quantity=st.integers(1, 1_000_000),
    price_minor=st.none() | st.integers(0, 999_999_999_999_999),
    name=st.none() | texts,
    sku=st.none() | texts,
    vendor_code=st.none() | texts,
    name_for_invoice=st.none() | texts,
    description=st.none() | st.text(max_size=200),
    properties=st.none() | st.dictionaries(texts, texts, max_size=5),
    subscription=st.none()
    | st.builds(
        Subscription, st.sampled_from(["day", "week", "month", "year"]), st.integers(1, 365)
    ),
)
customers = st.none() | st.builds(
    Customer,
    email=texts,
    first_name=texts,
    last_name=texts,
    country=st.sampled_from(["", "DE", "JP"]),
    city=texts,
    address=texts,
    phone=texts,
    tax_id=texts,
)
payloads = st.builds(
    LinkPayload,
    link_rand=st.binary(min_size=18, max_size=18),
    merchant_id=st.from_regex(r"[a-z0-9][a-z0-9_-]{1,62}", fullmatch=True),
    issued_at=st.integers(0, 2**32 - 1),
    expires_at=st.integers(0, 2**32 - 1),
    currency=st.sampled_from(["EUR", "JPY", "KWD"]),
    lines=st.lists(lines_strategy, min_size=1, max_size=100),
    customer=customers,
    additional_data=st.none() | st.dictionaries(texts, texts, max_size=20),
    external_ref=st.none() | texts,
    return_url=st.none() | texts,
    locale=st.none() | st.sampled_from(["de", "ja-JP", "zh-Hant-TW"]),
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(payloads)
def test_round_trip_any_payload(payload: LinkPayload) -> None:
    """Any payload (1..100 arbitrary lines, any unicode texts) survives encode/decode unchanged."""
    assert CODEC_A.decode(CODEC_A.encode(payload)) == payload


def test_tokens_are_not_deterministic() -> None:
    """Encoding one payload twice gives two different tokens (a fresh nonce each time)."""
    payload = _payload(3)
    assert CODEC_A.encode(payload) != CODEC_A.encode(payload)


def test_raw_and_deflated_tokens_both_decode() -> None:
    """A token without the deflate flag decodes as well as the codec's deflated output."""
    assert _blob(SMALL_TOKEN)[0] == 0x10
    assert _blob(LARGE_TOKEN)[0] == 0x11
    assert CODEC_A.decode(SMALL_TOKEN) == SMALL_PAYLOAD


@settings(max_examples=200, deadline=None)
@given(data=st.data(), token=st.sampled_from([SMALL_TOKEN, LARGE_TOKEN]))
def test_any_single_byte_change_is_rejected(data: st.DataObject, token: str) -> None:
    """Changing any one byte of a token (header, key id, nonce, ciphertext or tag) is refused."""
    blob = bytearray(_blob(token))
    index = data.draw(st.integers(0, len(blob) - 1), label="index")
    blob[index] ^= data.draw(st.integers(1, 255), label="xor")
    with pytest.raises(InvalidToken):
        CODEC_A.decode(_token(bytes(blob)))


@pytest.mark.parametrize("token", [SMALL_TOKEN, LARGE_TOKEN], ids=["raw", "deflated"])
def test_every_byte_position_is_protected(token: str) -> None:
    """Flipping the low bit of each byte in turn, at every position, is refused."""
    blob = _blob(token)
    for index in range(len(blob)):
        changed = bytearray(blob)
        changed[index] ^= 1
        with pytest.raises(InvalidToken):
            CODEC_A.decode(_token(bytes(changed)))


@settings(max_examples=150, deadline=None)
@given(data=st.data(), token=st.sampled_from([SMALL_TOKEN, LARGE_TOKEN]))
def test_truncated_token_is_rejected(data: st.DataObject, token: str) -> None:
    """Any proper prefix of a token's bytes is refused."""
    blob = _blob(token)
    cut = data.draw(st.integers(0, len(blob) - 1), label="cut")
    with pytest.raises(InvalidToken):
        CODEC_A.decode(_token(blob[:cut]))


@settings(max_examples=150, deadline=None)
@given(token=st.sampled_from([SMALL_TOKEN, LARGE_TOKEN]), extra=st.binary(min_size=1, max_size=64))
def test_appended_bytes_are_rejected(token: str, extra: bytes) -> None:
    """A token with any bytes appended is refused."""
    with pytest.raises(InvalidToken):
        CODEC_A.decode(_token(_blob(token) + extra))


def test_token_string_has_one_spelling() -> None:
    """Padding, the standard alphabet or stray spare bits do not make another valid spelling."""
    for token in (SMALL_TOKEN, LARGE_TOKEN):
        variants = {token + "=" * (-len(token) % 4 or 4)}
        variants.add(token.replace("-", "+").replace("_", "/"))
        variants |= {token[:-1] + c for c in B64URL if c != token[-1]}
        variants.discard(token)
        for variant in variants:
            with pytest.raises(InvalidToken):
                CODEC_A.decode(variant)


def test_old_key_still_decodes_after_rotation() -> None:
    """A token sealed under key A decodes under KeyRing([A, B]) but not under KeyRing([B])."""
    payload = _payload(4)
    token = TokenCodec(KeyRing([SECRET_A])).encode(payload)
    assert TokenCodec(KeyRing([SECRET_A, SECRET_B])).decode(token) == payload
    with pytest.raises(InvalidToken):
        TokenCodec(KeyRing([SECRET_B])).decode(token)


def test_newest_key_seals() -> None:
    """A token made under KeyRing([A, B]) is sealed by B: it decodes under [B] and not under [A]."""
    payload = _payload(4)
    token = TokenCodec(KeyRing([SECRET_A, SECRET_B])).encode(payload)
    assert TokenCodec(KeyRing([SECRET_B])).decode(token) == payload
    with pytest.raises(InvalidToken):
        TokenCodec(KeyRing([SECRET_A])).decode(token)


def _inflations(data: bytes) -> list[bytes]:
    """Whatever zlib, gzip or raw deflate can get out of any suffix of ``data``."""
    out = []
    for start in range(len(data)):
        for wbits in (-15, -12, -9, 15, 31, 47):
            inflater = zlib.decompressobj(wbits)
            try:
                out.append(inflater.decompress(data[start:], 1 << 20))
            except zlib.error:
                continue
    return out


@pytest.mark.parametrize("n_lines", [0, 1, 40])
def test_personal_data_never_appears_in_the_token(n_lines: int) -> None:
    """Email, names, phone, address and tax id are not in the token, its bytes or any inflation."""
    customer = Customer(**PII)
    payload = LinkPayload(
        link_rand=b"p" * 16,
        merchant_id="acme",
        issued_at=1,
        expires_at=2,
        currency="EUR",
        lines=[_line(i) for i in range(max(n_lines, 1))],
        customer=customer,
    )
    token = CODEC_A.encode(payload)
    blob = _blob(token)
    inflated = _inflations(blob)
    for value in PII.values():
        needles = {value, value.lower(), value.replace(" ", "")}
        for needle in needles:
            assert needle not in token
            assert needle.encode() not in blob
            assert all(needle.encode() not in plain for plain in inflated)
    assert CODEC_A.decode(token).customer == customer


LINK_IDS_A = LinkIds(KeyRing([SECRET_A]))


def _link_id_with_both_url_chars() -> tuple[bytes, str]:
    """A deterministic link id that contains both ``-`` and ``_`` (the characters at risk)."""
    for n in range(10_000):
        rand = hashlib.sha256(n.to_bytes(4, "big")).digest()[:18]
        link_id = LINK_IDS_A.make(rand, 1_790_000_000, "acme")
        if "-" in link_id[4:] and "_" in link_id[4:]:
            return rand, link_id
    raise AssertionError("no such id found")


def test_link_id_verifies_for_its_merchant_and_carries_the_expiry() -> None:
    """A link id parses back, for its merchant, to the random id and expiry it was made from."""
    rand = bytes(range(18))
    link_id = LINK_IDS_A.make(rand, 1_790_604_800, "acme")
    assert link_id.startswith("lnk_")
    assert LINK_IDS_A.parse(link_id, "acme") == (rand, 1_790_604_800)


def test_link_id_of_another_merchant_is_invalid() -> None:
    """A link id made for one merchant does not verify for another (the 404 case)."""
    link_id = LINK_IDS_A.make(b"x" * 18, 1_790_604_800, "acme")
    for other in ("globex", "acm", "acme-", "ACME"):
        with pytest.raises(InvalidToken):
            LINK_IDS_A.parse(link_id, other)


def test_link_id_expiry_cannot_be_moved() -> None:
    """Ids differing only in expiry differ, and neither verifies with the other's MAC."""
    rand = b"e" * 18
    early = LINK_IDS_A.make(rand, 1_790_000_000, "acme")
    late = LINK_IDS_A.make(rand, 1_790_000_001, "acme")
    assert early != late
    cut = len(rand) + 4  # the random id and the expiry, then the MAC
    spliced = _token(_blob(late[4:])[:cut] + _blob(early[4:])[cut:])
    with pytest.raises(InvalidToken):
        LINK_IDS_A.parse("lnk_" + spliced, "acme")


def test_any_altered_character_of_a_link_id_is_invalid() -> None:
    """Replacing any one character of a link id with any other (incl. ``+ / =``) is refused."""
    _rand, link_id = _link_id_with_both_url_chars()
    alphabet = B64URL + "+/=.lL"
    for index in range(len(link_id)):
        for char in alphabet:
            if char == link_id[index]:
                continue
            altered = link_id[:index] + char + link_id[index + 1 :]
            with pytest.raises(InvalidToken):
                LINK_IDS_A.parse(altered, "acme")


def test_link_id_survives_rotation_but_not_key_loss() -> None:
    """An id made under key A verifies under KeyRing([A, B]) and not under KeyRing([B])."""
    link_id = LINK_IDS_A.make(b"k" * 18, 1_790_000_000, "acme")
    assert LinkIds(KeyRing([SECRET_A, SECRET_B])).parse(link_id, "acme")[0] == b"k" * 18
    with pytest.raises(InvalidToken):
        LinkIds(KeyRing([SECRET_B])).parse(link_id, "acme")


def test_order_id_round_trip_and_one_spelling() -> None:
    """An order id maps back to its link's random id, and no other spelling maps to that id."""
    rand = b"\xfb\xff" + b"o" * 14 + (7).to_bytes(2, "big")
    order_id = order_id_for(rand)
    assert link_rand_of_order(order_id) == rand
    variants = {order_id[:-1] + c for c in B64URL} | {order_id + "=="}
    variants.add(order_id.replace("-", "+").replace("_", "/"))
    for variant in variants - {order_id}:
        try:
            other = link_rand_of_order(variant)
        except InvalidToken:
            continue
        assert other != rand, variant


GARBAGE = [
    "",
    "a",
    "lnk_",
    "!" * 60,
    "é" * 60,
    "A" * 39,
    "A" * 40,
    "A" * 41,
    "A" * 100,
    "A" * 16384,
    "A" * 16385,
    "x" * 1_000_000,
    "EQ" + "A" * 60,
    SMALL_TOKEN + "\n",
    " " + SMALL_TOKEN,
    SMALL_TOKEN.replace(SMALL_TOKEN[10], "\0"),
]


@pytest.mark.parametrize("garbage", GARBAGE, ids=range(len(GARBAGE)))
def test_garbage_is_invalid_token(garbage: str) -> None:
    """Empty, non-base64, wrong-length and huge strings raise InvalidToken from every decoder."""
    with pytest.raises(InvalidToken):
        CODEC_A.decode(garbage)
    with pytest.raises(InvalidToken):
        LINK_IDS_A.parse(garbage, "acme")
    with pytest.raises(InvalidToken):
        link_rand_of_order(garbage)


@settings(max_examples=300, deadline=None)
@given(st.text() | st.text(alphabet=B64URL + "=+/", min_size=38, max_size=400))
def test_any_text_raises_only_invalid_token(text: str) -> None:
    """Arbitrary text never escapes the decoders as anything but InvalidToken."""
    for decode in (
        CODEC_A.decode,
        lambda t: LINK_IDS_A.parse(t, "acme"),
        link_rand_of_order,
    ):
        with pytest.raises(InvalidToken):
            decode(text)


@settings(max_examples=200, deadline=None)
@given(st.binary(min_size=0, max_size=600))
def test_random_bytes_as_token_are_invalid(blob: bytes) -> None:
    """Random bytes, even with a valid version byte and this ring's key id, are refused."""
    kid = _blob(SMALL_TOKEN)[1]
    for candidate in (blob, bytes([0x10, kid]) + blob, bytes([0x11, kid]) + blob):
        with pytest.raises(InvalidToken):
            CODEC_A.decode(_token(candidate))
