"""Each API view declares its operation once; its answer and its documentation follow from it.

``@operation(...)`` records, per view, the request model, the response model
of each success status, the error statuses, and the parameters. The same
record drives two things, so they cannot drift apart:

- at run time the wrapper writes the view's return value through the
  response model of the status it answers with (an undeclared status is a
  programming error, never an undocumented answer);
- :mod:`checkout_links.web.api.openapi` builds the OpenAPI document from the
  app's routes and these records.

Writing goes through a msgspec Struct compiled from each pydantic response
model at import time: the same fields, order, types and defaults, converted
and type-checked in one pass. For the 201 of a 5-line link, writing through
pydantic itself cost about 25 µs more than encoding the core's record; through
the compiled Struct it costs about 2.5 µs more (``tests/unit/web/api/test_openapi.py`` pins
that both ways write the same bytes).
"""

from __future__ import annotations

import functools
import types
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import (
    Annotated,
    Any,
    Generic,
    Literal,
    NamedTuple,
    TypeVar,
    Union,
    get_args,
    get_origin,
)

import msgspec
from flask import Response
from pydantic import BaseModel

from checkout_links.web.api.responses import Out

View = Callable[..., Response]
T = TypeVar("T")
_ENCODER = msgspec.json.Encoder(decimal_format="string")


class Reply(NamedTuple):
    """A view's answer with a status (one its operation declares) and extra headers."""

    body: Any
    status: int
    headers: Mapping[str, str] | None = None


@dataclass(frozen=True, slots=True)
class Param:
    """A path, query or header parameter as the document states it."""

    name: str
    location: Literal["path", "query", "header"]
    description: str
    schema: Mapping[str, Any]
    example: Any
    required: bool = False


@dataclass(frozen=True, slots=True)
class QueryParam(Param, Generic[T]):
    """A query parameter: what the document states, and the parser that holds the request to it.

    ``parse`` takes the raw value (``None`` when the parameter is absent) and
    returns the typed value, or raises ``ValidationFailed`` naming the
    parameter. The constructors of :mod:`checkout_links.web.api.query` derive
    both ``schema`` and ``parse`` from one set of arguments.
    """

    parse: Callable[[str | None], T] = field(kw_only=True)


@dataclass(frozen=True, slots=True)
class Operation:
    """What one view accepts and answers."""

    summary: str
    description: str
    responses: Mapping[int, type[Out]]
    body: type[BaseModel] | None = None
    #: Problem statuses this operation may answer besides 401, 429 and 503,
    #: each with what it means here.
    errors: Mapping[int, str] = field(default_factory=dict)
    params: tuple[Param, ...] = ()
    response_headers: Mapping[int, Mapping[str, Any]] = field(default_factory=dict)


_OPERATIONS: dict[Callable[..., Any], Operation] = {}


def operation_of(view: Callable[..., Any]) -> Operation | None:
    """The operation a view declared, or ``None`` for a view without one."""
    return _OPERATIONS.get(view)


def _plain(annotation: Any) -> Any:
    """``annotation`` with pydantic models replaced by their compiled Structs."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _plain(get_args(annotation)[0])
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return struct_of(annotation)
    if origin in (Union, types.UnionType):
        return Union[tuple(_plain(arg) for arg in get_args(annotation))]  # noqa: UP007
    if origin is list:
        return list[_plain(get_args(annotation)[0])]  # type: ignore[misc]
    if origin is dict:
        key, value = get_args(annotation)
        return dict[_plain(key), _plain(value)]  # type: ignore[misc]
    return annotation


@functools.cache
def struct_of(model: type[BaseModel]) -> type[msgspec.Struct]:
    """A msgspec Struct with ``model``'s fields, order, types and defaults."""
    fields: list[tuple[str, Any] | tuple[str, Any, Any]] = []
    for name, info in model.model_fields.items():
        kind = _plain(info.annotation)
        if info.is_required():
            fields.append((name, kind))
        elif info.default_factory is not None:
            fields.append((name, kind, msgspec.field(default_factory=info.default_factory)))  # type: ignore[arg-type]
        else:
            fields.append((name, kind, info.default))
    omit = bool(getattr(model, "omit_none", False))
    return msgspec.defstruct(model.__name__, fields, kw_only=True, omit_defaults=omit)


def encoder_for(model: type[Out]) -> Callable[[Any], bytes]:
    """JSON bytes of a record, a dict or a model instance, as ``model`` shapes it.

    Raises ``msgspec.ValidationError`` for a value that does not fit the model.
    """
    struct = struct_of(model)
    convert, encode = msgspec.convert, _ENCODER.encode

    def encode_as(value: Any) -> bytes:
        return encode(convert(value, struct, from_attributes=True))

    return encode_as


def operation(
    summary: str,
    *,
    responses: Mapping[int, type[Out]],
    description: str = "",
    body: type[BaseModel] | None = None,
    errors: Mapping[int, str] | None = None,
    params: tuple[Param, ...] = (),
    response_headers: Mapping[int, Mapping[str, Any]] | None = None,
) -> Callable[[Callable[..., Any]], View]:
    """Declare a view's operation; the view returns a body (or a :class:`Reply`).

    Raises ``TypeError`` for a query parameter declared without its parser.
    """
    for param in params:
        if param.location == "query" and not isinstance(param, QueryParam):
            raise TypeError(f"query parameter {param.name!r} is documented but never parsed")
    op = Operation(
        summary=summary,
        description=description,
        responses=dict(responses),
        body=body,
        errors=dict(errors or {}),
        params=params,
        response_headers=dict(response_headers or {}),
    )
    encoders = {status: encoder_for(model) for status, model in op.responses.items()}
    default_status = next(iter(encoders))

    def decorate(view: Callable[..., Any]) -> View:
        @functools.wraps(view)
        def answer(*args: Any, **kwargs: Any) -> Response:
            result = view(*args, **kwargs)
            if isinstance(result, Reply):
                body, status, headers = result
            else:
                body, status, headers = result, default_status, None
            data = encoders[status](body)  # KeyError: the view answered an undeclared status
            return Response(data, status=status, mimetype="application/json", headers=headers)

        _OPERATIONS[answer] = op
        return answer

    return decorate
