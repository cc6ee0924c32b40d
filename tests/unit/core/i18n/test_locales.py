"""Which locale a page speaks and formats in (checkout_links.core.i18n.locales)."""

from __future__ import annotations

import pytest

from checkout_links.core.i18n.locales import (
    accept_language,
    browser_country,
    issued_locale,
    negotiate,
)
from checkout_links.core.money import format_money


def test_the_link_locale_wins_then_the_customer_then_the_browser_then_the_merchant() -> None:
    """Each source decides only when every earlier one is absent."""
    assert negotiate("fr", "de", "es", "it").words == "fr"
    assert negotiate(None, "de", "es", "it").words == "de"
    assert negotiate(None, None, "es", "it").words == "es"
    assert negotiate(None, None, None, "it").words == "it"
    assert negotiate(None, None, None, None).words == "en"


def test_a_locale_without_a_catalog_keeps_its_exact_formats_with_its_parents_words() -> None:
    """de-CH: German words, Swiss numbers; zh-TW: English words, Taiwanese formats."""
    swiss = negotiate("de-CH", None, None, None)
    assert (swiss.words, swiss.format, swiss.lang) == ("de", "de-CH", "de-CH")
    assert format_money("1234.50", "CHF", swiss.babel) == "CHF\xa01'234.50"
    assert format_money("1234.50", "CHF", negotiate("de", None, None, None).babel) == (
        "1.234,50\xa0CHF"
    )
    taiwan = negotiate("zh-TW", None, "de", None)
    assert (taiwan.words, taiwan.lang) == ("en", "en"), "the link decides, even without a catalog"
    assert negotiate("zh-CN", None, None, None).words == "zh-Hans"
    assert negotiate("pt-BR", None, None, None).words == "pt"
    assert negotiate("no", None, None, None).words == "nb"


def test_the_browser_list_is_read_by_quality_and_skips_languages_without_words() -> None:
    """Accept-Language: highest q first, q=0 dropped; an unshipped language passes to the next."""
    assert accept_language("da;q=0.5, sv, fi;q=0") == ("sv", "da")
    assert negotiate(None, None, "gsw-CH, zh-TW;q=0.9, ja;q=0.8", "de").words == "ja"
    assert negotiate(None, None, "xx-invalid-!!, ;q=x", "de").words == "de"
    assert browser_country("de-AT,de;q=0.9") == "AT"
    assert browser_country("de") == ""


@pytest.mark.parametrize(
    ("tag", "rtl"), [("ar", True), ("he", True), ("ar-EG", True), ("de", False)]
)
def test_arabic_and_hebrew_pages_read_right_to_left(tag: str, rtl: bool) -> None:
    """ar and he (any region) are right-to-left; others are not."""
    assert negotiate(tag, None, None, None).rtl is rtl


def test_the_issued_locale_is_the_catalog_the_page_will_use() -> None:
    """POST /links reports the words locale: the parent for de-AT, English for zh-TW."""
    assert issued_locale("de-AT", None, None) == "de"
    assert issued_locale("zh-TW", None, None) == "en"
    assert issued_locale(None, "uk", "de") == "uk"
    assert issued_locale(None, None, "ko") == "ko"
