"""The OpenAPI 3.1 document of the merchant API, and its reference page at ``/api/docs``.

The document is built from the app's own routes: every ``/api/v1`` route's
view declares its :class:`~checkout_links.web.api.operations.Operation`, whose
request and response models give the schemas. A route without one stops
the build, so no route goes undocumented and nothing documented is unrouted.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Flask, Response, current_app
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from checkout_links.core.primitives.jsonutil import dumps
from checkout_links.web.api.operations import Operation, Param, operation_of
from checkout_links.web.api.responses import Problem

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


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": _REF.format(model=model.__name__)}


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


def build(app: Flask) -> dict[str, Any]:
    """The document of every ``/api/v1`` route of ``app``.

    Raises ``LookupError`` for an ``/api/v1`` route whose view declares no operation.
    """
    paths: dict[str, dict[str, Any]] = {}
    inputs: set[type[BaseModel]] = set()
    outputs: set[type[BaseModel]] = {Problem}
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
    models += [(m, "serialization") for m in sorted(outputs, key=lambda m: m.__name__)]
    _, defs = models_json_schema(models, ref_template=_REF)  # type: ignore[arg-type]
    components = dict(defs.get("$defs", {}))
    for name, component in components.items():
        if name.endswith("In"):
            _non_blank(component)
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
