"""The error tree: FieldError and how a 422 writes it, and which causes are kept."""

from __future__ import annotations

import os
import traceback

import fakeredis
import pytest
from flask.testing import FlaskClient

from checkout_links.core.config import load_settings
from checkout_links.core.crypto.keyring import KeyRing
from checkout_links.core.errors import (
    ConfigError,
    FieldError,
    InvalidToken,
    NotFound,
    ValidationFailed,
)
from checkout_links.core.orders.queries import load_order
from checkout_links.core.primitives.jsonutil import dumps
from checkout_links.core.storage.connection import guarded
from checkout_links.testing import problem_body


def test_a_field_error_is_written_as_loc_and_msg_only() -> None:
    """A FieldError without msgid is the JSON object {"loc": [...], "msg": "..."}, in that order."""
    error = FieldError(("body", "products", 0, "price"), "Send a price.")
    assert dumps(error) == b'{"loc":["body","products",0,"price"],"msg":"Send a price."}'


def test_a_worded_field_error_carries_its_msgid_and_params() -> None:
    """FieldError.worded fills msg from msgid and params and keeps both for translation."""
    error = FieldError.worded(
        ("form", "qty_0"), "From %(minimum)s to %(maximum)s.", minimum=1, maximum=5
    )
    assert error.msg == "From 1 to 5."
    assert dumps(error) == (
        b'{"loc":["form","qty_0"],"msg":"From 1 to 5.","msgid":"From %(minimum)s to %(maximum)s.",'
        b'"params":{"minimum":1,"maximum":5}}'
    )
    assert dumps(FieldError.worded(("form",), "Empty.")) == (
        b'{"loc":["form"],"msg":"Empty.","msgid":"Empty.","params":{}}'
    )


def test_a_field_error_is_frozen() -> None:
    """A FieldError cannot be changed once raised."""
    error = FieldError(("query", "limit"), "Use a whole number.")
    with pytest.raises(AttributeError):
        error.msg = "other"  # type: ignore[misc]


def test_validation_failed_keeps_its_field_errors() -> None:
    """ValidationFailed carries the FieldErrors it was given, as a list."""
    errors = (FieldError(("path", "code"), "must match"),)
    assert ValidationFailed("The promotion code is invalid.", errors=errors).errors == list(errors)
    assert ValidationFailed("no details").errors is None


def test_the_api_writes_field_errors_in_the_problem_body(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    """A 422 of the API lists errors as {"loc", "msg"} objects, byte for byte."""
    response = client.get("/api/v1/orders?limit=0", headers=auth)
    assert problem_body(response, 422)["errors"] == [
        {"loc": ["query", "limit"], "msg": "Use a whole number from 1 to 100."}
    ]
    assert (
        b'"errors":[{"loc":["query","limit"],"msg":"Use a whole number from 1 to 100."}]'
        in response.get_data()
    )


def test_a_refused_order_id_keeps_why_as_its_cause(fake_redis: fakeredis.FakeRedis) -> None:
    """load_order's NotFound for an id that is not one of ours is chained to the InvalidToken."""
    with pytest.raises(NotFound) as caught:
        load_order(guarded(fake_redis), KeyRing(["k" * 32]), "not-an-order-id")
    assert isinstance(caught.value.__cause__, InvalidToken)


def test_a_config_error_never_carries_the_password_of_a_url(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A malformed SMTP URL is refused without any part of its password in the whole traceback."""
    for name in [n for n in os.environ if n.startswith("CHECKOUT_")]:
        monkeypatch.delenv(name)
    url = "smtp://user:Zq9Kx/rest@mail.example"  # "/" unescaped: urlsplit reads "Zq9Kx" as the port
    with pytest.raises(ConfigError) as caught:
        load_settings({"secret_keys": "a" * 40, "smtp_url": url, "mail_from": "shop@example.com"})
    written = "".join(traceback.format_exception(caught.value))
    assert "CHECKOUT_SMTP_URL" in written
    assert "Zq9Kx" not in written
