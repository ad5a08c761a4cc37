"""Pooled connections the database server closed are replaced before a request uses them."""

import time

import pytest
import sqlalchemy as sa

from meetings.extensions import db


def _a_pooled_connection_the_server_ended(engine) -> int:
    """The backend pid of a connection left in ``engine``'s pool, which the server has ended."""
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: SQLite connections are files, no server ends them")
    engine.dispose()
    pooled, other = engine.connect(), engine.connect()
    victim = pooled.scalar(sa.text("SELECT pg_backend_pid()"))
    pooled.close()  # back in the pool; then the server ends it, as a restart would
    other.execution_options(isolation_level="AUTOCOMMIT")
    assert other.scalar(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": victim})
    other.close()
    time.sleep(0.2)
    return victim


def test_a_connection_the_server_ended_is_replaced_without_an_error(app):
    engine = db.engine
    victim = _a_pooled_connection_the_server_ended(engine)
    time.sleep(app.config["DB_PING_IDLE_SECONDS"])  # it sat idle in the pool: it is pinged
    for _ in range(3):
        with engine.connect() as connection:
            assert connection.scalar(sa.text("SELECT pg_backend_pid()")) != victim


def test_only_a_connection_that_sat_idle_is_pinged(app, monkeypatch):
    engine = db.engine
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: SQLite has no server to ping")
    pings = []
    real_ping = engine.dialect.do_ping
    monkeypatch.setattr(engine.dialect, "do_ping", lambda connection: pings.append(1) or real_ping(connection))
    engine.dispose()
    for _ in range(5):  # busy: each checkout a moment after the last
        with engine.connect() as connection:
            connection.scalar(sa.text("SELECT 1"))
    assert pings == []
    time.sleep(app.config["DB_PING_IDLE_SECONDS"] + 0.1)
    for _ in range(2):
        with engine.connect() as connection:
            connection.scalar(sa.text("SELECT 1"))
    assert pings == [1]  # the first checkout after the pause, then it is busy again


def _postgresql_engine(why_only_there: str):
    """The app's engine, its pools emptied; skips on SQLite for ``why_only_there``."""
    engine = db.engine
    if engine.dialect.name != "postgresql":
        pytest.skip(f"PostgreSQL only: {why_only_there}")
    engine.dispose()
    return engine


def test_page_reads_run_each_statement_in_autocommit_on_connections_apart_from_the_sessions(app):
    """`autocommit` runs each statement as its own transaction, on connections of the engine's
    companion that stay in autocommit; the engine's own pooled connections stay transactional,
    and disposing of the engine closes the companion's too (a database can then be dropped)."""
    from meetings.core.database import autocommit

    engine = _postgresql_engine("SQLite reads are plain statements in pysqlite's autocommit")
    with autocommit(engine) as connection:
        reader = connection.scalar(sa.text("SELECT pg_backend_pid()"))
        ids = [connection.scalar(sa.text("SELECT pg_current_xact_id()::text")) for _ in range(2)]
    assert ids[0] != ids[1]  # two transactions: autocommit
    with autocommit(engine) as connection:  # the same pooled connection, still in autocommit
        assert connection.scalar(sa.text("SELECT pg_backend_pid()")) == reader
        ids = [connection.scalar(sa.text("SELECT pg_current_xact_id()::text")) for _ in range(2)]
    assert ids[0] != ids[1]
    with engine.connect() as connection:  # the session's kind: in a transaction
        assert connection.scalar(sa.text("SELECT pg_backend_pid()")) != reader
        ids = [connection.scalar(sa.text("SELECT pg_current_xact_id()::text")) for _ in range(2)]
        connection.rollback()
    assert ids[0] == ids[1]
    engine.dispose()
    with engine.connect() as connection:
        alive = connection.scalar(sa.text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"),
                                  {"pid": reader})
        connection.rollback()
    assert alive == 0


def test_a_companion_connection_the_server_ended_is_replaced_without_an_error(app):
    """The companion's pooled connections are pinged when they sat idle, as the engine's are."""
    from meetings.core.database import autocommit

    engine = _postgresql_engine("SQLite connections are files, no server ends them")
    with autocommit(engine) as connection:
        victim = connection.scalar(sa.text("SELECT pg_backend_pid()"))
    with engine.connect() as other:
        assert other.scalar(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": victim})
        other.rollback()
    time.sleep(app.config["DB_PING_IDLE_SECONDS"] + 0.2)
    for _ in range(2):
        with autocommit(engine) as connection:
            assert connection.scalar(sa.text("SELECT pg_backend_pid()")) != victim
