"""The receipt message as built (no network): headers, fallbacks, and colours that read in light
and dark mail clients."""

from __future__ import annotations

import re
from decimal import Decimal

import fakeredis
import msgspec

from checkout_links.core.merchants.account import contrast, seller_of
from checkout_links.core.records import (
    Customer,
    CustomFieldRow,
    DeliveryAddress,
    LegalIdentity,
    Line,
    Merchant,
    MerchantAccount,
    Order,
    TaxRow,
)
from checkout_links.testing import make_app
from checkout_links.worker.receipts.content import receipt_content
from checkout_links.worker.receipts.message import build_receipt

ORDER = Order(
    id="ord_AAAAAAAAAAAAAAAAAAAAAA",
    link_id="lnk_x",
    merchant_id="ruiz",
    created_at="2026-12-01T13:00:00.125Z",
    currency="EUR",
    total=Decimal("49.90"),
    lines=(
        Line(
            product_id="kit",
            name="Setup kit",
            price=Decimal("49.90"),
            quantity=1,
            amount=Decimal("49.90"),
        ),
    ),
    customer=Customer(email="ana@example.com"),
    locale="he",
)


def _html(merchant: Merchant) -> str:
    message = build_receipt(
        ORDER, seller_of(merchant), event_id="evt_AAAA", mail_from="r@pay.example.com"
    )
    part = message.get_body(("html",))
    assert part is not None
    return str(part.get_content())


def test_every_colour_reads_on_white_and_on_black_and_no_background_is_set() -> None:
    """The HTML sets no background, and each text or border colour it sets has a contrast of at
    least 3:1 (borders) or 4.5:1 (text) on both a white and a black client background."""
    html = _html(Merchant(id="ruiz", name="Ruiz"))
    assert "background" not in html
    texts = set(re.findall(r"(?<![-\w])color:(#[0-9a-f]{6})", html))
    borders = set(re.findall(r"border-top:1px solid (#[0-9a-f]{6})", html))
    assert texts
    assert borders
    for colour in texts:
        assert min(contrast(colour, "#ffffff"), contrast(colour, "#000000")) >= 4.5
    for colour in borders:
        assert min(contrast(colour, "#ffffff"), contrast(colour, "#000000")) >= 3


def test_without_a_display_name_or_support_email_the_merchant_name_sends_and_no_reply_to() -> None:
    """A merchant with neither display name nor support email sends under its name, with no
    Reply-To, and the Message-ID is the same on every build of the same event."""
    seller = seller_of(Merchant(id="ruiz", name="Ruiz Werkstatt"))
    first, again = (
        build_receipt(ORDER, seller, event_id="evt_AAAA", mail_from="r@pay.example.com")
        for _ in range(2)
    )
    assert first["From"].addresses[0].display_name == "Ruiz Werkstatt"
    assert first["Reply-To"] is None
    assert first["Message-ID"] == again["Message-ID"] == "<receipt.evt_AAAA@pay.example.com>"


def test_a_hebrew_receipt_runs_right_to_left_with_amounts_on_the_left() -> None:
    """A Hebrew order's HTML is dir="rtl" lang="he", aligned to the right, amounts on the left."""
    merchant = Merchant(id="ruiz", name="Ruiz", account=MerchantAccount(display_name="Ruiz"))
    html = _html(merchant)
    assert '<html lang="he" dir="rtl">' in html
    assert "text-align:right;" in html
    assert "white-space:nowrap;" in html
    assert re.search(r'text-align:left;white-space:nowrap;"><bdi>', html)


def test_the_openapi_document_shows_the_receipt_of_an_event() -> None:
    """The merchant API's OpenAPI document gives Event a nullable receipt whose state is one
    of pending, retrying, sent and failed, with attempts, times and last_error."""
    app = make_app(fakeredis.FakeRedis(server=fakeredis.FakeServer(version=(7, 2))))
    schemas = app.test_client().get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    assert schemas["Event"]["properties"]["receipt"]["anyOf"] == [
        {"$ref": "#/components/schemas/Receipt"},
        {"type": "null"},
    ]
    receipt = schemas["Receipt"]["properties"]
    assert receipt["state"]["enum"] == ["pending", "retrying", "sent", "failed"]
    assert set(receipt) == {
        "state",
        "attempts",
        "last_attempt_at",
        "next_attempt_at",
        "last_error",
    }


def test_a_persian_receipt_writes_dates_counts_and_amounts_in_persian_digits() -> None:
    """fa (CLDR: arabext): both parts show 2 x 49.90 and the order date with digits U+06F0-9."""
    line = msgspec.structs.replace(ORDER.lines[0], quantity=2, amount=Decimal("99.80"))
    order = msgspec.structs.replace(ORDER, locale="fa", lines=(line,), total=Decimal("99.80"))
    merchant = Merchant(id="ruiz", name="Ruiz")
    message = build_receipt(order, seller_of(merchant), event_id="evt_B", mail_from="r@x.example")
    for kind in ("plain", "html"):
        part = message.get_body((kind,))
        assert part is not None
        text = str(part.get_content())
        assert "\u06f2 \u00d7" in text, kind
        assert "\u06f9\u06f9\u066b\u06f8\u06f0" in text, f"{kind}: 99.80 as Persian writes it"
        assert "\u06f2\u06f0\u06f2\u06f6" in text, f"{kind}: the year 2026"


BRANDED = Merchant(
    id="ruiz",
    name="Ruiz",
    account=MerchantAccount(
        display_name="Ruiz Werkstatt",
        brand_color="#1b2a6b",
        logo_url="https://ruiz.example/logo.png",
        website_url="https://ruiz.example/",
    ),
)
DELIVERED = msgspec.structs.replace(
    ORDER,
    locale="ar",
    lines=(msgspec.structs.replace(ORDER.lines[0], delivery="physical"),),
    customer=Customer(
        email="ana@example.com",
        first_name="Ana",
        last_name="Ruiz",
        phone="+493012345678",
        address="Invalidenstr. 1",
        city="Berlin",
        postal_code="10115",
        country="DE",
    ),
)


def _parts(order: Order, merchant: Merchant) -> tuple[str, str]:
    message = build_receipt(
        order, seller_of(merchant), event_id="evt_AAAA", mail_from="r@pay.example.com"
    )
    text, html = message.get_body(("plain",)), message.get_body(("html",))
    assert text is not None
    assert html is not None
    return str(text.get_content()), str(html.get_content())


def test_the_receipt_wears_the_sellers_colour_and_links_its_logo_unchanged() -> None:
    """The brand colour rules the header and the total; the logo is the seller's own address
    (nothing added per customer), inside a link to their website, beside their name."""
    _, html = _parts(DELIVERED, BRANDED)
    assert "border-bottom:4px solid #1b2a6b" in html
    assert "border-top:3px solid #1b2a6b" in html
    assert re.search(
        r'<a href="https://ruiz.example/"[^>]*><img src="https://ruiz.example/logo.png" alt=""',
        html,
    )
    assert html.count("ruiz.example/logo.png") == 1
    assert "background" not in html


def test_the_receipt_gives_the_customers_details_address_and_local_time() -> None:
    """An Arabic receipt for a customer in Germany: their email and phone, the delivery address
    as Germany writes it with the country in Arabic, and the time on Berlin's clock."""
    text, html = _parts(DELIVERED, BRANDED)
    plain = re.sub(r"<[^>]+>|[\u2068\u2069]", "", html)
    for part in (re.sub(r"[\u2068\u2069]", "", text), plain):
        assert "ana@example.com" in part
        assert "+493012345678" in part
        assert "عنوان التوصيل" in part  # "Delivery address"
        assert "10115 BERLIN" in part
        assert "ألمانيا" in part  # "Germany"
        assert "2:00 م" in part  # 13:00 UTC is 14:00 in Berlin
        assert "توقيت وسط أوروبا الرسمي" in part  # Central European Standard Time
    assert '<span dir="ltr">+493012345678</span>' in html


def test_a_separate_delivery_address_follows_the_billing_address() -> None:
    """An order with its own delivery address: the billing address under its heading, then
    the delivery address under "Delivery address", in both parts."""
    elsewhere = msgspec.structs.replace(
        DELIVERED,
        locale="en",
        delivery_address=DeliveryAddress(
            first_name="Bea",
            last_name="Ruiz",
            country="DE",
            address="Mönckebergstr. 7",
            postal_code="20095",
            city="Hamburg",
        ),
    )
    text, html = _parts(elsewhere, BRANDED)
    for part in (re.sub(r"[\u2068\u2069]", "", text), re.sub(r"<[^>]+>|[\u2068\u2069]", "", html)):
        billing, delivery = part.index("Billing address"), part.index("Delivery address")
        assert billing < part.index("10115 BERLIN") < delivery
        assert delivery < part.index("Bea Ruiz") < part.index("20095 HAMBURG")


def test_the_sellers_and_customers_texts_are_isolated_for_direction() -> None:
    """In the text part each of their strings sits between FSI and PDI; in the HTML it has
    dir="auto": an English name keeps its order inside an Arabic sentence."""
    text, html = _parts(DELIVERED, BRANDED)
    assert "\u2068Ruiz Werkstatt\u2069" in text
    assert "\u2068Setup kit\u2069" in text
    assert "\u2068Invalidenstr. 1\u2069" in text
    assert '<span dir="auto">Ruiz Werkstatt</span>' in html
    assert '<span dir="auto">Setup kit</span>' in html


def test_the_receipt_shows_the_legal_identity_and_each_tax() -> None:
    """With a legal identity and French VAT the email lists both, in text and in HTML."""
    legal = LegalIdentity(
        name="Ruiz Software GmbH",
        address="Invalidenstr. 1\n10115 Berlin",
        vat_id="DE136695976",
        registration="HRB 12345",
    )
    merchant = Merchant(id="ruiz", name="Ruiz", account=MerchantAccount(legal=legal))
    taxed = Order(
        **{
            **{f: getattr(ORDER, f) for f in ORDER.__struct_fields__},
            "locale": "en",
            "total": Decimal("59.88"),
            "tax": (
                TaxRow(rate_id="fr", display_name="TVA", percent="20", amount=Decimal("9.98")),
            ),
            "tax_total": Decimal("9.98"),
        }
    )
    content = receipt_content(taxed, seller_of(merchant))
    text = re.sub(r"[\u2068\u2069]", "", content.text)  # the direction isolates
    assert "plus TVA 20%: €9.98" in text
    assert text.rstrip().endswith(
        "Ruiz Software GmbH\nInvalidenstr. 1\n10115 Berlin\nVAT ID: DE136695976\nHRB 12345"
    )
    block = '<span dir="auto" style="display:block;">'
    assert f"{block}10115 Berlin</span>{block}VAT ID: DE136695976</span>" in content.html


def test_answers_to_custom_fields_have_their_own_heading_without_an_empty_details_one() -> None:
    """An order with no contact details and no address, but answers to custom fields: both
    parts list them under "Additional information" as "label: answer", each text isolated
    (the option's label, never its value); neither part has an empty "Your details"."""
    order = msgspec.structs.replace(
        ORDER,
        customer=Customer(),
        locale="en",
        custom_fields={"holder": "Ana Ruiz", "region": "eu-west"},
        custom_field_rows=(
            CustomFieldRow(label="Licence holder", text="Ana Ruiz"),
            CustomFieldRow(label="Data region", text="Europe"),
        ),
    )
    content = receipt_content(order, seller_of(Merchant(id="ruiz", name="Ruiz")))
    assert (
        "Additional information\n  \u2068Licence holder\u2069: \u2068Ana Ruiz\u2069\n"
        "  \u2068Data region\u2069: \u2068Europe\u2069\n"
    ) in content.text
    assert (
        '>Additional information</h2><p style="margin:0;"><span dir="auto">Licence holder</span>: '
        '<span dir="auto">Ana Ruiz</span><br><span dir="auto">Data region</span>: '
        '<span dir="auto">Europe</span></p>'
    ) in content.html
    assert "Your details" not in content.html + content.text
    assert "eu-west" not in content.html + content.text
