"""Rendering the customer pages: the seller, the locale, the error pages.

A view that knows the link remembers its locale and seller for the request
(:func:`remember`), so an error page raised later in that request speaks the
link's language and names its seller; other error pages follow the
browser's ``Accept-Language``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from flask import current_app, g, request
from markupsafe import Markup

from checkout_links.core.errors import CheckoutError
from checkout_links.core.i18n.locales import PageLocale, negotiate
from checkout_links.core.i18n.times import format_moment
from checkout_links.core.merchants.account import Seller, seller_of
from checkout_links.core.records import Merchant
from checkout_links.core.services import Services
from checkout_links.web.customer.i18n import catalog, isolate
from checkout_links.web.customer.state_pages import PAYMENT_SENTENCES, STATES, kind_of

_SELLERS: dict[str, tuple[Merchant, Seller]] = {}


def seller(svc: Services, merchant_id: str) -> Seller:
    """The seller of ``merchant_id`` (the merchant record is cached by ``Merchants``).

    Rebuilt only when ``Merchants`` hands out another record object (the
    record is kept with it, so an identity check cannot be fooled by a reused id).
    """
    record = svc.merchants.get(merchant_id)
    hit = _SELLERS.get(merchant_id)
    if hit is not None and hit[0] is record:
        return hit[1]
    built = seller_of(record)
    if len(_SELLERS) > 10_000:
        _SELLERS.clear()
    _SELLERS[merchant_id] = (record, built)
    return built


def remember(locale: PageLocale, page_seller: Seller | None) -> None:
    """Keep this request's locale and seller for an error page."""
    g.checkout_page = (locale, page_seller)


def render(name: str, locale: PageLocale, page_seller: Seller | None, **context: Any) -> str:
    """Render a customer page straight from the app's Jinja environment.

    Flask's ``render_template`` would also run the context processors (which
    open the session) and send two signals, a tenth of the cart page's time;
    these pages need only ``request`` (for the script root) from it.
    """
    template = current_app.jinja_env.get_template(name)
    return str(
        template.render(
            request=request,
            locale=locale,
            seller=page_seller,
            translations=catalog(locale.words),
            **context,
        )
    )


#: Marks where a cached page frame takes the per-request parts (not changed by escaping).
_SLOT = re.compile("\x01(\\w+)\x01")
Frame = tuple[tuple[str, ...], tuple[str, ...]]
_FRAMES: dict[tuple[Any, ...], tuple[Seller | None, Frame]] = {}


def _frame(
    name: str, locale: PageLocale, page_seller: Seller | None, slots: tuple[str, ...]
) -> Frame:
    """The page rendered once with markers in its slots, cut into literals and slot names.

    Keyed by the seller's identity (:func:`seller` hands out one object per merchant
    record): hashing its dozen fields on every page cost more than the look-up.
    The entry keeps its seller, so the id cannot be reused while the entry lives.
    """
    key = (name, locale, id(page_seller), request.script_root, slots)
    hit = _FRAMES.get(key)
    if hit is not None and hit[0] is page_seller:
        return hit[1]
    markers = {slot: Markup(f"\x01{slot}\x01") for slot in slots}  # noqa: S704
    parts = _SLOT.split(render(name, locale, page_seller, **markers))
    frame = (tuple(parts[0::2]), tuple(parts[1::2]))
    if len(_FRAMES) > 10_000:
        _FRAMES.clear()
    _FRAMES[key] = (page_seller, frame)
    return frame


def render_framed(name: str, locale: PageLocale, page_seller: Seller | None, **parts: str) -> str:
    """``render`` for a page whose only variable parts are ``parts`` (HTML, escaped).

    The template (its translated words, the seller) is rendered once per
    locale, seller and part names; each page is then a join of the cached
    frame with this request's parts. The cart page is the hot path: a Jinja
    render with its two dozen translated strings cost a third of it.
    """
    literals, slots = _frame(name, locale, page_seller, tuple(sorted(parts)))
    out = [literals[0]]
    for slot, literal in zip(slots, literals[1:], strict=True):
        out.append(parts[slot])
        out.append(literal)
    return "".join(out)


def error_page(exc: CheckoutError) -> str:
    """The page of an error: its state's heading and sentences, in the page's words."""
    remembered = g.get("checkout_page")
    if remembered is not None:
        locale, page_seller = remembered
    else:
        locale = negotiate(None, None, request.headers.get("Accept-Language"), None)
        page_seller = None
    kind = kind_of(exc.status, getattr(exc, "reason", None))
    if kind == "not_found" and not request.path.startswith("/c/"):
        kind = "page_not_found"
    state = STATES[kind]
    t = catalog(locale.words)
    params: dict[str, str] = {}
    if page_seller is not None:
        params["seller"] = isolate(page_seller.name)
    expires_at = getattr(exc, "expires_at", None)
    if expires_at is not None:
        # The page does not know where the customer is: the time in UTC, which says so.
        moment = datetime.fromtimestamp(expires_at, UTC)
        params["date"] = format_moment(moment, UTC, locale.babel)
    # Each sentence is escaped, then filled with its (escaped, isolated) values.
    sentences = [Markup.escape(t.gettext(s)) % params for s in state.sentences if _fits(s, params)]
    if page_seller is not None:
        sentences += [
            Markup.escape(t.gettext(s)) % params for s in state.contact if _fits(s, params)
        ]
    # A link that still works (too many attempts, the store away): back to its order page.
    back = request.path if state.back and request.path.startswith("/c/") else None
    # A spent link: the order it produced, and where that order's payment stands.
    number = getattr(exc, "order_number", None)
    status = getattr(exc, "payment_status", None)
    payment = t.gettext(PAYMENT_SENTENCES[status]) if status in PAYMENT_SENTENCES else None
    return render(
        "error.html",
        locale,
        page_seller,
        kind=kind,
        heading=t.gettext(state.heading),
        sentences=sentences,
        order_number=Markup("<strong>{}</strong>").format(number) if number else None,
        payment=payment,
        back_url=back,
    )


def _fits(msgid: str, params: dict[str, str]) -> bool:
    """Whether every placeholder of ``msgid`` has a value (else the sentence is left out)."""
    return all(f"%({name})s" not in msgid for name in ("seller", "date") if name not in params)
