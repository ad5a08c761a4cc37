"""Pooled connections the database server closed are replaced before a request uses them."""

import time

import pytest
import sqlalchemy as sa

from meetings.extensions import db


def test_a_connection_the_server_ended_is_replaced_without_an_error(app):
    engine = db.engine
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
    for _ in range(3):
        with engine.connect() as connection:
            assert connection.scalar(sa.text("SELECT pg_backend_pid()")) != victim
