"""Helpers for the API schemas of every domain."""

from __future__ import annotations


class PartialSchemaMixin:
    """Makes a schema load partially (every field optional): the shape of a PATCH body."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("partial", True)
        super().__init__(*args, **kwargs)
