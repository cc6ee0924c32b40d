"""Sending one receipt with :mod:`smtplib`, and what the outcome means for its retries.

``smtp://`` talks in the clear, ``smtps://`` speaks TLS from the first byte,
``smtp+starttls://`` requires STARTTLS (a server that does not offer it gets
nothing: no credentials, no message). TLS verifies the server's certificate
and name with the system trust store (:func:`ssl.create_default_context`, which
honours ``SSL_CERT_FILE``).

A 5xx reply about the receipt itself (the recipient refused, the message
rejected) fails it at once: sending the same again would be refused again. A
refusal of our credentials or of ``CHECKOUT_MAIL_FROM`` is the operator's to
fix, not the customer's, so like a 4xx reply, a timeout or a broken
connection it is tried again later (with the webhook backoff, for as long as
a webhook is): receipts wait out a wrong password instead of being lost to it.
The error kept is the SMTP code, the enhanced status code when the server
gave one, and a short text of ours: never the server's own words, which often
repeat the address.
"""

from __future__ import annotations

import contextlib
import re
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Literal

from checkout_links.core.config import SmtpServer

_ENHANCED = re.compile(rb"^\s*([245]\.\d{1,3}\.\d{1,3})\b")


@dataclass(frozen=True, slots=True)
class Sent:
    """One attempt's outcome: ``sent``, ``retry`` (later) or ``failed`` (for good)."""

    outcome: Literal["sent", "retry", "failed"]
    error: str | None = None


def _reply(code: int, text: bytes | str, what: str, *, ours: bool = False) -> Sent:
    """The outcome of a refusal; ``ours``: of our configuration, so always worth a retry."""
    raw = text.encode("utf-8", "replace") if isinstance(text, str) else text
    enhanced = _ENHANCED.match(raw or b"")
    error = f"{code} {enhanced.group(1).decode()} {what}" if enhanced else f"{code} {what}"
    return Sent("failed" if 500 <= code < 600 and not ours else "retry", error)


def _deliver(connection: smtplib.SMTP, message: EmailMessage, server: SmtpServer) -> Sent:
    """One session: TLS when asked for (and refused without it), AUTH, the message."""
    connection.ehlo()
    if server.security == "starttls":
        if not connection.has_extn("starttls"):
            return Sent("retry", "STARTTLS not offered by the server (required)")
        connection.starttls(context=ssl.create_default_context())
        connection.ehlo()
    if server.username:
        if not connection.has_extn("auth"):
            return Sent("retry", "AUTH not offered by the server")
        password = server.password.get_secret_value() if server.password else ""
        connection.login(server.username, password)
    connection.send_message(message)
    return Sent("sent")


def send(message: EmailMessage, server: SmtpServer, timeout: float) -> Sent:
    """Send ``message`` to ``server`` (every network step within ``timeout`` seconds)."""
    try:
        connection: smtplib.SMTP
        if server.security == "tls":
            context = ssl.create_default_context()
            connection = smtplib.SMTP_SSL(
                server.host, server.port, timeout=timeout, context=context
            )
        else:
            connection = smtplib.SMTP(server.host, server.port, timeout=timeout)
        try:
            return _deliver(connection, message, server)
        finally:
            # A message the server took is sent, whatever happens to QUIT after it.
            with contextlib.suppress(OSError, smtplib.SMTPException):
                connection.quit()
            connection.close()
    except smtplib.SMTPRecipientsRefused as exc:
        code, text = next(iter(exc.recipients.values()), (550, b""))
        return _reply(code, text, "recipient refused")
    except smtplib.SMTPSenderRefused as exc:
        return _reply(exc.smtp_code, exc.smtp_error, "sender refused", ours=True)
    except smtplib.SMTPDataError as exc:
        return _reply(exc.smtp_code, exc.smtp_error, "message refused")
    except smtplib.SMTPAuthenticationError as exc:
        return _reply(exc.smtp_code, exc.smtp_error, "authentication failed", ours=True)
    except smtplib.SMTPResponseException as exc:
        return _reply(exc.smtp_code, exc.smtp_error, "refused")
    except smtplib.SMTPNotSupportedError:
        # send_message's only refusal: an international address, and no SMTPUTF8.
        return Sent("failed", "the server cannot take this address (no SMTPUTF8)")
    except ssl.SSLCertVerificationError:
        return Sent("retry", "TLS certificate not trusted")
    except TimeoutError:
        return Sent("retry", "timed out")
    except (OSError, smtplib.SMTPException) as exc:
        return Sent("retry", f"connection failed ({type(exc).__name__})")
