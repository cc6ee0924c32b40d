"""``checkout-links merchant set-account`` / ``show-account``: the seller's public settings."""

from __future__ import annotations

import json
from typing import Any

import click
from pydantic import ValidationError

from checkout_links.cli.context import fail, services, with_settings
from checkout_links.core.errors import CheckoutError
from checkout_links.core.i18n.messages import sentence
from checkout_links.core.merchants.account import FIELDS as ACCOUNT_FIELDS
from checkout_links.core.merchants.account import AccountPatch, account_of


def register(merchant: click.Group) -> None:
    """Add the account commands to the ``merchant`` group."""
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
@with_settings
def merchant_set_account(merchant_id: str, cleared: tuple[str, ...], **values: str | None) -> None:
    """Change how the seller appears on the customer pages; prints the settings as JSON.

    Settings not named stay as they are (the same merge as PATCH /api/v1/account).
    """
    body: dict[str, Any] = {k: v for k, v in values.items() if v is not None}
    body.update(dict.fromkeys(cleared))
    try:
        patch = AccountPatch.model_validate(body)
        account = services().merchants.update_account(merchant_id, patch)
    except ValidationError as exc:
        fail(
            *(
                f"--{'-'.join(map(str, e['loc'])).replace('_', '-')}: {sentence(e)}"
                for e in exc.errors()
            )
        )
    except CheckoutError as exc:
        fail(exc.detail)
    click.echo(json.dumps(account))


@click.command("show-account")
@click.argument("merchant_id")
@with_settings
def merchant_show_account(merchant_id: str) -> None:
    """Print how the seller appears on the customer pages, as JSON."""
    try:
        svc = services()
        record = svc.merchants.get(merchant_id)
    except CheckoutError as exc:
        fail(exc.detail)
    click.echo(json.dumps(account_of(record, svc.settings.base_url)))
