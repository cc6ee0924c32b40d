"""The customer pages in the customer's language, the country switch without JavaScript,
and a customer coming back to their own placed order."""

from __future__ import annotations

import re
import time
from typing import Any

from flask.testing import FlaskClient

from checkout_links.core.i18n.locales import SUPPORTED
from checkout_links.testing import csrf_of, link_path
from checkout_links.web.customer import views as checkout
from checkout_links.web.customer.i18n import catalog


def _issue(client: FlaskClient, auth: dict[str, str], **extra: Any) -> dict[str, Any]:
    body = {"products": [{"id": "pro-licence", "price": "1249.00"}], **extra}
    answer = client.post("/api/v1/links", json=body, headers=auth)
    assert answer.status_code == 201, answer.get_json()
    link: dict[str, Any] = answer.get_json()
    return link


def _visible(html: str) -> str:
    """The page's text a person reads (tags, the country list and the title left out)."""
    html = re.sub(r"<select.*?</select>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_a_german_page_has_no_english_word_left(client: FlaskClient, auth: dict[str, str]) -> None:
    """Every message on the German cart, error state and confirmation is the German one."""
    link = _issue(client, auth, locale="de")
    path = link_path(link["url"])
    cart = client.get(path).get_data(as_text=True)
    bad = client.post(path, data={"csrf_token": csrf_of(cart), "email": "x", "city": "Berlin"})
    english = {m for m in _english_messages() if catalog("de").gettext(m) != m}
    for html in (cart, bad.get_data(as_text=True)):
        text = _visible(html)
        assert [m for m in english if m in text] == []
    assert "Geben Sie eine E-Mail-Adresse wie name@example.com ein" in bad.get_data(as_text=True)
    assert "Es gibt ein Problem" in bad.get_data(as_text=True)


def _english_messages() -> list[str]:
    from babel.messages.pofile import read_po

    from checkout_links.web.customer.i18n import DIRECTORY

    with (DIRECTORY / "messages.pot").open("rb") as handle:
        template = read_po(handle)
    # Only whole sentences and labels longer than a word: "Region" is also German.
    return [m.id for m in template if isinstance(m.id, str) and " " in m.id and "%" not in m.id]


def test_arabic_pages_are_right_to_left_with_isolated_amounts(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    """ar: dir="rtl", Arabic words, each amount in its own <bdi> so it reads whole."""
    made = client.put("/api/v1/products/plan", json={"name": "Plan"}, headers=auth)
    assert made.status_code == 201, made.get_json()
    lines = [{"id": "plan", "price": "432.375"}]
    link = _issue(client, auth, locale="ar", currency="KWD", products=lines)
    html = client.get(link_path(link["url"])).get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in html
    assert "ملخص الطلب" in html
    assert re.search(r"<bdi>[^<]*432[^<]*375[^<]*</bdi>", html)


def test_error_pages_follow_the_link_or_else_the_browser(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    """A 410 speaks the link's locale; a 404 for a bad token speaks Accept-Language."""
    link = _issue(client, auth, locale="ar")
    assert client.post(f"/api/v1/links/{link['id']}/revoke", headers=auth).status_code == 200
    gone = client.get(link_path(link["url"]), headers={"Accept-Language": "de"})
    assert gone.status_code == 410
    assert "تم سحب هذا الرابط" in gone.get_data(as_text=True)
    missing = client.get("/c/" + "x" * 80, headers={"Accept-Language": "de-AT,en;q=0.5"})
    assert missing.status_code == 404
    page = missing.get_data(as_text=True)
    assert '<html lang="de-AT" dir="ltr">' in page
    assert "<h1>Link nicht gefunden</h1>" in page


def test_changing_the_country_without_javascript_redraws_its_fields(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    """action=update re-renders the form for the new country, keeps the values, places nothing."""
    link = _issue(client, auth, locale="en", customer={"email": "ana@example.com", "country": "DE"})
    path = link_path(link["url"])
    cart = client.get(path).get_data(as_text=True)
    assert 'id="f-region"' not in cart
    form = {"csrf_token": csrf_of(cart), "email": "ana@example.com", "city": "Austin"}
    updated = client.post(path, data={**form, "country": "US", "action": "update"})
    assert updated.status_code == 200
    html = updated.get_data(as_text=True)
    assert '<option value="US" selected>United States</option>' in html
    assert ">State <span" in html
    assert ">ZIP code <span" in html
    assert 'value="Austin"' in html
    assert "There is a problem" not in html
    status = client.get(f"/api/v1/links/{link['id']}", headers=auth).get_json()
    assert status["status"] == "open"


def test_a_customer_sending_their_placed_form_again_is_shown_their_order(
    client: FlaskClient, auth: dict[str, str], monkeypatch: Any
) -> None:
    """The form that placed the order, re-sent (stale, or with a mistake), shows that order."""
    link = _issue(client, auth, locale="en")
    path = link_path(link["url"])
    form = {"csrf_token": csrf_of(client.get(path).get_data(as_text=True)), "email": "a@b.de"}
    placed = client.post(path, data=form)
    assert placed.status_code == 303
    order_id = client.get(f"/api/v1/links/{link['id']}", headers=auth).get_json()["order_id"]
    number = client.get(f"/api/v1/orders/{order_id}", headers=auth).get_json()["number"]
    later = time.time() + checkout.CSRF_MAX_AGE + 3600
    monkeypatch.setattr(checkout.time, "time", lambda: later)
    for data in (form, {**form, "email": "not an email"}, {**form, "action": "update"}):
        again = client.post(path, data=data)
        assert again.status_code == 303
        done = client.get(again.headers["Location"]).get_data(as_text=True)
        assert f"<strong>{number}</strong>" in done
        assert "Thank you, your order is placed" in done
    stranger = client.post(path, data={**form, "csrf_token": "x" * 43})
    assert stranger.status_code == 410, "another browser's form is told the link was used"


def test_every_shipped_locale_renders_the_cart_in_its_language_tag(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    """Each of the 44 locales opens with its lang attribute, and ar/fa/he are right to left."""
    assert len(SUPPORTED) == 44
    for tag in SUPPORTED:
        link = _issue(client, auth, locale=tag)
        assert link["locale"] == tag
        html = client.get(link_path(link["url"])).get_data(as_text=True)
        direction = "rtl" if tag in ("ar", "fa", "he") else "ltr"
        assert f'<html lang="{tag}" dir="{direction}">' in html, tag


def test_a_persian_cart_writes_counts_and_amounts_in_persian_digits(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    """fa (CLDR: arabext): the quantity, the renewal count and the amounts use digits U+06F0-9."""
    line = {"id": "pro-licence", "price": "12.50", "quantity": 2}
    line["subscription"] = {"interval": "month", "interval_count": 3}
    link = _issue(client, auth, locale="fa", products=[line])
    html = client.get(link_path(link["url"])).get_data(as_text=True)
    quantity = re.search(r'<p class="qty">(.*?)</p>', html)
    renews = re.search(r'<p class="subscription">(.*?)</p>', html)
    assert quantity is not None
    assert renews is not None
    assert quantity.group(1).startswith("\u06f2 \u00d7"), quantity.group(1)
    assert "\u06f1\u06f2\u066b\u06f5\u06f0" in quantity.group(1), "12.50 as Persian writes it"
    assert "\u06f3" in renews.group(1)
    assert not re.search(r"[0-9]", re.sub(r"<[^>]+>", "", quantity.group(1) + renews.group(1)))


def test_the_sellers_and_customers_texts_are_isolated_for_direction(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    """On an Arabic page the seller's name, a line's texts, its property keys and the customer's
    address each read in their own direction, without turning the Arabic sentence around them."""
    answer = client.patch("/api/v1/account", json={"display_name": "Ruiz GmbH"}, headers=auth)
    assert answer.status_code == 200, answer.get_json()
    lines = [
        {
            "id": "pro-licence",
            "price": "10.00",
            "description": "Support as listed in annex A.",
            "properties": {"seats": "25"},
        }
    ]
    link = _issue(client, auth, locale="ar", products=lines)
    path = link_path(link["url"])
    html = client.get(path).get_data(as_text=True)
    assert '<span class="seller-name" dir="auto">Ruiz GmbH</span>' in html
    assert '<p class="description" dir="auto">Support as listed in annex A.</p>' in html
    # The colon after the key is the page's (CSS ::after, outside the isolated key).
    assert '<dt><bdi class="text">seats</bdi></dt><dd dir="auto">25</dd>' in html
    assert '<bdi class="text">Ruiz GmbH</bdi>' in html  # in "Sold by …"
    assert 'id="f-city" name="city" type="text"' in html
    assert re.search(r'id="f-city"[^>]*dir="auto"', html), "what the customer types, too"
    client.post(f"/api/v1/links/{link['id']}/revoke", headers=auth)
    gone = client.get(path).get_data(as_text=True)
    assert re.search(r"<p>[^<]*<bdi class=\"text\">Ruiz GmbH</bdi>[^<]*</p>", gone)


def test_the_expired_page_says_the_time_and_its_zone(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    """ "Could be used until" gives the date, the time and the zone, not a bare day."""
    link = _issue(client, auth, locale="en", expires_in=1)
    time.sleep(1.05)
    html = client.get(link_path(link["url"])).get_data(as_text=True)
    sentence = re.search(r"This link could be used until ([^<]+)\.</p>", html)
    assert sentence, "the expired sentence"
    assert re.search(r"\d{1,2}:\d{2}\u202f[AP]M Coordinated Universal Time$", sentence.group(1))


def _options(html: str, name: str) -> list[str]:
    select = re.search(rf'<select id="f-{name}".*?</select>', html, flags=re.S)
    assert select, f"no select for {name}"
    return re.findall(r"<option[^>]*>([^<]*)</option>", select.group(0))


def test_the_emirate_is_chosen_from_a_list_named_in_the_pages_language(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    """The Emirates' region is a select of its seven emirates, sorted, in Arabic on an Arabic
    page and in Latin letters elsewhere; the order stores the emirate's Latin name."""
    customer = {"email": "ana@example.com", "country": "AE"}
    arabic = _issue(client, auth, locale="ar", customer=customer)
    html = client.get(link_path(arabic["url"])).get_data(as_text=True)
    assert _options(html, "region")[0] == ""
    assert set(_options(html, "region")[1:]) == {
        "أبو ظبي",
        "الشارقة",
        "الفجيرة",
        "ام القيوين",
        "دبي",
        "رأس الخيمة",
        "عجمان",
    }
    english = _issue(client, auth, locale="en", customer=customer)
    path = link_path(english["url"])
    html = client.get(path).get_data(as_text=True)
    assert _options(html, "region")[1:] == [
        "Abu Dhabi",
        "Ajman",
        "Dubai",
        "Fujairah",
        "Ras al Khaimah",
        "Sharjah",
        "Umm Al Quwain",
    ]
    form = {"csrf_token": csrf_of(html), **customer, "address": "Sheikh Zayed Rd 1"}
    refused = client.post(path, data={**form, "region": "Atlantis"})
    assert refused.status_code == 422
    assert 'id="e-region"' in refused.get_data(as_text=True)
    placed = client.post(path, data={**form, "region": "Dubai"})
    assert placed.status_code == 303, placed.get_data(as_text=True)
    orders = client.get("/api/v1/orders", headers=auth).get_json()["items"]
    assert orders[0]["customer"]["region"] == "Dubai"


def test_a_region_prefilled_by_any_of_its_names_is_selected(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    """A link whose customer says "california" shows California selected (stored as "CA")."""
    customer = {"email": "ana@example.com", "country": "US", "region": "california"}
    html = client.get(link_path(_issue(client, auth, customer=customer)["url"])).get_data(
        as_text=True
    )
    assert '<option value="CA" selected>California</option>' in html


def test_a_persian_cart_with_choices_writes_its_counts_in_persian_digits(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    """On the choices page too, a fixed line's "2 x price" uses Persian digits in fa."""
    line = {"id": "pro-licence", "price": "12.50", "quantity": 2}
    link = _issue(client, auth, locale="fa", products=[line], optional_items=[{"id": "kit"}])
    html = client.get(link_path(link["url"])).get_data(as_text=True)
    quantity = re.search(r'<p class="qty">(.*?)</p>', html)
    assert quantity is not None
    assert quantity.group(1).startswith("\u06f2 \u00d7"), quantity.group(1)
