"""``checkout-links merchant set-account`` / ``show-account``: the seller's public settings."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, NoReturn

import click
from flask.cli import with_appcontext
from pydantic import ValidationError

from checkout_links.core.errors import CheckoutError
from checkout_links.core.merchants.account import FIELDS as ACCOUNT_FIELDS
from checkout_links.core.merchants.account import AccountPatch, account_of
from checkout_links.core.services import Services
from checkout_links.web.extensions import services


def _fail(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    raise SystemExit(2)


#: The CLI's store accessor (it refuses the throwaway in-process store), set by register().
_STORES: list[Callable[[], Services]] = []


def _store() -> Services:
    return _STORES[0]() if _STORES else services()


def register(merchant: click.Group, store: Callable[[], Services]) -> None:
    """Add the account commands to the ``merchant`` group; ``store`` gives the services."""
    _STORES[:] = [store]
    merchant.add_command(merchant_set_account)
    merchant.add_command(merchant_show_account)


@click.command("set-account")
@click.argument("merchant_id")
@click.option("--display-name", help="The name customers see (1..80 characters).")
@click.option("--logo-url", help="An https URL of the logo.")
@click.option("--brand-color", help="The brand colour, #rrggbb.")
@click.option("--support-email", help="Where customers write to.")
@click.option("--support-url", help="An https URL of the help pages.")
@click.option("--website-url", help="An https URL the confirmation page links back to.")
@click.option("--terms-url", help="An https URL of the terms.")
@click.option("--privacy-url", help="An https URL of the privacy policy.")
@click.option("--default-locale", help="The pages' language when nothing else decides, e.g. de.")
@click.option(
    "--clear",
    "cleared",
    multiple=True,
    type=click.Choice(ACCOUNT_FIELDS),
    help="Clear a setting (repeatable).",
)
@with_appcontext
def merchant_set_account(merchant_id: str, cleared: tuple[str, ...], **values: str | None) -> None:
    """Change how the seller appears on the customer pages; prints the settings as JSON.

    Settings not named stay as they are (the same merge as PATCH /api/v1/account).
    """
    body: dict[str, Any] = {k: v for k, v in values.items() if v is not None}
    body.update(dict.fromkeys(cleared))
    try:
        patch = AccountPatch.model_validate(body)
        account = _store().merchants.update_account(merchant_id, patch)
    except ValidationError as exc:
        _fail("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()))
        return
    except CheckoutError as exc:
        _fail(exc.detail)
        return
    click.echo(json.dumps(account))


@click.command("show-account")
@click.argument("merchant_id")
@with_appcontext
def merchant_show_account(merchant_id: str) -> None:
    """Print how the seller appears on the customer pages, as JSON."""
    try:
        record = services().merchants.get(merchant_id)
    except CheckoutError as exc:
        _fail(exc.detail)
        return
    click.echo(json.dumps(account_of(record)))
