"""The backup and restore the README documents, run as written, on both databases.

A backup that was never restored is a hope, not a backup: each test takes one with the README's
command, loses data, restores with the README's command and finds the data back.
"""

from __future__ import annotations

import secrets
import shutil
import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from meetings.accounts import services as accounts
from meetings.extensions import db
from meetings.scheduling.models import Meeting
from tests import factories
from tests.conftest import make_test_app

README = Path(__file__).resolve().parent.parent / "README.md"


def _organizer():
    return accounts.create_user("backup-owner@example.com", "organizer", "a long password 123")


def _run(*command: str) -> None:
    subprocess.run(command, check=True, capture_output=True, timeout=120)


def test_the_readme_documents_the_commands_these_tests_run():
    text = README.read_text()
    for command in ('sqlite3 instance/meetings.sqlite3 ".backup', "pg_dump --format=custom",
                    "pg_restore --clean --if-exists --no-owner", "instance/meetings.sqlite3-wal"):
        assert command in text


@pytest.mark.skipif(shutil.which("sqlite3") is None, reason="the sqlite3 command is not installed")
def test_a_sqlite_backup_restores_what_was_lost(tmp_path):
    live = tmp_path / "meetings.sqlite3"
    app = make_test_app(f"sqlite:///{live}")
    with app.app_context():
        upgrade()
        meeting = factories.meeting(_organizer(), title="Kept by the backup")
        db.session.commit()
        meeting_id = meeting.id
        # A backup taken while the app has the database open (WAL mode) is consistent.
        _run("sqlite3", str(live), f".backup '{tmp_path / 'backup.sqlite3'}'")
        db.session.delete(db.session.get(Meeting, meeting_id))
        db.session.commit()
        db.engine.dispose()  # the app is stopped before a restore

    shutil.copyfile(tmp_path / "backup.sqlite3", live)
    for leftover in ("meetings.sqlite3-wal", "meetings.sqlite3-shm"):
        (tmp_path / leftover).unlink(missing_ok=True)

    restored = make_test_app(f"sqlite:///{live}")
    with restored.app_context():
        upgrade()  # the README's next step; a no-op at the same version
        assert db.session.get(Meeting, meeting_id).title == "Kept by the backup"
        db.engine.dispose()


@pytest.fixture()
def scratch_postgres(database_url):
    """A new, empty PostgreSQL database beside the suite's, as a restore onto a new server gets."""
    url = sa.engine.make_url(database_url)
    if url.get_backend_name() != "postgresql":
        pytest.skip("PostgreSQL backups are tested when the suite runs on PostgreSQL (make test-postgres)")
    name = f"meetings_restore_test_{secrets.token_hex(4)}"
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def _libpq(url: sa.engine.URL) -> str:
    """The URL as pg_dump and pg_restore read it (no SQLAlchemy driver name)."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.mark.skipif(shutil.which("pg_dump") is None, reason="pg_dump is not installed")
def test_a_postgresql_dump_restores_onto_a_new_database_and_over_a_damaged_one(app, database_url,
                                                                                scratch_postgres, tmp_path):
    meeting = factories.meeting(_organizer(), title="Kept by pg_dump")
    db.session.commit()
    dump = tmp_path / "meetings.dump"
    live = sa.engine.make_url(database_url)
    _run("pg_dump", "--format=custom", f"--file={dump}", _libpq(live))

    _run("pg_restore", "--clean", "--if-exists", "--no-owner", f"--dbname={_libpq(scratch_postgres)}", str(dump))
    engine = sa.create_engine(scratch_postgres)
    try:
        with engine.begin() as connection:
            assert connection.execute(sa.text("SELECT title FROM meetings WHERE id = :id"),
                                      {"id": meeting.id}).scalar_one() == "Kept by pg_dump"
            connection.execute(sa.text("DELETE FROM meetings"))
        # Restoring over a database that has the schema replaces what is there.
        _run("pg_restore", "--clean", "--if-exists", "--no-owner", f"--dbname={_libpq(scratch_postgres)}", str(dump))
        with engine.connect() as connection:
            assert connection.execute(sa.text("SELECT count(*) FROM meetings")).scalar_one() == 1
            assert connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one()
    finally:
        engine.dispose()
