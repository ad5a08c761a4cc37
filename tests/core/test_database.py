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
    for _ in range(3):
        with engine.connect() as connection:
            assert connection.scalar(sa.text("SELECT pg_backend_pid()")) != victim


def test_first_row_reads_by_the_driver_and_leaves_the_pooled_connection_as_it_was(app):
    from meetings.accounts.services import create_user
    from meetings.core.database import first_row
    from meetings.scheduling.models import Meeting, MeetingStatus
    from tests import factories

    meeting = factories.meeting(create_user("first-row@example.com", "organizer", "a long password"),
                                title="First row")
    db.session.commit()
    meetings = Meeting.__table__
    statement = (sa.select(sa.type_coerce(meetings.c.title, sa.String()), meetings.c.content_version)
                 .where(meetings.c.id == sa.bindparam("meeting_id"), meetings.c.status != MeetingStatus.CANCELLED))
    version = db.session.scalar(sa.select(Meeting.content_version).where(Meeting.id == meeting.id))
    db.session.commit()
    for _ in range(2):  # compiled once, then reused; the enum compared with goes as its value
        assert first_row(db.engine, statement, {"meeting_id": meeting.id}) == ("First row", version)
    assert first_row(db.engine, statement, {"meeting_id": meeting.id + 1}) is None
    with db.engine.connect() as connection:  # the same pooled connection, in a transaction again
        dbapi = connection.connection.dbapi_connection
        if db.engine.dialect.name == "postgresql":
            assert dbapi.autocommit is False
        connection.execute(sa.text("SELECT 1"))
        assert connection.in_transaction()


def test_first_row_replaces_a_connection_the_server_ended(app):
    from meetings.core.database import first_row

    engine = db.engine
    victim = _a_pooled_connection_the_server_ended(engine)
    assert first_row(engine, sa.select(sa.func.pg_backend_pid()), {})[0] != victim
