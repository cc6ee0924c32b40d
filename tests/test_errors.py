"""The error tree's typed parts: FieldError and how a 422 writes it."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from checkout_links.core.errors import FieldError, ValidationFailed
from checkout_links.core.primitives.jsonutil import dumps
from tests.conftest import problem_body


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
