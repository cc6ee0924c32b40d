"""The shipped gettext catalogs: complete, current, compiled, true to placeholders and plurals."""

from __future__ import annotations

import re
from gettext import c2py
from pathlib import Path

import pytest
from babel import Locale
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po

from checkout_links.core.i18n.catalogs import DIRECTORY, babel_name
from checkout_links.core.i18n.locales import PARENTS, SUPPORTED, cldr_name

ROOT = Path(__file__).resolve().parents[4]
TRANSLATED = [tag for tag in SUPPORTED if tag != "en"]
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")
KEYWORDS = {
    "N_": None,
    "N_plural": (1, 2),
    "Nn_": (1, 2),
    "_": None,
    "gettext": None,
    "words": None,
}


def _template() -> Catalog:
    with (DIRECTORY / "messages.pot").open("rb") as handle:
        return read_po(handle)


def _po(tag: str) -> Catalog:
    path = DIRECTORY / babel_name(tag) / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        pytest.fail(f"no catalog for {tag}: {path.relative_to(ROOT)}")
    with path.open("rb") as handle:
        return read_po(handle, locale=cldr_name(tag))


def _chain(tag: str) -> list[str]:
    """``tag`` and the catalogs it falls back to (``zh-HK``, ``zh-TW``), English left out."""
    chain = [tag]
    while chain[-1] in PARENTS:
        chain.append(PARENTS[chain[-1]])
    return [t for t in chain if t != "en"]


def _strings(message: Message) -> tuple[str, ...]:
    return message.string if isinstance(message.string, tuple) else (message.string,)


def _written(message: Message) -> bool:
    """Whether the entry holds a translation (not left empty for the parent to give)."""
    return any(s.strip() for s in _strings(message))


def _ids(catalog: Catalog) -> set[str | tuple[str, ...]]:
    return {message.id for message in catalog if message.id}


def _extracted() -> set[str | tuple[str, ...]]:
    """The messages the sources hold now, extracted as babel.cfg says."""
    found: set[str | tuple[str, ...]] = set()
    method_map = [
        ("checkout_links/core/**.py", "python"),
        ("checkout_links/web/**.py", "python"),
        ("checkout_links/worker/receipts/**.py", "python"),
        ("checkout_links/web/templates/**.html", "jinja2"),
    ]
    options = {"checkout_links/web/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    for _, _, message, _, _ in extract_from_dir(
        str(ROOT), method_map, options, keywords=KEYWORDS | {"ngettext": (1, 2)}
    ):
        found.add(message)
    return {m for m in found if m}


def test_the_template_holds_exactly_the_messages_of_the_sources() -> None:
    """messages.pot is current: re-extracting the code and templates gives the same messages."""
    extracted = _extracted()
    template = _ids(_template())
    assert extracted - template == set(), "run the pybabel extract in docs/checkout.md"
    assert template - extracted == set(), "the template keeps messages no page uses"


def test_every_catalog_on_disk_is_a_supported_locale_and_every_locale_has_one() -> None:
    """The catalog directories are exactly the supported locales but English (no stray spelling)."""
    on_disk = {path.name for path in DIRECTORY.iterdir() if path.is_dir()}
    wanted = {babel_name(tag) for tag in TRANSLATED}
    assert on_disk - wanted == set(), "a catalog directory no locale reads"
    assert wanted - on_disk == set(), "a supported locale without a catalog"


@pytest.mark.parametrize("tag", TRANSLATED)
def test_every_message_is_translated_by_the_locale_or_the_parent_it_inherits_from(
    tag: str,
) -> None:
    """Each locale translates every template message itself or through its parent; none is fuzzy.

    A regional catalog (``es-419``) leaves empty what its parent (``es``) says
    the same way; ``en-GB`` may leave an entry to English itself.
    """
    template = _ids(_template())
    chain = _chain(tag)
    catalogs = [_po(t) for t in chain]
    missing = template - _ids(catalogs[0])
    assert missing == set(), f"{tag} lacks {sorted(map(str, missing))[:5]} (run pybabel update)"
    for message in catalogs[0]:
        if message.id:
            assert not message.fuzzy, f"{tag}: fuzzy {message.id!r}"
    for msgid in template:
        found = [c[msgid] for c in catalogs if c.get(msgid) is not None]
        written = [m for m in found if _written(m)]
        if written:
            assert all(s.strip() for s in _strings(written[0])), f"{tag}: a form of {msgid!r}"
        else:
            assert PARENTS.get(chain[-1]) == "en", f"{tag}: untranslated {msgid!r}"


@pytest.mark.parametrize("tag", sorted(PARENTS))
def test_a_regional_catalog_holds_only_the_words_that_differ_from_its_parent(tag: str) -> None:
    """es-419, fr-CA, en-GB, pt and zh-HK repeat none of their parent's translations.

    A plural is repeated on purpose where the plural rules differ: pt (Portugal:
    one is 1) over pt-BR (one is 0 and 1).
    """
    variant, parent = _po(tag), PARENTS[tag]
    rule = variant.plural_expr if parent == "en" else _po(parent).plural_expr
    said = {} if parent == "en" else {m.id: m.string for m in _po(parent) if m.id and _written(m)}
    for message in variant:
        if not message.id or not _written(message):
            continue
        if isinstance(message.id, tuple) and rule != variant.plural_expr:
            continue
        english = message.id if parent == "en" else said.get(message.id)
        assert _strings(message) != _strings_of(english), f"{tag} repeats {message.id!r}"


def _strings_of(value: object) -> tuple[str, ...]:
    if isinstance(value, tuple):
        return value
    return (str(value),) if value is not None else ()


def _forms_for_many_numbers(tag: str) -> dict[int, set[int]]:
    """Which numbers (0..1000) each plural form of the locale stands for, by CLDR's rule."""
    choose = c2py(Catalog(locale=Locale.parse(cldr_name(tag))).plural_expr)
    forms: dict[int, set[int]] = {}
    for n in range(1001):
        forms.setdefault(int(choose(n)), set()).add(n)
    return forms


def _placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


@pytest.mark.parametrize("tag", TRANSLATED)
def test_translations_keep_the_placeholders_and_have_every_plural_form(tag: str) -> None:
    """Each translation uses exactly its message's placeholders; plurals have the locale's forms.

    A plural form may leave out ``%(num)d`` only when it stands for a single
    number (Arabic's "one" and "two"); any form used for several numbers names it.
    """
    catalog = _po(tag)
    expected_forms = get_plural(cldr_name(tag)).num_plurals
    assert catalog.num_plurals == expected_forms, f"{tag}: Plural-Forms header"
    header_rule = c2py(catalog.plural_expr)
    uses = _forms_for_many_numbers(tag)
    for form, numbers in uses.items():
        assert {int(header_rule(n)) for n in numbers} == {form}, f"{tag}: Plural-Forms rule"
    for message in catalog:
        if not message.id or not _written(message):
            continue
        if isinstance(message.id, tuple):
            _check_plural(tag, message, expected_forms, uses)
        else:
            assert _placeholders(str(message.string)) == _placeholders(message.id), (
                f"{tag}: {message.id!r} -> {message.string!r}"
            )


def _check_plural(tag: str, message: Message, count: int, uses: dict[int, set[int]]) -> None:
    strings = message.string
    assert isinstance(strings, tuple)
    assert len(strings) == count, f"{tag}: {message.id[0]!r} has {len(strings)} of {count} forms"
    wanted = _placeholders(message.id[1])
    for index, text in enumerate(strings):
        got = _placeholders(text)
        assert got <= wanted, f"{tag}: form {index} of {message.id[0]!r} has {got - wanted}"
        if len(uses.get(index, set())) > 1:
            assert got == wanted, f"{tag}: form {index} of {message.id[0]!r} needs {wanted}"


def _key(value: object) -> object:
    """A message id or string comparable across readers (plurals as tuples)."""
    return tuple(value) if isinstance(value, list | tuple) else value


@pytest.mark.parametrize("tag", TRANSLATED)
def test_the_committed_mo_files_are_the_compiled_po_files(tag: str) -> None:
    """Each .mo (what the service reads) holds exactly its .po's translations."""
    source = _po(tag)
    path = DIRECTORY / babel_name(tag) / "LC_MESSAGES" / "messages.mo"
    assert path.exists(), f"{tag}: run pybabel compile (docs/checkout.md)"
    with path.open("rb") as handle:
        compiled = read_mo(handle)
    as_built = {_key(m.id): _key(m.string) for m in compiled if m.id}
    as_written = {_key(m.id): _key(m.string) for m in source if m.id and _written(m)}
    # pybabel compile writes an empty plural with its English msgids (the
    # service forgets those in a regional catalog, so its parent speaks).
    left = {_key(m.id) for m in source if isinstance(m.id, tuple) and not _written(m)}
    assert all(set(as_built.pop(key)) <= set(key) for key in left if key in as_built), tag
    assert as_built == as_written, f"{tag}: the .mo is stale; run pybabel compile"


def test_the_package_ships_the_catalogs() -> None:
    """pyproject's package data includes the compiled catalogs, so an install has them."""
    text = (ROOT / "pyproject.toml").read_text()
    assert '"translations/*/LC_MESSAGES/*.mo"' in text
