"""The cart page's HTML fragments, built outside Jinja (checkout_links.web.cart_page)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import markupsafe
from hypothesis import given
from hypothesis import strategies as st

from checkout_links.core.records import Line, Subscription
from checkout_links.web import cart_page


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
    html = cart_page.rows([(line, "<1>", "<2>")])
    assert f'<span class="name">{markupsafe.escape(name + "<b>")}</span>' in html
    assert f'<p class="description">{markupsafe.escape(description + "&")}</p>' in html
    for key, value in properties.items():
        assert f"<dt>{markupsafe.escape(key)}</dt><dd>{markupsafe.escape(value)}</dd>" in html
    assert "<b>" not in html
    assert "&lt;1&gt;" in html


def test_a_subscription_line_says_how_often_it_renews() -> None:
    """Every interval reads as "month"; every third as "3 months"."""
    monthly = _line(subscription=Subscription(interval="month", interval_count=1))
    quarterly = _line(subscription=Subscription(interval="month", interval_count=3))
    html = cart_page.rows([(monthly, "1", "1"), (quarterly, "1", "1")])
    assert "Renews every month</p>" in html
    assert "Renews every 3 months</p>" in html


def test_fields_carry_values_and_mark_only_the_invalid_ones() -> None:
    """A field with an error is flagged and described by it; the others are not."""
    html = cart_page.fields({"email": 'a"b', "city": "Köln"}, {"email": "Enter <an> email"})
    assert 'name="email" type="email" autocomplete="email" required value="a&#34;b"' in html
    assert 'aria-invalid="true" aria-describedby="e-email"' in html
    assert '<p class="error" id="e-email">Enter &lt;an&gt; email</p>' in html
    assert 'name="city" type="text" autocomplete="address-level2" value="Köln">' in html
    assert html.count("aria-invalid") == 1
    assert html.count('<div class="field') == len(cart_page.FIELDS)
