"""The receipt as an email: headers and a text part with an HTML alternative (stdlib ``email``)."""

from __future__ import annotations

from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from checkout_links.core.merchants.account import Seller
from checkout_links.core.records import Order
from checkout_links.worker.receipts.content import receipt_content


def message_id(event_id: str, mail_from: str) -> str:
    """The receipt's ``Message-ID``: derived from its event, so every retry sends the same one
    (a mail system that already has it may drop the copy)."""
    domain = mail_from.rpartition("@")[2]
    return f"<receipt.{event_id}@{domain}>"


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
    message = EmailMessage()
    message["From"] = Address(display_name=seller.name, addr_spec=mail_from)
    message["To"] = Address(addr_spec=order.customer.email)
    if seller.support_email:
        message["Reply-To"] = Address(display_name=seller.name, addr_spec=seller.support_email)
    message["Subject"] = content.subject
    message["Date"] = format_datetime(now or datetime.now(UTC))
    message["Message-ID"] = message_id(event_id, mail_from)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(content.text)
    message.add_alternative(content.html, subtype="html")
    # After the parts: set_content() clears the Content-* headers.
    message["Content-Language"] = content.lang
    return message
