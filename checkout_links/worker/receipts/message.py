"""The receipt as an email: headers and a text part with an HTML alternative (stdlib ``email``)."""

from __future__ import annotations

from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from email_validator import EmailNotValidError, validate_email

from checkout_links.core.merchants.account import Seller
from checkout_links.core.records import Order
from checkout_links.worker.receipts.content import receipt_content


def message_id(event_id: str, mail_from: str) -> str:
    """The receipt's ``Message-ID``: derived from its event, so every retry sends the same one
    (a mail system that already has it may drop the copy)."""
    domain = mail_from.rpartition("@")[2]
    return f"<receipt.{event_id}@{domain}>"


def ascii_address(address: str) -> str | None:
    """``address`` as a plain ASCII header can carry it (an internationalised domain as its
    ``xn--`` form), or ``None`` when its mailbox needs SMTPUTF8 (or it is not an address).

    The email package would otherwise write a non-ASCII domain as an RFC 2047 encoded
    word, which no server reads as the domain: the receipt would go nowhere.
    """
    try:
        return validate_email(address, check_deliverability=False).ascii_email
    except EmailNotValidError:
        return None


def build_receipt(
    order: Order,
    seller: Seller,
    *,
    event_id: str,
    mail_from: str,
    now: datetime | None = None,
    instructions: str | None = None,
) -> EmailMessage:
    """The receipt email of ``order``: from ``mail_from`` under the seller's name, to the
    customer, ``Reply-To`` the seller's support address when there is one. With
    ``instructions``, the order confirmation of a manual order awaiting payment."""
    content = receipt_content(order, seller, instructions)
    to = ascii_address(order.customer.email)
    if to is None:
        raise ValueError("the customer's address cannot be written without SMTPUTF8")
    message = EmailMessage()
    message["From"] = Address(display_name=seller.name, addr_spec=ascii_address(mail_from) or "")
    message["To"] = Address(addr_spec=to)
    # An address stored before non-ASCII mailboxes were refused cannot be written
    # without SMTPUTF8; the receipt goes without a Reply-To rather than not at all.
    reply_to = ascii_address(seller.support_email or "")
    if reply_to:
        message["Reply-To"] = Address(display_name=seller.name, addr_spec=reply_to)
    message["Subject"] = content.subject
    message["Date"] = format_datetime(now or datetime.now(UTC))
    message["Message-ID"] = message_id(event_id, mail_from)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(content.text)
    message.add_alternative(content.html, subtype="html")
    # After the parts: set_content() clears the Content-* headers.
    message["Content-Language"] = content.lang
    return message
