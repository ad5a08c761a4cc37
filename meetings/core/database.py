"""Engine settings that each database needs to behave (DESIGN.md §6, "Known traps")."""

from __future__ import annotations

import contextvars
import time
import weakref
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from flask import g, has_request_context, request
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DisconnectionError

from meetings.extensions import db

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: True: transactions begun will write; False: they only read; None: a request's method says.
_write_intent: contextvars.ContextVar[bool | None] = contextvars.ContextVar("write_intent", default=None)
_AUTOCOMMIT = "meetings_autocommit"
_REQUEST_READS = "meetings_request_reads"
#: Each configured engine's companion for `autocommit` on a database server (`configure_engine`).
_autocommit_engines: weakref.WeakKeyDictionary[Engine, Engine] = weakref.WeakKeyDictionary()


@contextmanager
def write_intent(writes: bool = True) -> Iterator[None]:
    """Within this block, every transaction begun is one that will write (``writes=False``: one
    that only reads, inside a larger block that writes).

    On SQLite that means ``BEGIN IMMEDIATE``: the write lock is taken up front (waiting for it
    within the busy timeout) instead of failing at once when a read is followed by a write. Jobs
    outside requests (delivery, housekeeping) run inside it. A long read that writes nothing (the
    delivery rendering a batch) begins with ``write_intent(False)`` and holds no lock: under WAL
    it blocks no writer.
    """
    token = _write_intent.set(writes)
    try:
        yield
    finally:
        _write_intent.reset(token)


@contextmanager
def write_apart() -> Iterator[None]:
    """Run the block as a short write of its own, after the request's reads: the reading
    transaction ends (committed: it wrote nothing), the block's transaction takes the write lock
    up front (`write_intent`: on SQLite ``BEGIN IMMEDIATE``, waiting its turn within the busy
    timeout) and is committed at the end.

    For a GET that records what it handed out (an export's audit entry, a material's access log).
    Left in the reading transaction, that write would fail at once on SQLite with "database is
    locked" whenever another writer (the scheduler's delivery, an answer) got in between
    (DESIGN.md, Known traps); and the lock is held only for the write, not for the reads."""
    db.session.commit()
    with write_intent():
        yield
        db.session.commit()


@contextmanager
def autocommit(engine: Engine) -> Iterator[Connection]:
    """A connection of its own, in autocommit: each statement is its own transaction.

    For work that is whole in each statement: the busiest pages' reads (join, RSVP), an RSVP
    answer (one ``UPDATE`` through the link: `invitations.answers`), the delivery's
    bookkeeping of each email. The session's transaction bookkeeping would cost as much as the
    statements, and on PostgreSQL a transaction is two more round trips to the server (``BEGIN``,
    then ``COMMIT`` or ``ROLLBACK``); on SQLite a write here takes the write lock for its one
    statement only, waiting its turn within the busy timeout.

    On a database server the connection comes from ``engine``'s companion (`configure_engine`),
    whose pooled connections are all in autocommit; ``engine`` must have been configured.
    """
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            # pysqlite is in autocommit already (see `_configure_sqlite`); the flag only skips our
            # BEGIN. (Its AUTOCOMMIT isolation level would run PRAGMAs and, when reset, turn
            # pysqlite's own transaction handling back on.)
            yield connection.execution_options(**{_AUTOCOMMIT: True})
    else:
        with _autocommit_engines[engine].connect() as connection:
            yield connection


def engines(engine: Engine) -> tuple[Engine, ...]:
    """``engine`` and, on a database server, its companion for `autocommit`: where to listen
    for every statement the app runs (SQLAlchemy's engine events belong to one engine)."""
    companion = _autocommit_engines.get(engine)
    return (engine,) if companion is None else (engine, companion)


def request_reads(engine: Engine) -> Connection:
    """The connection a request's plain reads run on (the caller of an API token, the version
    of what a page keeps, the page's own statements): for a request that changes nothing (GET,
    HEAD, OPTIONS) one `autocommit` connection, checked out (and pinged) once and returned at the
    end of the app context; for any other, the session's, in its transaction."""
    if not has_request_context() or request.method not in _SAFE_METHODS:
        from meetings.extensions import db

        return db.session.connection()
    opened = g.get(_REQUEST_READS)
    if opened is None:
        stack = ExitStack()
        connection = stack.enter_context(autocommit(engine))
        opened = g.setdefault(_REQUEST_READS, (stack, connection))
    return opened[1]


def close_request_reads(_error=None) -> None:
    """Return the request's read connection to the pool (an app context teardown)."""
    opened = g.pop(_REQUEST_READS, None)
    if opened is not None:
        opened[0].close()


def configure_engine(engine: Engine, *, ping_idle_seconds: float = 1.0, options: dict | None = None) -> None:
    """Apply per-dialect connection settings to ``engine``.

    On a database server, a pooled connection that sat idle for more than
    ``ping_idle_seconds`` is pinged when it is checked out (`_ping_when_idle`), and `autocommit`
    gets a companion engine of its own: the same database and ``options`` (the app's
    ``SQLALCHEMY_ENGINE_OPTIONS``), created with
    SQLAlchemy's ``isolation_level="AUTOCOMMIT"``, so its connections stay in autocommit. (Asking
    for it per connection, ``Connection.execution_options(isolation_level=...)`` on ``engine``'s
    pool, sets the level at each checkout and resets it at each return: about a tenth of an RSVP
    page's or answer's CPU.) Disposing of ``engine`` disposes of its companion too.
    """
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)
        return
    _ping_when_idle(engine, ping_idle_seconds)
    companion = create_engine(engine.url, **{**(options or {}), "isolation_level": "AUTOCOMMIT"})
    _ping_when_idle(companion, ping_idle_seconds)
    _autocommit_engines[engine] = companion

    @event.listens_for(engine, "engine_disposed")
    def _dispose_companion(_connection):
        companion.dispose()


_RETURNED_AT = "meetings_returned_at"


def _ping_when_idle(engine: Engine, seconds: float) -> None:
    """SQLAlchemy's pessimistic disconnect handling, for connections that sat idle.

    The pool's ``pool_pre_ping`` pings at every checkout: a round trip before each page's one
    statement, however busy the pool is. A connection goes stale while it sits idle (a server
    restart, a failover, an idle timeout, a firewall dropping quiet connections), so the pool
    event documented for this ("checkout": raising `DisconnectionError` makes the pool connect
    anew and check out again) pings only a connection back in the pool for more than ``seconds``,
    with the dialect's own `Dialect.do_ping`. One the server ended within ``seconds`` of its last
    use fails that request; SQLAlchemy then invalidates the pool's older connections, as it does
    for any disconnect.
    """

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_connection, record):
        if record is not None:
            record.info[_RETURNED_AT] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection, record, _proxy):
        returned = record.info.get(_RETURNED_AT)
        if returned is None or time.monotonic() - returned <= seconds:
            return  # a new connection, or one in use a moment ago
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            if engine.dialect.is_disconnect(error, dbapi_connection, None):
                raise DisconnectionError("a pooled connection that sat idle was closed by the server") from error
            raise
        if not alive:
            raise DisconnectionError("a pooled connection that sat idle does not answer")


def _configure_sqlite(engine: Engine) -> None:
    # The "connect" event with PRAGMAs on the DBAPI connection, and our own BEGIN in the
    # "begin" event, are the pattern SQLAlchemy documents for pysqlite ("Serializable isolation
    # / Savepoints / Transactional DDL" in the SQLite dialect's documentation).
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
        if connection.get_execution_options().get(_AUTOCOMMIT):
            return  # `autocommit`: each statement is its own transaction
        # A deferred transaction that reads and then writes fails at once with "database is
        # locked" when another writer got in between, whatever the timeout. Requests that may
        # write take the write lock up front and wait their turn instead; reads stay deferred so
        # they never block anyone under WAL.
        writes = _write_intent.get()
        if writes is None:
            writes = has_request_context() and request.method not in _SAFE_METHODS
        if writes:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.exec_driver_sql("BEGIN")
