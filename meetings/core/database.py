"""Engine settings that each database needs to behave (DESIGN.md §6, "Known traps")."""

from __future__ import annotations

import contextvars
from enum import Enum
import select
from collections.abc import Iterator
from contextlib import contextmanager

from flask import has_request_context, request
from sqlalchemy import String, event, exc, type_coerce
from sqlalchemy.engine import Connection, Engine

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_write_intent = contextvars.ContextVar("write_intent", default=False)
_READ_ONLY = "meetings_read_only"
_IDLE = 0  # psycopg.pq.TransactionStatus.IDLE


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


@contextmanager
def read_only(engine: Engine) -> Iterator[Connection]:
    """A connection of its own, in autocommit, for the busiest pages' reads (join, RSVP).

    Those pages read in one or two plain statements and write nothing. The session's
    transaction bookkeeping would cost as much as the statements, and on PostgreSQL a
    transaction is two more round trips to the server (``BEGIN``, then ``ROLLBACK``) for each
    page: each statement here is its own snapshot instead, which is all a single statement needs.
    """
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            # pysqlite is in autocommit already (see `_configure_sqlite`); the flag only skips our
            # BEGIN. (Its AUTOCOMMIT isolation level would run PRAGMAs and, when reset, turn
            # pysqlite's own transaction handling back on.)
            yield connection.execution_options(**{_READ_ONLY: True})
        else:
            yield connection.execution_options(isolation_level="AUTOCOMMIT")


def as_stored(column):
    """``column`` read as the database hands it over, without its type's conversion (an enum
    as its text, a time as text on SQLite): for statements read by `first_row`, and for reads of
    many rows that convert a value once (a meeting's columns repeated on each of its agenda rows)
    or never (an export writes them as text). `meetings.core.db.utc_value` reads such a time."""
    return type_coerce(column, String())


def first_row(engine: Engine, statement, params: dict) -> tuple | None:
    """The first row of ``statement``, a prebuilt SELECT whose columns need no conversion by
    their types (see `meetings.conferencing.joinpage`), read by the driver on a pooled connection.

    For the one statement every kept page is served after (`meetings.core.pagecache`): through
    a SQLAlchemy connection, its bookkeeping (a connection object, the statement's cache key, an
    execution context, a result) costs four times the statement itself on SQLite. The pool's
    checkout rules still apply (a PostgreSQL connection the server closed is replaced); the
    statement runs outside any transaction, as in `read_only`.
    """
    sql, compiled = _compiled(statement, engine.dialect)
    # The statement's own values too (a purpose it compares with), as the driver takes them.
    values = {name: value.value if isinstance(value, Enum) else value
              for name, value in compiled.construct_params(params).items()}
    args = tuple(values[name] for name in compiled.positiontup) if compiled.positional else values
    connection = engine.raw_connection()
    try:
        if engine.dialect.name == "postgresql":
            connection.driver_connection.autocommit = True  # back to False at checkin (above)
        cursor = connection.cursor()
        try:
            cursor.execute(sql, args)
            return cursor.fetchone()
        finally:
            cursor.close()
    finally:
        connection.close()


_statements: dict = {}


def _compiled(statement, dialect):
    # By identity: prebuilt statements, few. Each is kept with its SQL, so its id stays its own.
    key = (id(statement), dialect.name)
    found = _statements.get(key)
    if found is None:
        compiled = statement.compile(dialect=dialect)
        found = _statements[key] = (str(compiled), compiled, statement)
    return found[:2]


def configure_engine(engine: Engine) -> None:
    """Apply per-dialect connection settings to ``engine``."""
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)
    elif engine.dialect.name == "postgresql":
        _configure_postgresql(engine)


def _configure_postgresql(engine: Engine) -> None:
    # A pooled connection whose server went away (a restart, a failover, an idle timeout) must
    # not fail the request that takes it. SQLAlchemy's pool_pre_ping asks the server (SELECT 1)
    # at every checkout: one more round trip per request, as much as the page's own statement.
    # A server that ends a connection says so on the socket (its goodbye message, or the close
    # itself), so an idle connection with anything to read is one to replace; this costs no
    # round trip. SQLAlchemy replaces a connection this refuses and tries again.
    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection, _record, _proxy):
        if _hung_up(dbapi_connection):
            raise exc.DisconnectionError("the database server closed this connection")

    # Requests that only read (GET, HEAD, OPTIONS: they change nothing, DESIGN.md) run their
    # statements in autocommit. Under PostgreSQL's READ COMMITTED each statement takes its own
    # snapshot inside a transaction anyway, so a reading request sees the same data either way;
    # the transaction only added a BEGIN and a ROLLBACK round trip to every page, as many as
    # the page's own statements. (The ROLLBACK also made psycopg forget its prepared
    # statements; without it, statements a connection runs often are prepared once.)
    # What writes in such a request (an API token's "last used") commits statement by statement.
    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        if _write_intent.get() or not has_request_context() or request.method not in _SAFE_METHODS:
            return
        dbapi_connection = connection.connection.dbapi_connection
        if not dbapi_connection.autocommit and dbapi_connection.info.transaction_status == _IDLE:
            dbapi_connection.autocommit = True

    @event.listens_for(engine, "before_execute")
    def _before_execute(connection, _clause, _multiparams, _params, execution_options):
        # A statement read through a server-side cursor (``yield_per``, ``stream_results``: the
        # exports) needs a transaction to hold it: that request gets one after all.
        if execution_options.get("stream_results") or execution_options.get("yield_per") or \
                connection.get_execution_options().get("stream_results"):
            dbapi_connection = connection.connection.dbapi_connection
            if dbapi_connection.autocommit and dbapi_connection.info.transaction_status == _IDLE \
                    and not connection.get_execution_options().get("isolation_level"):
                dbapi_connection.autocommit = False

    @event.listens_for(engine, "checkin")
    def _on_checkin(dbapi_connection, _record):
        if dbapi_connection is not None and dbapi_connection.autocommit and not dbapi_connection.closed:
            dbapi_connection.autocommit = False


def _hung_up(dbapi_connection) -> bool:
    """Whether an idle psycopg connection was closed or has been sent something unasked."""
    if dbapi_connection.closed or dbapi_connection.broken:
        return True
    try:
        poller = select.poll()  # not select(): it cannot watch descriptors above 1023
        poller.register(dbapi_connection.fileno(), select.POLLIN)
        return bool(poller.poll(0))
    except (OSError, ValueError):
        return True


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
        if connection.get_execution_options().get(_READ_ONLY):
            return  # `read_only`: each statement is its own (read) transaction
        # A deferred transaction that reads and then writes fails at once with "database is
        # locked" when another writer got in between, whatever the timeout. Requests that may
        # write take the write lock up front and wait their turn instead; reads stay deferred so
        # they never block anyone under WAL.
        if _write_intent.get() or (has_request_context() and request.method not in _SAFE_METHODS):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.exec_driver_sql("BEGIN")
