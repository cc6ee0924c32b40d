"""What a receipt says: its subject, a plain-text body and an HTML body, in the order's locale.

The words come from the pages' gettext catalogs (:mod:`checkout_links.core.i18n.catalogs`)
and the amounts from :func:`~checkout_links.core.money.format_money` with the
locale the cart page formats with, so the receipt shows, to the cent and the
character, the totals the customer saw and was charged, each tax (or the
reverse charge) included. The language is the
order's locale (the one its page spoke), through the pages' fallback chain.

Every text from the merchant or the customer is untrusted: the HTML body
escapes it, and each translated sentence is escaped before its (escaped)
values are filled in; each of those texts is isolated for direction
(``dir="auto"`` in the HTML, FSI/PDI, U+2068/U+2069, in the text part), so a
German product name in an Arabic receipt keeps its own order and the
sentence around it its own. The HTML uses inline styles only and sets no
background, so that light and dark mail clients both keep it readable; the
seller's colour is a rule under the header (a border, never text on a
colour), and the logo is the seller's public image as they gave it, linked
to their website, its address never changed per customer (no tracking). The
order date is the customer's local time where their country keeps one clock
(:mod:`checkout_links.core.i18n.times`), else UTC, the zone named.
"""

from __future__ import annotations

import gettext
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from html import escape

from checkout_links.core.checkout.address import address_lines, rules
from checkout_links.core.i18n import line_words
from checkout_links.core.i18n.catalogs import catalog
from checkout_links.core.i18n.locales import PageLocale, negotiate
from checkout_links.core.i18n.times import format_moment, zone_of
from checkout_links.core.i18n.translatable import N_
from checkout_links.core.merchants.account import Seller
from checkout_links.core.money import format_money
from checkout_links.core.primitives import digits
from checkout_links.core.records import Order
from checkout_links.core.tax.words import REVERSE_CHARGE, TAX_ADDED, TAX_INCLUDED, percent_text

# Translators: the subject of the receipt email; %(seller)s is the shop's name.
SUBJECT = N_("Your receipt from %(seller)s")
HEADING = N_("Thank you for your order")
# Translators: the receipt email's first sentence; %(seller)s is the shop's name.
INTRO = N_("This is your receipt for the order you placed with %(seller)s.")
# Translators: the subject of the order confirmation email of an order still to be paid
# (not a receipt); %(seller)s is the shop's name.
CONFIRMATION_SUBJECT = N_("Your order with %(seller)s")
# Translators: the order confirmation email's first sentence; %(seller)s is the shop's name.
CONFIRMATION_INTRO = N_("%(seller)s has your order. It is completed once your payment arrives.")
HOW_TO_PAY = N_("How to pay")
# Translators: a label on the receipt: the amount the customer paid.
PAID = N_("Paid")
ORDER_NUMBER = N_("Order number")
ORDER_DATE = N_("Order date")
# Translators: a label and its value on one line of the receipt, e.g. "Total: 19.99 EUR".
LABELLED = N_("%(name)s: %(value)s")
# Translators: one receipt line: quantity times unit price, then the line's amount.
QTY_PRICE_AMOUNT = N_("%(quantity)s \u00d7 %(price)s = %(amount)s")
# Translators: %(seller)s is the shop's name; the customer may answer the receipt email.
REPLY = N_("Questions about your order? Reply to this email to reach %(seller)s.")
# The same words as the pages (one msgid each in the catalogs).
SUMMARY = N_("Order summary")
SUBTOTAL = N_("Subtotal")
DISCOUNT = N_("Discount")
TOTAL = N_("Total")
CONTACT = N_("How to reach %(seller)s")
EMAIL = N_("Email:")
SUPPORT = N_("Help and support")
TERMS = N_("Terms of service")
PRIVACY = N_("Privacy policy")
SOLD_BY = N_("Sold by %(seller)s")
YOUR_DETAILS = N_("Your details")
DELIVERY_ADDRESS = N_("Delivery address")
BILLING_ADDRESS = N_("Billing address")
EMAIL_ADDRESS = N_("Email address")
PHONE_NUMBER = N_("Phone number")
COMPANY = N_("Company")
VAT_ID = N_("VAT ID: %(vat_id)s")
# The heading of the answers to the seller's questions (a link's custom fields), as on the pages.
ANSWERS = N_("Additional information")

#: Secondary text: 4.5:1 or more on white and on black, so on light and dark clients.
_MUTED = "#767676"
_RULE = "1px solid #8a8a8a"


@dataclass(frozen=True, slots=True)
class ReceiptContent:
    """A receipt's subject and bodies, and the language they are in."""

    subject: str
    text: str
    html: str
    lang: str
    rtl: bool


@dataclass(frozen=True, slots=True)
class _Row:
    name: str
    properties: tuple[tuple[str, str], ...]
    renews: str | None
    #: The count in the locale's digits (Persian for fa), as the amounts are.
    quantity: str
    price: str
    amount: str


@dataclass(frozen=True, slots=True)
class _Facts:
    """Everything a receipt shows, already translated and formatted (not yet escaped)."""

    t: gettext.NullTranslations
    locale: PageLocale
    seller: Seller
    #: The order number the customer reads (the id of orders from before numbers).
    order_id: str
    date: str
    rows: tuple[_Row, ...]
    #: (label, amount) of the subtotal and each discount; empty without discounts.
    discounts: tuple[tuple[str, str], ...]
    total: str
    #: (label, amount) of each tax, e.g. ("plus VAT 20%", "5.00 EUR"); empty without.
    taxes: tuple[tuple[str, str], ...] = ()
    #: The reverse-charge sentence when it applies.
    reverse_charge: str | None = None
    #: (label, value) of the customer's contact details, as they gave them.
    details: tuple[tuple[str, str], ...] = ()
    #: How many of the details come first and always read left to right (email, phone).
    ltr_details: int = 0
    #: The address heading (delivery or billing) and the address's lines, or nothing.
    address_heading: str = ""
    address: tuple[str, ...] = ()
    #: Where the physical items go (the "Delivery address" heading and its lines), or nothing.
    delivery_heading: str = ""
    delivery: tuple[str, ...] = ()
    #: (label, answer) of each custom field answered, as the customer read them.
    answers: tuple[tuple[str, str], ...] = ()
    #: A manual order awaiting payment: the seller's instructions (the email is then an
    #: order confirmation, not a receipt).
    instructions: str | None = None
    #: What was paid, formatted, once paid through the service; else ``None``.
    paid: str | None = None

    def words(self, msgid: str, **params: str | int) -> str:
        text = self.t.gettext(msgid)
        return text % params if params else text


def locale_of(order: Order, seller: Seller) -> PageLocale:
    """The receipt's locale: the order's (its page's), else as the pages fall back."""
    return negotiate(order.locale, order.customer.language or None, None, seller.default_locale)


def _facts(order: Order, seller: Seller, instructions: str | None) -> _Facts:
    locale = locale_of(order, seller)
    t = catalog(locale.words)

    def money(amount: Decimal) -> str:
        return format_money(amount, order.currency, locale.babel)

    rows = []
    for line in order.lines:
        renews = None
        forms = line_words.RENEWS.get(line.subscription.interval) if line.subscription else None
        if line.subscription and forms:
            count = line.subscription.interval_count
            renews = t.ngettext(forms[0], forms[1], count) % {"num": count}
            renews = digits.native(renews, locale.babel)
        rows.append(
            _Row(
                name=line.name,
                properties=tuple(line.properties.items()),
                renews=renews,
                quantity=digits.native(str(int(line.quantity)), locale.babel),
                price=money(line.price),
                amount=money(line.amount),
            )
        )
    discounts: list[tuple[str, str]] = []
    if order.discounts and isinstance(order.subtotal, Decimal):
        discounts.append((t.gettext(SUBTOTAL), money(order.subtotal)))
        for discount in order.discounts:
            label = discount.label or t.gettext(DISCOUNT)
            discounts.append((label, "\u2212" + money(discount.amount)))
    wording = TAX_INCLUDED if order.prices_include_tax else TAX_ADDED
    taxes = tuple(
        (
            t.gettext(wording)
            % {"tax": row.display_name, "percent": percent_text(row.percent, locale.babel)},
            money(row.amount),
        )
        for row in order.tax
    )
    created = datetime.fromisoformat(order.created_at).astimezone(UTC)
    customer = order.customer
    details = [
        (t.gettext(label), value)
        for label, value in (
            (EMAIL_ADDRESS, customer.email),
            (PHONE_NUMBER, customer.phone),
            (COMPANY, customer.company),
            (rules(customer.country).tax_label, customer.tax_id),
        )
        if value
    ]
    ltr = sum(1 for value in (customer.email, customer.phone) if value)
    physical = any(line.delivery == "physical" for line in order.lines)
    where = order.delivery_address
    payment = order.payment
    return _Facts(
        t=t,
        locale=locale,
        seller=seller,
        order_id=order.number or order.id,
        date=format_moment(created, zone_of(customer.country, created), locale.babel),
        rows=tuple(rows),
        discounts=tuple(discounts),
        total=money(order.total),
        taxes=taxes,
        reverse_charge=t.gettext(REVERSE_CHARGE) if order.reverse_charge else None,
        details=tuple(details),
        ltr_details=ltr,
        # An order from before delivery addresses: its one address is where it goes.
        address_heading=t.gettext(
            DELIVERY_ADDRESS if physical and where is None else BILLING_ADDRESS
        ),
        address=address_lines(customer, locale.babel),
        delivery_heading=t.gettext(DELIVERY_ADDRESS),
        delivery=address_lines(where, locale.babel) if where is not None else (),
        answers=tuple((row.label, row.text) for row in order.custom_field_rows),
        instructions=instructions,
        paid=money(payment.amount_paid)
        if payment is not None
        and payment.provider != "none"
        and payment.status != "pending"
        and payment.paid_at is not None
        else None,
    )


def _contact_lines(f: _Facts) -> list[tuple[str, str]]:
    """(label, target) of the seller's contact and policies: mailto: or https."""
    s = f.seller
    out = []
    if s.support_email:
        out.append((f.words(EMAIL), "mailto:" + s.support_email))
    for url, label in ((s.support_url, SUPPORT), (s.terms_url, TERMS), (s.privacy_url, PRIVACY)):
        if url:
            out.append((f.words(label), url))
    return out


def _iso(text: str) -> str:
    """The seller's or customer's text isolated for direction in plain text (FSI ... PDI)."""
    return f"\u2068{text}\u2069"


def _text(f: _Facts) -> str:
    seller = _iso(f.seller.name)
    intro = CONFIRMATION_INTRO if f.instructions is not None else INTRO
    out = [f.words(HEADING), "", f.words(intro, seller=seller), ""]
    out.append(f.words(LABELLED, name=f.words(ORDER_NUMBER), value=f.order_id))
    out += [f.words(LABELLED, name=f.words(ORDER_DATE), value=f.date), "", f.words(SUMMARY), ""]
    for row in f.rows:
        out.append(_iso(row.name))
        out += ["  " + f.words(LABELLED, name=_iso(k), value=_iso(v)) for k, v in row.properties]
        if row.renews:
            out.append("  " + row.renews)
        amounts = f.words(
            QTY_PRICE_AMOUNT, quantity=row.quantity, price=row.price, amount=row.amount
        )
        out += ["  " + amounts, ""]
    out += [f.words(LABELLED, name=_iso(label), value=amount) for label, amount in f.discounts]
    out += [f.words(LABELLED, name=label, value=amount) for label, amount in f.taxes]
    out += [f.words(LABELLED, name=f.words(TOTAL), value=f.total), ""]
    if f.reverse_charge:
        out += [f.reverse_charge, ""]
    if f.paid is not None:
        out += [f.words(LABELLED, name=f.words(PAID), value=f.paid), ""]
    if f.instructions is not None:
        out += [f.words(HOW_TO_PAY), "", f.instructions, ""]
    if f.details or f.address:
        out.append(f.words(YOUR_DETAILS))
        out += ["  " + f.words(LABELLED, name=k, value=_iso(v)) for k, v in f.details]
        out.append("")
    if f.address:
        out.append(f.address_heading)
        out += ["  " + _iso(line) for line in f.address]
        out.append("")
    if f.delivery:
        out.append(f.delivery_heading)
        out += ["  " + _iso(line) for line in f.delivery]
        out.append("")
    if f.answers:
        out.append(f.words(ANSWERS))
        out += ["  " + f.words(LABELLED, name=_iso(k), value=_iso(v)) for k, v in f.answers]
        out.append("")
    if f.seller.support_email:
        out += [f.words(REPLY, seller=seller), ""]
    contact = _contact_lines(f)
    if contact:
        out.append(f.words(CONTACT, seller=seller))
        out += [f"  {label} {target.removeprefix('mailto:')}" for label, target in contact]
        out.append("")
    if f.seller.website_url:
        out += [f.seller.website_url, ""]
    out.append(f.words(SOLD_BY, seller=seller))
    out += [_iso(line) for line in _legal_lines(f)]
    return "\n".join(out) + "\n"


def _legal_lines(f: _Facts) -> list[str]:
    """The seller's legal identity, one line each (nothing when none is set)."""
    legal = f.seller.legal
    if legal is None:
        return []
    lines = [legal.name, *legal.address.split("\n")]
    if legal.vat_id:
        lines.append(f.words(VAT_ID, vat_id=legal.vat_id))
    if legal.registration:
        lines.append(legal.registration)
    return lines


def _e(text: str | int) -> str:
    return escape(str(text), quote=True)


def _i(text: str) -> str:
    """The seller's or customer's text, escaped and isolated for direction (HTML)."""
    return f'<span dir="auto">{_e(text)}</span>'


def _sentence(f: _Facts, msgid: str, **values: str) -> str:
    """A translated sentence, escaped, then filled with values already escaped (HTML)."""
    return _e(f.t.gettext(msgid)) % values


def _header(f: _Facts, end: str) -> str:
    """The seller's logo and name over a rule in their colour; linked to their website."""
    brand = f.seller.brand_color or _MUTED
    logo = ""
    if f.seller.logo_url:
        # The seller's own image, as given: the same address for every customer, so no
        # tracking; alt="" as the name beside it says it all when images are blocked.
        logo = (
            f'<img src="{_e(f.seller.logo_url)}" alt="" width="40" height="40" '
            f'style="vertical-align:middle;border:0;margin-{end}:12px;">'
        )
    name = f'<strong style="font-size:18px;vertical-align:middle;">{_i(f.seller.name)}</strong>'
    inner = f"{logo}{name}"
    if f.seller.website_url:
        inner = (
            f'<a href="{_e(f.seller.website_url)}" style="color:inherit;text-decoration:none;">'
            f"{inner}</a>"
        )
    return (
        f'<p style="margin:0 0 20px;padding:0 0 12px;border-bottom:4px solid {brand};">{inner}</p>'
    )


def _details_html(f: _Facts, start: str) -> str:
    if not (f.details or f.address or f.delivery or f.answers):
        return ""
    heading = 'style="font-size:16px;margin:24px 0 8px;"'
    out = []
    if f.details or f.address or f.delivery:
        out.append(f"<h2 {heading}>{_e(f.words(YOUR_DETAILS))}</h2>")
    if f.details:
        # Email and phone read left to right in every language (dir="auto" would leave a
        # phone number, which has no letter, in the page's direction: "+49" at its end).
        items = "<br>".join(
            _sentence(f, LABELLED, name=_e(label), value=f'<span dir="ltr">{_e(value)}</span>')
            if n < f.ltr_details
            else _sentence(f, LABELLED, name=_e(label), value=_i(value))
            for n, (label, value) in enumerate(f.details)
        )
        out.append(f'<p style="margin:0;">{items}</p>')
    if f.address:
        out.append(f"<h2 {heading}>{_e(f.address_heading)}</h2>")
        lines = "<br>".join(_i(line) for line in f.address)
        out.append(f'<address style="font-style:normal;text-align:{start};">{lines}</address>')
    if f.delivery:
        out.append(f"<h2 {heading}>{_e(f.delivery_heading)}</h2>")
        lines = "<br>".join(_i(line) for line in f.delivery)
        out.append(f'<address style="font-style:normal;text-align:{start};">{lines}</address>')
    if f.answers:
        out.append(f"<h2 {heading}>{_e(f.words(ANSWERS))}</h2>")
        items = "<br>".join(
            _sentence(f, LABELLED, name=_i(label), value=_i(value)) for label, value in f.answers
        )
        out.append(f'<p style="margin:0;">{items}</p>')
    return "".join(out)


def _html(f: _Facts) -> str:
    intro = CONFIRMATION_INTRO if f.instructions is not None else INTRO
    start, end = ("right", "left") if f.locale.rtl else ("left", "right")
    lang, direction = _e(f.locale.lang), "rtl" if f.locale.rtl else "ltr"
    seller = _i(f.seller.name)
    brand = f.seller.brand_color or _MUTED
    cell = f"padding:8px 0;border-top:{_RULE};vertical-align:top;"
    rows = []
    for row in f.rows:
        details = "".join(
            f'<div style="color:{_MUTED};font-size:14px;">'
            f"{_sentence(f, LABELLED, name=_i(k), value=_i(v))}</div>"
            for k, v in row.properties
        )
        if row.renews:
            details += f'<div style="color:{_MUTED};font-size:14px;">{_e(row.renews)}</div>'
        qty = _sentence(
            f, line_words.QTY_PRICE, quantity=_e(row.quantity), price=f"<bdi>{_e(row.price)}</bdi>"
        )
        rows.append(
            f'<tr><td style="{cell}text-align:{start};"><strong>{_i(row.name)}</strong>{details}'
            f'<div style="font-size:14px;">{qty}</div></td>'
            f'<td style="{cell}text-align:{end};white-space:nowrap;"><bdi>{_e(row.amount)}</bdi>'
            "</td></tr>"
        )
    totals = [
        f'<tr><td style="padding:4px 0;text-align:{start};">{_i(label)}</td>'
        f'<td style="padding:4px 0;text-align:{end};white-space:nowrap;"><bdi>{_e(amount)}</bdi>'
        "</td></tr>"
        for label, amount in (*f.discounts, *f.taxes)
    ]
    # The total's rule in the seller's colour (a border: it needs no contrast with text).
    rule = f"border-top:3px solid {brand};"
    totals.append(
        f'<tr><td style="padding:8px 0;{rule}text-align:{start};font-size:18px;">'
        f"<strong>{_e(f.words(TOTAL))}</strong></td>"
        f'<td style="padding:8px 0;{rule}text-align:{end};font-size:18px;'
        f'white-space:nowrap;"><strong><bdi>{_e(f.total)}</bdi></strong></td></tr>'
    )
    contact = "".join(
        f'<li><a href="{_e(target)}">{_e(label)} {_i(target.removeprefix("mailto:"))}</a></li>'
        if target.startswith("mailto:")
        else f'<li><a href="{_e(target)}">{_e(label)}</a></li>'
        for label, target in _contact_lines(f)
    )
    if f.paid is not None:
        totals.append(
            f'<tr><td style="padding:4px 0;text-align:{start};">{_e(f.words(PAID))}</td>'
            f'<td style="padding:4px 0;text-align:{end};white-space:nowrap;">'
            f"<bdi>{_e(f.paid)}</bdi></td></tr>"
        )
    how_to_pay = (
        f'<h2 style="font-size:16px;margin:24px 0 8px;">{_e(f.words(HOW_TO_PAY))}</h2>'
        f'<p dir="auto" style="margin:0;">{_e(f.instructions).replace(chr(10), "<br>")}</p>'
        if f.instructions is not None
        else ""
    )
    reply = f"<p>{_sentence(f, REPLY, seller=seller)}</p>" if f.seller.support_email else ""
    reverse_charge = f"<p><strong>{_e(f.reverse_charge)}</strong></p>" if f.reverse_charge else ""
    contact_block = (
        f'<h2 style="font-size:16px;margin:24px 0 8px;">{_sentence(f, CONTACT, seller=seller)}'
        f'</h2><ul style="margin:0;padding-{start}:20px;">{contact}</ul>'
        if contact
        else ""
    )
    number = _sentence(
        f, LABELLED, name=_e(f.words(ORDER_NUMBER)), value=f"<strong>{_e(f.order_id)}</strong>"
    )
    date = _sentence(f, LABELLED, name=_e(f.words(ORDER_DATE)), value=_e(f.date))
    legal_lines = _legal_lines(f)
    legal = (
        f'<p style="margin:8px 0 0;color:{_MUTED};font-size:14px;">'
        # A line each, its own direction: "10115 Berlin" stays in order in a right-to-left mail.
        + "".join(
            f'<span dir="auto" style="display:block;">{_e(line)}</span>' for line in legal_lines
        )
        + "</p>"
        if legal_lines
        else ""
    )
    facts = f'<p style="margin:0;">{number}<br>{date}</p>'
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}" dir="{direction}"><head><meta charset="utf-8">'
        '<meta name="color-scheme" content="light dark">'
        '<meta name="supported-color-schemes" content="light dark">'
        f"<title>{_e(_subject(f))}</title></head>"
        f'<body dir="{direction}" style="margin:0;padding:0;">'
        f'<div lang="{lang}" dir="{direction}" '
        'style="max-width:600px;margin:0 auto;padding:24px 16px;'
        f"font-family:-apple-system,'Segoe UI',Roboto,'Noto Sans',Arial,sans-serif;"
        f'font-size:16px;line-height:1.5;text-align:{start};">'
        f"{_header(f, end)}"
        f'<h1 style="font-size:22px;margin:0 0 8px;">{_e(f.words(HEADING))}</h1>'
        f"<p>{_sentence(f, intro, seller=seller)}</p>{facts}"
        f'<h2 style="font-size:16px;margin:24px 0 8px;">{_e(f.words(SUMMARY))}</h2>'
        f'<table role="presentation" style="width:100%;border-collapse:collapse;">'
        f"{''.join(rows)}{''.join(totals)}</table>{reverse_charge}{how_to_pay}"
        f"{_details_html(f, start)}{reply}{contact_block}"
        f'<p style="margin:24px 0 0;color:{_MUTED};font-size:14px;">'
        f"{_sentence(f, SOLD_BY, seller=seller)}</p>{legal}</div></body></html>\n"
    )


def _subject(f: _Facts) -> str:
    subject = CONFIRMATION_SUBJECT if f.instructions is not None else SUBJECT
    return f.words(subject, seller=f.seller.name)


def receipt_content(
    order: Order, seller: Seller, instructions: str | None = None
) -> ReceiptContent:
    """The receipt of ``order`` sold by ``seller``: subject, text and HTML, in its locale.

    With ``instructions`` (a ``manual`` order awaiting payment) it is the order
    confirmation instead: another subject and intro, and the seller's
    instructions under "How to pay".
    """
    f = _facts(order, seller, instructions)
    return ReceiptContent(
        subject=_subject(f),
        text=_text(f),
        html=_html(f),
        lang=f.locale.lang,
        rtl=f.locale.rtl,
    )
