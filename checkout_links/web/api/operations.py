"""Each API view declares its operation once; its answer and its documentation follow from it.

``@operation(...)`` records, per view, the request model, the response model
of each success status, the error statuses, and the parameters. The same
record drives two things, so they cannot drift apart:

- at run time the wrapper writes the view's return value as the record of
  the status it answers with (an undeclared status is a programming error,
  never an undocumented answer);
- :mod:`checkout_links.web.api.openapi` builds the OpenAPI document from the
  app's routes and these records.

The response models are the core's records (:mod:`checkout_links.core.records`):
msgspec Structs whose fields carry their descriptions. A view returns the
record itself, which is encoded as is, or a dict (or another record) that is
converted to it first, so a field the record does not declare never reaches a
merchant.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, NamedTuple, TypeVar

import msgspec
from flask import Response
from pydantic import BaseModel

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
    responses: Mapping[int, type[msgspec.Struct]]
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


def encoder_for(record: type[msgspec.Struct]) -> Callable[[Any], bytes]:
    """JSON bytes of ``record``, or of a dict or another record converted to it.

    Raises ``msgspec.ValidationError`` for a value that does not fit the record.
    """
    convert, encode = msgspec.convert, _ENCODER.encode

    def encode_as(value: Any) -> bytes:
        return encode(convert(value, record, from_attributes=True))

    return encode_as


def operation(
    summary: str,
    *,
    responses: Mapping[int, type[msgspec.Struct]],
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
