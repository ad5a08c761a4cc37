"""Helpers for the API schemas of every domain."""

from __future__ import annotations

from marshmallow import Schema, fields, validate
from werkzeug.routing import IntegerConverter

#: The largest id or count the API takes: what a 32-bit INTEGER column holds.
MAX_INT = 2**31 - 1


def Id(**kwargs) -> fields.Integer:  # noqa: N802  (a field factory reads like a field class)
    """An id in a request: a whole number from 1 to `MAX_INT` (bigger ones would overflow the
    database's integer and are no id of ours anyway)."""
    kwargs.setdefault("strict", True)  # JSON: 5, not "5"; query strings pass strict=False
    return fields.Integer(validate=validate.Range(1, MAX_INT), **kwargs)


def Count(minimum: int = 0, maximum: int = MAX_INT, **kwargs) -> fields.Integer:  # noqa: N802
    """A whole number within bounds the database can hold."""
    kwargs.setdefault("strict", True)
    return fields.Integer(validate=validate.Range(minimum, maximum), **kwargs)


class BoundedIntegerConverter(IntegerConverter):
    """``<int:...>`` in URLs, refusing (404) numbers no database id can be."""

    def __init__(self, map, fixed_digits: int = 0, min: int | None = None,  # noqa: A002
                 max: int | None = MAX_INT, signed: bool = False):  # noqa: A002
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


class PartialSchemaMixin:
    """Makes a schema load partially (every field optional): the shape of a PATCH body."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("partial", True)
        super().__init__(*args, **kwargs)


class ErrorDetailSchema(Schema):
    """What went wrong."""

    status = fields.Integer(required=True, metadata={"example": 422})
    message = fields.String(required=True)
    field_errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()), required=True,
                               data_key="fields", metadata={"description": "The inputs at fault, each with why."})


class ErrorSchema(Schema):
    """Every error the API answers: ``{"error": {"status", "message", "fields"}}``."""

    error = fields.Nested(ErrorDetailSchema, required=True)
