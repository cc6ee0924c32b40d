"""Which locale a page speaks and formats in (checkout_links.core.i18n.locales)."""

from __future__ import annotations

import pytest

from checkout_links.core.i18n.catalogs import catalog
from checkout_links.core.i18n.locales import (
    accept_language,
    browser_country,
    issued_locale,
    negotiate,
    words_for,
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
    """de-CH: German words, Swiss numbers; sw: English words, Swahili formats."""
    swiss = negotiate("de-CH", None, None, None)
    assert (swiss.words, swiss.format, swiss.lang) == ("de", "de-CH", "de-CH")
    assert format_money("1234.50", "CHF", swiss.babel) == "CHF\xa01'234.50"
    assert format_money("1234.50", "CHF", negotiate("de", None, None, None).babel) == (
        "1.234,50\xa0CHF"
    )
    swahili = negotiate("sw-KE", None, "de", None)
    assert (swahili.words, swahili.lang, swahili.babel) == ("en", "en", "sw_KE"), (
        "the link decides, even without a catalog"
    )


@pytest.mark.parametrize(
    ("tag", "words"),
    [
        ("zh", "zh-Hans"),
        ("zh-CN", "zh-Hans"),
        ("zh-SG", "zh-Hans"),
        ("zh-Hans-HK", "zh-Hans"),
        ("zh-Hant", "zh-TW"),
        ("zh-TW", "zh-TW"),
        ("zh-HK", "zh-HK"),
        ("zh-MO", "zh-HK"),
        ("pt", "pt"),
        ("pt-PT", "pt"),
        ("pt-AO", "pt"),
        ("pt-BR", "pt-BR"),
        ("es", "es"),
        ("es-ES", "es"),
        ("es-MX", "es-419"),
        ("es-AR", "es-419"),
        ("es-US", "es-419"),
        ("es-419", "es-419"),
        ("en", "en"),
        ("en-US", "en"),
        ("en-GB", "en-GB"),
        ("en-IE", "en-GB"),
        ("en-AU", "en-GB"),
        ("fr-CA", "fr-CA"),
        ("fr-BE", "fr"),
        ("no", "nb"),
        ("nn-NO", "nb"),
        ("iw", "he"),
        ("tl", "fil"),
        ("in", "id"),
        ("fa-IR", "fa"),
        ("sw", None),
    ],
)
def test_aliases_and_regions_reach_the_catalog_a_reader_of_them_expects(
    tag: str, words: str | None
) -> None:
    """Regions go to their CLDR parent's catalog (es-MX -> es-419), scripts pick zh's."""
    assert words_for(tag) == words


@pytest.mark.parametrize(
    ("tag", "lang", "babel"),
    [
        ("pt", "pt", "pt_PT"),
        ("pt-BR", "pt-BR", "pt_BR"),
        ("zh-HK", "zh-HK", "zh_Hant_HK"),
        ("zh-Hant-TW", "zh-Hant-TW", "zh_Hant_TW"),
        ("es-MX", "es-MX", "es_MX"),
        ("zh", "zh", "zh"),
    ],
)
def test_the_page_names_the_locale_as_asked_and_formats_with_its_cldr_data(
    tag: str, lang: str, babel: str
) -> None:
    """<html lang> keeps the asked spelling; our bare pt (Portugal's) formats as CLDR's pt_PT."""
    locale = negotiate(tag, None, None, None)
    assert (locale.lang, locale.babel) == (lang, babel)


def test_a_regional_catalog_falls_back_to_its_parent_for_the_words_it_shares() -> None:
    """es-419 without an entry of its own says what es says, also for plurals, never English."""
    spanish, latin = catalog("es"), catalog("es-419")
    assert latin.gettext("Order summary") == spanish.gettext("Order summary") != "Order summary"
    days = ("Renews every day", "Renews every %(num)d days")
    assert latin.ngettext(*days, 3) == spanish.ngettext(*days, 3) != days[1]
    portugal, brazil = catalog("pt"), catalog("pt-BR")
    assert portugal.gettext("Discount") == brazil.gettext("Discount") != "Discount"
    assert portugal.gettext("Order summary") != brazil.gettext("Order summary"), "its own words"


def test_the_browser_list_is_read_by_quality_and_skips_languages_without_words() -> None:
    """Accept-Language: highest q first, q=0 dropped; an unshipped language passes to the next."""
    assert accept_language("da;q=0.5, sv, fi;q=0") == ("sv", "da")
    assert negotiate(None, None, "gsw-CH, sw;q=0.9, ja;q=0.8", "de").words == "ja"
    assert negotiate(None, None, "xx-invalid-!!, ;q=x", "de").words == "de"
    assert browser_country("de-AT,de;q=0.9") == "AT"
    assert browser_country("de") == ""
    assert negotiate("es-419", None, None, None).territory == "", "419 is no country"


@pytest.mark.parametrize(
    ("tag", "rtl"),
    [("ar", True), ("he", True), ("ar-EG", True), ("fa", True), ("iw", True), ("de", False)],
)
def test_arabic_persian_and_hebrew_pages_read_right_to_left(tag: str, rtl: bool) -> None:
    """ar, fa and he (any region) are right-to-left; others are not."""
    assert negotiate(tag, None, None, None).rtl is rtl


def test_the_issued_locale_is_the_catalog_the_page_will_use() -> None:
    """POST /links reports the words locale: de for de-AT, es-419 for es-MX, English for sw."""
    assert issued_locale("de-AT", None, None) == "de"
    assert issued_locale("es-MX", None, None) == "es-419"
    assert issued_locale("sw", None, None) == "en"
    assert issued_locale(None, "uk", "de") == "uk"
    assert issued_locale(None, None, "ko") == "ko"
