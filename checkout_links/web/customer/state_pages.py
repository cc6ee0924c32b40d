"""The words of the pages that are not a cart: 404, 409, 410 (each reason), 429, 503.

Each state has a heading and whole sentences (a sentence is never glued from
translated pieces); the 410 pages name the seller and, below, how to reach them.
"""

from __future__ import annotations

from dataclasses import dataclass

from checkout_links.core.i18n.translatable import N_


@dataclass(frozen=True, slots=True)
class State:
    """A page's heading and its sentences, as message ids."""

    heading: str
    sentences: tuple[str, ...]
    #: Said only when the seller left an email or a support page.
    contact: tuple[str, ...] = ()
    #: The link still works: the page offers the way back to the order.
    back: bool = False


STATES = {
    "not_found": State(
        N_("Link not found"),
        (N_("This link is not valid. Check that you copied all of it."),),
    ),
    "page_not_found": State(
        N_("Page not found"),
        (N_("There is no page at this address. Check that you copied the link completely."),),
    ),
    "completed": State(
        N_("This link has already been used"),
        (N_("An order was already placed with this link. Each link can be used for one order."),),
        # Translators: %(seller)s is the shop's name, e.g. "Ruiz GmbH".
        (N_("If you placed this order and have a question, contact %(seller)s."),),
    ),
    "revoked": State(
        N_("This link was withdrawn"),
        # Translators: %(seller)s is the shop's name.
        (N_("%(seller)s withdrew this link, so it can no longer be used to order."),),
        # Translators: %(seller)s is the shop's name.
        (N_("Contact %(seller)s if you need a new link."),),
    ),
    "expired": State(
        N_("This link has expired"),
        # Translators: %(date)s is a date, time and time zone such as
        # "1 December 2026, 14:30 Coordinated Universal Time".
        (N_("This link could be used until %(date)s."),),
        # Translators: %(seller)s is the shop's name.
        (N_("Ask %(seller)s for a new link."),),
    ),
    "rate_limited": State(
        N_("Too many attempts"),
        (N_("Wait a minute, then try again."),),
        # Translators: %(seller)s is the shop's name.
        (N_("If this keeps happening, contact %(seller)s."),),
        back=True,
    ),
    "unavailable": State(
        N_("Please try again in a moment"),
        (
            N_(
                "We could not reach the order system, so nothing was changed. "
                "Your link still works."
            ),
        ),
        back=True,
    ),
    "error": State(
        N_("Something went wrong"),
        (N_("This page could not be shown. Go back and try again."),),
    ),
}


#: What the page of a spent link says of its order's payment, by payment status.
PAYMENT_SENTENCES = {
    "not_required": N_("The seller arranges the payment with you directly."),
    "pending": N_("The payment for this order has not been received yet."),
    "paid": N_("The payment for this order was received."),
    "partially_refunded": N_("The payment for this order was received and partly refunded."),
    "refunded": N_("The payment for this order was refunded."),
    "canceled": N_("This order was canceled."),
}


def kind_of(status: int, reason: str | None) -> str:
    """Which state page answers an error of ``status`` (and a 410's ``reason``)."""
    if status == 404:
        return "not_found"
    if status == 409:
        return "completed"
    if status == 410:
        return reason if reason in ("completed", "revoked", "expired") else "expired"
    if status == 429:
        return "rate_limited"
    if status == 503:
        return "unavailable"
    return "error"
