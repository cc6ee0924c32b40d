"""The client's TypedDicts say what the OpenAPI document says the API answers.

Each type of ``checkout_links.client.types`` is compared with the component schema it
mirrors: the same keys, the same required keys (a response's ``required`` lists the keys
that are always there), and a type annotation that accepts exactly the schema's values
(strings, numbers, booleans, null, arrays, maps, enums), nested types included.
"""

from __future__ import annotations

import types
from typing import Any, Literal, TypeVar, Union, get_args, get_origin, get_type_hints

import fakeredis
import pytest

from checkout_links.client import types as client
from checkout_links.testing import make_app

_PAGE_ITEMS = {
    "ProductPage": client.Product,
    "OrderPage": client.Order,
    "EventPage": client.Event,
    "PromotionPage": client.Promotion,
    "TaxRatePage": client.TaxRate,
}
#: Each client type and the component schema it mirrors.
_MIRRORS: dict[str, Any] = {
    "SubscriptionOut": client.Subscription,
    "Product": client.Product,
    "ProductText": client.ProductText,
    "LineOut": client.Line,
    "DiscountOut": client.Discount,
    "LinkOut": client.Link,
    "LinkStatus": client.LinkStatus,
    "CustomerOut": client.Customer,
    "Order": client.Order,
    "Receipt": client.Receipt,
    "Event": client.Event,
    "Promotion": client.Promotion,
    "Account": client.Account,
    "Payment": client.Payment,
    "Refund": client.Refund,
    "PaymentSettings": client.PaymentSettings,
    "StripeSettings": client.StripeSettings,
    "TaxSettings": client.TaxSettings,
    "LegalIdentity": client.LegalIdentity,
    "ConsentSettings": client.ConsentSettings,
    "Consent": client.Consent,
    "DeliveryAddress": client.DeliveryAddress,
    "TaxRow": client.TaxRow,
    "TaxRate": client.TaxRate,
    **{page: client.Page[item] for page, item in _PAGE_ITEMS.items()},
}
_SCALARS: dict[str, type] = {"string": str, "integer": int, "boolean": bool, "null": type(None)}


@pytest.fixture(scope="module")
def schemas() -> dict[str, Any]:
    app = make_app(fakeredis.FakeRedis(server=fakeredis.FakeServer(version=(7, 2))))
    document: dict[str, Any] = app.test_client().get("/api/v1/openapi.json").get_json()
    return dict(document["components"]["schemas"])


def _typeddict(annotation: Any) -> tuple[type, dict[str, Any]]:
    """The TypedDict class of ``annotation`` (maybe ``Page[X]``) and its resolved field types."""
    origin = get_origin(annotation) or annotation
    hints = get_type_hints(origin)
    params = getattr(origin, "__parameters__", ())
    if params:
        bound = dict(zip(params, get_args(annotation), strict=True))
        hints = {name: _substitute(hint, bound) for name, hint in hints.items()}
    return origin, hints


def _substitute(hint: Any, bound: dict[Any, Any]) -> Any:
    """``hint`` with its type variables bound (``list[T]`` becomes ``list[Order]``)."""
    if isinstance(hint, TypeVar):
        return bound[hint]
    free = getattr(hint, "__parameters__", ())
    return hint[tuple(bound[p] for p in free)] if free else hint


def _members(annotation: Any) -> list[Any]:
    """The members of a union annotation (``X | None``), or the annotation itself."""
    if get_origin(annotation) in (Union, types.UnionType):
        return list(get_args(annotation))
    return [annotation]


def _mismatches(annotation: Any, schema: dict[str, Any], where: str) -> list[str]:
    """How ``annotation`` differs from the JSON schema ``schema`` (empty: it matches)."""
    if "$ref" in schema:
        name = schema["$ref"].rpartition("/")[2]
        expected = _MIRRORS.get(name)
        if expected is None:
            return [f"{where}: the client mirrors no type of schema {name}"]
        return [] if annotation == expected else [f"{where}: {annotation} is not {expected}"]
    if "anyOf" in schema:
        members, options = _members(annotation), schema["anyOf"]
        if len(members) != len(options):
            return [f"{where}: {annotation} has {len(members)} types, the schema {len(options)}"]
        problems = []
        for option in options:
            if all(_mismatches(m, option, where) for m in members):
                problems.append(f"{where}: no type of {annotation} matches {option}")
        return problems
    if "const" in schema or "enum" in schema:
        values = [schema["const"]] if "const" in schema else schema["enum"]
        ok = get_origin(annotation) is Literal and list(get_args(annotation)) == values
        return [] if ok else [f"{where}: {annotation} is not Literal{values}"]
    kind = schema.get("type")
    if kind == "array":
        if get_origin(annotation) is not list:
            return [f"{where}: {annotation} is not a list"]
        return _mismatches(get_args(annotation)[0], schema["items"], f"{where}[]")
    if kind == "object":
        if get_origin(annotation) is not dict or get_args(annotation)[0] is not str:
            return [f"{where}: {annotation} is not a dict[str, ...]"]
        return _mismatches(get_args(annotation)[1], schema["additionalProperties"], f"{where}{{}}")
    if kind in _SCALARS:
        return [] if annotation is _SCALARS[kind] else [f"{where}: {annotation} is not {kind}"]
    return [f"{where}: the test does not know schema {schema}"]


@pytest.mark.parametrize("name", sorted(_MIRRORS))
def test_each_client_type_has_the_keys_and_types_of_its_schema(
    schemas: dict[str, Any], name: str
) -> None:
    """A client TypedDict has its schema's property names, required keys and value types."""
    schema = schemas[name]
    cls, hints = _typeddict(_MIRRORS[name])
    assert set(hints) == set(schema["properties"])
    assert cls.__required_keys__ == set(schema.get("required", []))
    problems = [
        problem
        for key, prop in schema["properties"].items()
        for problem in _mismatches(hints[key], prop, f"{name}.{key}")
    ]
    assert problems == []


def test_every_response_schema_has_a_client_type(schemas: dict[str, Any]) -> None:
    """No schema of an API answer lacks its client type (a new answer gets one in the client)."""
    answers = {
        n
        for n in schemas
        if not n.endswith(("In", "Patch")) and n not in {"Problem", "ProblemError"}
    }
    assert answers == set(_MIRRORS)


def test_the_comparison_finds_a_drift() -> None:
    """A wrong scalar, union member, enum value, item type or nested type is each reported."""
    integer = {"type": "integer"}
    assert _mismatches(str, integer, "x") == ["x: <class 'str'> is not integer"]
    assert _mismatches(str | None, {"anyOf": [{"type": "string"}, integer]}, "x") != []
    assert _mismatches(Literal["a", "b"], {"enum": ["a", "b", "c"]}, "x") != []
    assert _mismatches(list[int], {"type": "array", "items": {"type": "string"}}, "x") != []
    assert _mismatches(client.Order, {"$ref": "#/components/schemas/Event"}, "x") != []
    ref = {"anyOf": [{"$ref": "#/components/schemas/Receipt"}, {"type": "null"}]}
    assert _mismatches(client.Receipt | None, ref, "x") == []
