"""The OpenAPI 3.1 document of the merchant API, and its reference page at ``/api/docs``.

The document is built from the app's own routes: every ``/api/v1`` route's
view declares its :class:`~checkout_links.web.api.operations.Operation`, whose
request and response models give the schemas. A route without one stops
the build, so no route goes undocumented and nothing documented is unrouted.

Request schemas come from the pydantic input models; response schemas from
the core's records (msgspec Structs), through ``msgspec.json.schema_components``:
a record's description is the first paragraph of its docstring, a field's its
``msgspec.Meta``. Every field of a record that does not omit defaults is
written, so the document lists each as required (in a response, "required"
says the key is always there).
"""

from __future__ import annotations

import re
import types
from collections.abc import Mapping
from typing import Annotated, Any, Literal, Union, get_args, get_origin, get_type_hints

import msgspec
from flask import Blueprint, Flask, Response, current_app
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from checkout_links.core import records
from checkout_links.core.primitives.jsonutil import dumps
from checkout_links.core.records import about
from checkout_links.web.api.operations import Operation, Param, operation_of

bp = Blueprint("reference", __name__)

PREFIX = "/api/v1/"
_REF = "#/components/schemas/{model}"
#: Errors every authenticated operation may answer.
_COMMON_ERRORS = {
    401: "No, unknown or revoked API key.",
    429: "Rate limit exceeded; Retry-After says when to come back.",
    503: "The ledger store is unreachable; nothing was changed. See Retry-After.",
}
_SUCCESS_TEXT = {200: "OK", 201: "Created", 202: "Accepted"}
#: The document's names of the records whose class names say more than the API needs to.
_NAMES: dict[type[msgspec.Struct], str] = {
    records.IssuedLink: "LinkOut",
    records.Line: "LineOut",
    records.DiscountRow: "DiscountOut",
    records.Customer: "CustomerOut",
    records.Subscription: "SubscriptionOut",
    records.OrderView: "Order",
    records.EventView: "Event",
    records.ReceiptView: "Receipt",
    records.AccountView: "Account",
    records.PaymentSettingsView: "PaymentSettings",
    records.StripeSettingsView: "StripeSettings",
    records.PromotionView: "Promotion",
}
#: The reference page: Redoc (web/static/redoc/, MIT licence) reading the document.
#: Its only script is our own file, so the page's policy allows scripts from 'self' only.
_DOCS_HTML = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>checkout-links merchant API</title>
</head>
<body>
<redoc spec-url="/api/v1/openapi.json"></redoc>
<script src="/static/redoc/redoc.standalone.js"></script>
</body>
</html>
"""
#: Redoc styles itself with <style> elements and runs its search index in a
#: Web Worker it builds from a blob: URL; nothing else is allowed.
DOCS_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; worker-src blob:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)


class ProblemError(msgspec.Struct, frozen=True, kw_only=True):
    """One validation failure."""

    loc: Annotated[
        list[str | int],
        about(
            "Where: body, query, path or header, then the path to the field.",
            ["body", "products", 1, "price"],
        ),
    ]
    msg: Annotated[
        str,
        about(
            "What is wrong, as a sentence for a person.",
            "Enter an amount with at most 2 decimal places for EUR.",
        ),
    ]


class Problem(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """An RFC 9457 problem: every error answer of the API.

    The document's schema of what :func:`checkout_links.web.problems.problem_response`
    writes; ``errors`` is there only on a 422.
    """

    type: Annotated[
        str,
        about("URI naming the kind of problem.", "https://checkout-links.dev/problems/validation"),
    ]
    title: Annotated[str, about("Short summary of the kind.", "Validation failed")]
    status: Annotated[int, about("The HTTP status.", 422)]
    detail: Annotated[
        str, about("What went wrong with this request.", "The request is invalid: see errors.")
    ]
    errors: Annotated[list[ProblemError] | None, about("Validation failures (422 only).", [])] = (
        None
    )


def _name(model: type[BaseModel | msgspec.Struct]) -> str:
    return (
        _NAMES.get(model, model.__name__) if issubclass(model, msgspec.Struct) else model.__name__
    )


def _ref(model: type[BaseModel | msgspec.Struct]) -> dict[str, str]:
    return {"$ref": _REF.format(model=_name(model))}


def _parameter(param: Param) -> dict[str, Any]:
    return {
        "name": param.name,
        "in": param.location,
        "required": param.required,
        "description": param.description,
        "schema": dict(param.schema),
        "example": param.example,
    }


def _problem(text: str) -> dict[str, Any]:
    return {
        "description": text,
        "content": {"application/problem+json": {"schema": _ref(Problem)}},
    }


def _operation(op: Operation, endpoint: str) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    for status, model in op.responses.items():
        answer: dict[str, Any] = {
            "description": _SUCCESS_TEXT.get(status, "OK"),
            "content": {"application/json": {"schema": _ref(model)}},
        }
        if status in op.response_headers:
            answer["headers"] = dict(op.response_headers[status])
        responses[str(status)] = answer
    for status, text in sorted({**_COMMON_ERRORS, **op.errors}.items()):
        responses[str(status)] = _problem(text)
    out: dict[str, Any] = {
        "operationId": endpoint.rpartition(".")[2],
        "summary": op.summary,
        "responses": responses,
    }
    if op.description:
        out["description"] = op.description
    if op.params:
        out["parameters"] = [_parameter(p) for p in op.params]
    if op.body is not None:
        out["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _ref(op.body)}},
        }
    return out


def _non_blank(node: Any) -> None:
    """Input models strip whitespace before checking lengths (``schemas.Strict``), so a
    string with a ``minLength`` must hold a non-space character: the document called
    ``" "`` a valid product name or ``additional_data`` key, and the API said 422."""
    if isinstance(node, dict):
        if node.get("minLength", 0) >= 1 and "pattern" not in node:
            node["pattern"] = r"\S"
        for value in node.values():
            _non_blank(value)
    elif isinstance(node, list):
        for value in node:
            _non_blank(value)


def _structs(roots: list[type[msgspec.Struct]]) -> list[type[msgspec.Struct]]:
    """``roots`` and every record their fields hold, each once."""
    found: dict[type[msgspec.Struct], None] = {}

    def walk(info: msgspec.inspect.Type) -> None:
        if isinstance(info, msgspec.inspect.StructType):
            if info.cls in found:
                return
            found[info.cls] = None
            for f in info.fields:
                walk(f.type)
        elif isinstance(info, msgspec.inspect.Metadata):
            walk(info.type)
        elif isinstance(info, msgspec.inspect.UnionType):
            for member in info.types:
                walk(member)
        elif isinstance(info, msgspec.inspect.ListType | msgspec.inspect.VarTupleType):
            walk(info.item_type)
        elif isinstance(info, msgspec.inspect.DictType):
            walk(info.value_type)

    for info in msgspec.inspect.multi_type_info(roots):
        walk(info)
    return list(found)


def _literal(hint: Any) -> tuple[Any, ...] | None:
    """The values of the ``Literal`` in a field's annotation, in declaration order."""
    origin = get_origin(hint)
    if origin is Literal:
        return get_args(hint)
    if origin is Annotated:
        return _literal(get_args(hint)[0])
    if origin in (Union, types.UnionType):
        found = [v for v in map(_literal, get_args(hint)) if v is not None]
        return found[0] if len(found) == 1 else None
    return None


def _property(name: str, schema: dict[str, Any], hint: Any) -> dict[str, Any]:
    """A field's schema with its title (unless it names a record), and a string enum's
    type and declared order (one value: a const)."""
    refers = "$ref" in schema or any("$ref" in s for s in schema.get("anyOf", ()))
    out = schema if refers else {"title": name.title().replace("_", " "), **schema}
    values = _literal(hint)
    if "enum" in out and values is not None and all(isinstance(v, str) for v in values):
        out["type"] = "string"
        del out["enum"]
        if len(values) == 1:
            out["const"] = values[0]
        else:
            out["enum"] = list(values)
    return out


def _response_schemas(roots: list[type[msgspec.Struct]]) -> dict[str, Any]:
    """The components of the response records ``roots`` and of the records they hold."""
    structs = _structs(roots)
    names = {s.__name__: _name(s) for s in structs}
    _, defs = msgspec.json.schema_components(structs, ref_template="{name}")
    components: dict[str, Any] = {}
    for struct in structs:
        schema = defs[struct.__name__]
        schema["title"] = names[struct.__name__]
        schema["description"] = " ".join(schema["description"].split("\n\n")[0].split())
        hints = get_type_hints(struct, include_extras=True)
        properties = {k: _property(k, v, hints[k]) for k, v in schema["properties"].items()}
        schema["properties"] = properties
        if not struct.__struct_config__.omit_defaults:
            schema["required"] = list(properties)
        components[names[struct.__name__]] = _renamed(schema, names)
    return components


def _renamed(node: Any, names: Mapping[str, str]) -> Any:
    """``node`` with each ``$ref`` (a record's class name) pointing at its component."""
    if isinstance(node, dict):
        return {
            k: _REF.format(model=names[v]) if k == "$ref" else _renamed(v, names)
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_renamed(v, names) for v in node]
    return node


def build(app: Flask) -> dict[str, Any]:
    """The document of every ``/api/v1`` route of ``app``.

    Raises ``LookupError`` for an ``/api/v1`` route whose view declares no operation.
    """
    paths: dict[str, dict[str, Any]] = {}
    inputs: set[type[BaseModel]] = set()
    outputs: set[type[msgspec.Struct]] = {Problem}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.rule.startswith(PREFIX) or rule.endpoint == "reference.openapi":
            continue
        op = operation_of(app.view_functions[rule.endpoint])
        if op is None:
            raise LookupError(f"{rule.rule} ({rule.endpoint}) declares no @operation")
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            paths.setdefault(path, {})[method.lower()] = _operation(op, rule.endpoint)
        if op.body is not None:
            inputs.add(op.body)
        outputs.update(op.responses.values())
    models = [(m, "validation") for m in sorted(inputs, key=lambda m: m.__name__)]
    _, defs = models_json_schema(models, ref_template=_REF)  # type: ignore[arg-type]
    components = dict(defs.get("$defs", {}))
    for name, component in components.items():
        if name.endswith("In"):
            _non_blank(component)
    outs = _response_schemas(sorted(outputs, key=_name))
    if clash := components.keys() & outs.keys():
        raise LookupError(f"request and response schemas share the names {sorted(clash)}")
    components.update(outs)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "checkout-links merchant API",
            "version": "1",
            "description": "One-time checkout links for carts of dynamic products. "
            "Every error is RFC 9457 application/problem+json. Money is a decimal "
            "string with at most the currency's minor units.",
        },
        "servers": [{"url": "/"}],
        "components": {
            "schemas": components,
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An API key from `checkout-links merchant create`.",
                }
            },
        },
        "security": [{"bearer": []}],
        "paths": paths,
    }


def document_bytes() -> bytes:
    """The current app's document as JSON, built once per app."""
    cached = current_app.extensions.get("openapi")
    if cached is None:
        cached = current_app.extensions["openapi"] = dumps(build(current_app))
    return bytes(cached)


@bp.get(PREFIX + "openapi.json")
def openapi() -> Response:
    return Response(document_bytes(), mimetype="application/json")


@bp.get("/api/docs")
def reference_page() -> Response:
    response = Response(_DOCS_HTML, mimetype="text/html")
    response.headers["Content-Security-Policy"] = DOCS_CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
