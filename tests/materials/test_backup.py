"""Materials' files are in the database, so the README's backups hold them: back up, lose the
material, restore, and the same bytes come back through the storage interface."""

from __future__ import annotations

import hashlib
import shutil

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from meetings.extensions import db
from meetings.materials import services, storage
from meetings.materials.models import Material
from tests import factories
from tests.conftest import make_test_app
from tests.materials import samples
from tests.test_backup import _libpq, _organizer, _run, scratch_postgres  # noqa: F401 (a fixture)


@pytest.mark.skipif(shutil.which("sqlite3") is None, reason="the sqlite3 command is not installed")
def test_a_sqlite_backup_holds_the_files(tmp_path):
    live = tmp_path / "meetings.sqlite3"
    data = samples.pdf(3 * 1024 * 1024 + 7)
    app = make_test_app(f"sqlite:///{live}")
    with app.app_context():
        upgrade()
        meeting = factories.meeting(_organizer())
        material_id = services.upload(meeting, data, "report.pdf", title="Report", user=meeting.owner).id
        db.session.commit()
        _run("sqlite3", str(live), f".backup '{tmp_path / 'backup.sqlite3'}'")
        db.session.execute(sa.text("DELETE FROM material_blobs"))
        db.session.delete(db.session.get(Material, material_id))
        db.session.commit()
        db.engine.dispose()
    shutil.copyfile(tmp_path / "backup.sqlite3", live)
    for leftover in ("meetings.sqlite3-wal", "meetings.sqlite3-shm"):
        (tmp_path / leftover).unlink(missing_ok=True)
    restored = make_test_app(f"sqlite:///{live}")
    with restored.app_context():
        upgrade()
        version = db.session.get(Material, material_id).current
        assert hashlib.sha256(storage.open(version.storage_ref).read()).hexdigest() == version.sha256 \
            == hashlib.sha256(data).hexdigest()
        db.engine.dispose()


@pytest.mark.skipif(shutil.which("pg_dump") is None, reason="pg_dump is not installed")
def test_a_postgresql_dump_holds_the_files(app, database_url, scratch_postgres, tmp_path):
    data = samples.pdf(2 * 1024 * 1024 + 3)
    meeting = factories.meeting(_organizer())
    material = services.upload(meeting, data, "report.pdf", title="Report", user=meeting.owner)
    db.session.commit()
    ref = material.current.storage_ref
    dump = tmp_path / "meetings.dump"
    _run("pg_dump", "--format=custom", f"--file={dump}", _libpq(sa.engine.make_url(database_url)))
    _run("pg_restore", "--clean", "--if-exists", "--no-owner", f"--dbname={_libpq(scratch_postgres)}", str(dump))
    engine = sa.create_engine(scratch_postgres)
    try:
        with engine.connect() as connection:
            assert storage.open(ref, connection).read() == data
    finally:
        engine.dispose()
