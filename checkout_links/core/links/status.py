"""A link's status, from its ledger mark, its expiry and a clock: the one mapping.

The ledger's mark says whether a link was spent or revoked; only an open
link can be expired, and whose clock judges that is the caller's choice: the
merchant's status asks the Redis server's (the clock the spend script judges
by), the cart page, which only shows the state, its own. The customer pages
turn a status other than ``open`` into :class:`LinkGone` (:func:`gone`).
"""

from __future__ import annotations

from typing import Literal, TypeAlias

from checkout_links.core.errors import LinkGone

#: What the ledger's mark says of a link (``expired``: judged so by the ledger
#: when asked to revoke or spend it; nothing is stored for that).
MarkState: TypeAlias = Literal["open", "spent", "revoked", "expired"]
#: Why a link takes no order (also :attr:`LinkGone.reason`).
Gone: TypeAlias = Literal["completed", "revoked", "expired"]
#: A link's status as the merchant API shows it.
LinkStatus: TypeAlias = Literal["open", "completed", "revoked", "expired"]


def status_of(state: MarkState, expires_at: int, now: float) -> LinkStatus:
    """The status of a link whose mark is ``state``, at ``now`` (Unix seconds).

    The mark decides first (a spent link stays completed after its expiry);
    an open link is expired from its expiry second on, as the spend script
    refuses it.
    """
    if state == "spent":
        return "completed"
    if state == "open":
        return "expired" if now >= expires_at else "open"
    return state


def gone(status: Gone, expires_at: int) -> LinkGone:
    """The error a customer page answers for a link that takes no order."""
    if status == "completed":
        return LinkGone("completed", "This link was already used to place an order.")
    if status == "revoked":
        return LinkGone("revoked", "The seller withdrew this link.")
    return LinkGone(
        "expired",
        "This link has expired. Ask the seller for a new one.",
        expires_at=expires_at,
    )
