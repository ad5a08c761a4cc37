"""Engine settings that each database needs to behave (DESIGN.md §6, "Known traps")."""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager

from flask import has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_write_intent = contextvars.ContextVar("write_intent", default=False)


@contextmanager
def write_intent() -> Iterator[None]:
    """Within this block, every transaction is one that will write.

    On SQLite that means ``BEGIN IMMEDIATE``: the write lock is taken up front (waiting for it
    within the busy timeout) instead of failing at once when a read is followed by a write. Jobs
    outside requests (delivery, housekeeping) run inside it.
    """
    token = _write_intent.set(True)
    try:
        yield
    finally:
        _write_intent.reset(token)


def configure_engine(engine: Engine) -> None:
    """Apply per-dialect connection settings to ``engine``."""
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # We issue BEGIN ourselves (below); pysqlite's own transaction handling is turned off.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        # A deferred transaction that reads and then writes fails at once with "database is
        # locked" when another writer got in between, whatever the timeout. Requests that may
        # write take the write lock up front and wait their turn instead; reads stay deferred so
        # they never block anyone under WAL.
        if _write_intent.get() or (has_request_context() and request.method not in _SAFE_METHODS):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.exec_driver_sql("BEGIN")
