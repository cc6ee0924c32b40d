"""docs/api.md names every operation, request field, response field, setting and command."""

from __future__ import annotations

import re
from pathlib import Path

import fakeredis
import msgspec
import pytest
from pydantic import BaseModel

from checkout_links.cli.main import cli
from checkout_links.core import records
from checkout_links.core.config import Settings
from checkout_links.core.links.choices import (
    AdjustableQuantityIn,
    DiscountIn,
    LineChoicesIn,
    LinkChoicesIn,
    OptionalItemIn,
    PromotionIn,
)
from checkout_links.core.merchants.payment import PaymentPatch, StripePatch
from checkout_links.core.payments.requests import MarkPaidIn, RefundIn
from checkout_links.core.schemas import CustomerIn, LinkIn, LinkLineIn, ProductIn, SubscriptionIn
from checkout_links.core.tax.rates import TaxRateIn
from checkout_links.testing import make_app
from checkout_links.testing.cli import command_paths
from checkout_links.web.api.openapi import Problem, ProblemError

DOC = (Path(__file__).resolve().parents[4] / "docs" / "api.md").read_text()
CODE = set(re.findall(r"`([^`\n]+)`", re.sub(r"```.*?```", "", DOC, flags=re.S)))
COMMANDS = command_paths(cli)
WORDS = {w for span in CODE for w in re.findall(r"[A-Za-z_][A-Za-z0-9_.-]*", span)}


def test_every_operation_of_the_document_is_in_the_guide() -> None:
    """Each METHOD /path of the OpenAPI document appears in docs/api.md, and no other."""
    app = make_app(fakeredis.FakeRedis(server=fakeredis.FakeServer(version=(7, 2))))
    paths = app.test_client().get("/api/v1/openapi.json").get_json()["paths"]
    documented = {f"{m.upper()} {p}" for p, ops in paths.items() for m in ops}
    guide = {
        m.group(0) for m in re.finditer(r"(GET|PUT|POST|DELETE|PATCH) /api/v1/[^\s`]*", DOC)
    } - {"GET /api/v1/openapi.json"}
    assert guide == documented


MODELS: list[type[BaseModel | msgspec.Struct]] = [
    ProductIn,
    SubscriptionIn,
    LinkIn,
    LinkLineIn,
    CustomerIn,
    records.Product,
    records.IssuedLink,
    records.Line,
    records.LinkStatus,
    records.OrderView,
    records.DiscountRow,
    records.PromotionView,
    LinkChoicesIn,
    LineChoicesIn,
    OptionalItemIn,
    AdjustableQuantityIn,
    DiscountIn,
    PromotionIn,
    records.EventView,
    records.ReceiptView,
    records.TaxRate,
    records.TaxRow,
    records.TaxSettings,
    records.LegalIdentity,
    records.ConsentSettings,
    records.Consent,
    records.DeliveryAddress,
    TaxRateIn,
    Problem,
    ProblemError,
    records.Payment,
    records.Refund,
    records.PaymentSettingsView,
    records.StripeSettingsView,
    PaymentPatch,
    StripePatch,
    MarkPaidIn,
    RefundIn,
]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_field_is_named_in_the_guide(model: type[BaseModel | msgspec.Struct]) -> None:
    """Each field of each request and response model appears in docs/api.md as code."""
    fields = model.__struct_fields__ if issubclass(model, msgspec.Struct) else model.model_fields
    assert [f for f in fields if f not in WORDS] == []


def test_every_setting_is_in_the_guide() -> None:
    """Each CHECKOUT_* setting the service reads is in the guide's environment table."""
    names = [f"CHECKOUT_{name.upper()}" for name in Settings.model_fields]
    assert [n for n in names if n not in CODE] == []


def test_every_command_is_in_the_guide() -> None:
    """Each command of the CLI (but Flask's own run, shell and routes) is in the guide."""
    ours = [p for p in COMMANDS if p and p[0] not in {"run", "shell", "routes"}]
    leaves = [" ".join(p) for p in ours if not any(q[: len(p)] == p and q != p for q in ours)]
    assert [c for c in leaves if f"checkout-links {c}" not in DOC] == []
    assert cli.name is not None


def test_the_readme_points_at_the_guide_and_links_only_inside_the_repo() -> None:
    """README.md sends readers to docs/api.md, and every relative link it has resolves."""
    root = Path(__file__).resolve().parents[4]
    readme = (root / "README.md").read_text()
    assert "(docs/api.md)" in readme
    assert "../" not in readme
    targets = re.findall(r"\]\(([^)#]+)\)", readme)
    assert [t for t in targets if "://" not in t and not (root / t).exists()] == []
