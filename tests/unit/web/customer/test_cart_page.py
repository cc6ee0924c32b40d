"""The cart page's HTML fragments, built outside Jinja (checkout_links.web.customer.cart_page)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import markupsafe
from hypothesis import given
from hypothesis import strategies as st

from checkout_links.core.records import Line, Subscription
from checkout_links.web.customer import cart_page
from checkout_links.web.customer.i18n import catalog

EN, DE, AR = catalog("en"), catalog("de"), catalog("ar")


def _line(**changes: Any) -> Line:
    fields: dict[str, Any] = {
        "product_id": "p1",
        "name": "Plan",
        "price": Decimal("10.00"),
        "quantity": 1,
        "amount": Decimal("10.00"),
        "sku": "",
        "vendor_code": "",
        "name_for_invoice": "",
        "description": "",
        "properties": {},
        "subscription": None,
        "tax_code": "",
        "image_url": None,
        "delivery": "digital",
    }
    return Line(**(fields | changes))


@given(st.text())
def test_escape_gives_exactly_what_jinja_autoescape_gives(text: str) -> None:
    """Any text is escaped to the same entities as the Jinja-rendered pages use."""
    assert cart_page.escape(text) == str(markupsafe.escape(text))


@given(
    st.text(min_size=1),
    st.text(min_size=1),
    st.dictionaries(st.text(min_size=1), st.text(min_size=1), max_size=3),
)
def test_no_text_of_a_line_reaches_the_page_unescaped(
    name: str, description: str, properties: dict[str, str]
) -> None:
    """Name, description and properties appear only in escaped form, never as markup."""
    line = _line(name=name + "<b>", description=description + "&", properties=properties)
    html = cart_page.rows(EN, [(line, "<1>", "<2>")], babel="en")
    assert f'<p class="name" dir="auto">{markupsafe.escape(name + "<b>")}</p>' in html
    description_html = markupsafe.escape(description + "&")
    assert f'<p class="description" dir="auto">{description_html}</p>' in html
    for key, value in properties.items():
        key_html, value_html = markupsafe.escape(key), markupsafe.escape(value)
        pair = f'<dt><bdi class="text">{key_html}</bdi></dt><dd dir="auto">{value_html}</dd>'
        assert pair in html
    assert "<b>" not in html
    assert "&lt;1&gt;" in html


def test_a_subscription_line_says_how_often_it_renews() -> None:
    """Every interval reads as "month"; every third as "3 months", in the page's plural forms."""
    monthly = _line(subscription=Subscription(interval="month", interval_count=1))
    quarterly = _line(subscription=Subscription(interval="month", interval_count=3))
    twice = _line(subscription=Subscription(interval="year", interval_count=2))
    eleven = _line(subscription=Subscription(interval="week", interval_count=11))
    rows = [(monthly, "1", "1"), (quarterly, "1", "1"), (twice, "1", "1"), (eleven, "1", "1")]
    html = cart_page.rows(EN, rows, babel="en")
    assert "Renews every month</p>" in html
    assert "Renews every 3 months</p>" in html
    german = cart_page.rows(DE, rows, babel="de")
    assert "Verlängert sich monatlich</p>" in german
    assert "Verlängert sich alle 3 Monate</p>" in german
    # Arabic has six plural forms: 2 is the dual, 3..10 "few", 11..99 "many".
    arabic = cart_page.rows(AR, rows, babel="ar")
    assert "يتجدد كل شهر</p>" in arabic
    assert "يتجدد كل 3 أشهر</p>" in arabic
    assert "يتجدد كل سنتين</p>" in arabic
    assert "يتجدد كل 11 أسبوعًا</p>" in arabic


def test_fields_carry_values_and_mark_only_the_invalid_ones() -> None:
    """A field with an error is flagged and described by it; the others are not."""
    html = cart_page.fields(
        "en", "en", "DE", None, {"email": 'a"b', "city": "Köln"}, {"email": "Enter <an> email"}
    )
    assert (
        'name="email" type="email" autocomplete="email" inputmode="email" spellcheck="false"'
        ' required value="a&#34;b"'
    ) in html
    assert 'aria-invalid="true" aria-describedby="e-email"' in html
    assert '<p class="error" id="e-email">Enter &lt;an&gt; email</p>' in html
    assert (
        'name="city" type="text" autocomplete="address-level2" inputmode="text" dir="auto" '
        'value="Köln">'
    ) in html
    assert html.count("aria-invalid") == 1
    # email, phone, country, first and last name, company, street, postal code, city, tax id
    assert html.count('<div class="field') == 10


def test_the_address_fields_follow_the_country() -> None:
    """Germany: postal code then city, no region; US: city, state, ZIP code; Japan: prefecture."""
    germany = cart_page.fields("en", "en", "DE", None, {}, {})
    assert 'id="f-region"' not in germany
    assert germany.index('id="f-postal_code"') < germany.index('id="f-city"')
    assert "VAT number" in germany
    usa = cart_page.fields("en", "en_US", "US", None, {}, {})
    assert usa.index('id="f-city"') < usa.index('id="f-region"') < usa.index('id="f-postal_code"')
    assert ">State <span" in usa
    assert ">ZIP code <span" in usa
    assert "Tax ID" in usa
    japan = cart_page.fields("de", "de", "JP", None, {}, {})
    assert ">Präfektur <span" in japan
    # The select lists the chosen country first, named in the page's language.
    assert '<option value="JP" selected>Japan</option>' in japan
    assert '<option value="DE">Deutschland</option>' in japan


def test_the_cached_frame_renders_exactly_what_the_template_renders() -> None:
    """The hot path's cached frame, filled, is byte for byte the page Jinja renders."""
    import fakeredis

    from checkout_links.core.i18n.locales import negotiate
    from checkout_links.core.merchants.account import Seller
    from checkout_links.testing import make_app
    from checkout_links.web.customer import pages

    app = make_app(fakeredis.FakeRedis())
    seller = Seller(merchant_id="acme", name="Ruiz & Söhne <GmbH>", brand_color="#1b2a6b")
    parts = {
        "rows": markupsafe.Markup("<li>row</li>"),
        "total": "1.534,00\xa0€",
        "fields": markupsafe.Markup("<input>"),
        "csrf_token": "abc_-123",
    }
    # A link with cart choices has its summary and controls in the frame too.
    choices = {
        "summary": markupsafe.Markup('<dl class="discounts"></dl>'),
        "choices": markupsafe.Markup('<input name="promo_code">'),
    }
    for tag in ("de", "ar", "en"):
        locale = negotiate(tag, None, None, None)
        for page in (parts, {**parts, **choices}):
            with app.test_request_context("/c/x"):
                direct = pages.render("cart.html", locale, seller, **page)
                framed = pages.render_framed("cart.html", locale, seller, **page)
                again = pages.render_framed("cart.html", locale, seller, **page)
            assert framed == direct == again
            assert "Ruiz &amp; Söhne &lt;GmbH&gt;" in framed
            assert ("choices.js" in framed) is ("choices" in page)
