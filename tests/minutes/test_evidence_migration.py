"""The migration that moves evidence bytes into the materials storage keeps every file, both ways,
on the database the suite runs on (a throwaway one of the same server on PostgreSQL)."""

from __future__ import annotations

import os
import secrets

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from meetings.extensions import db
from meetings.minutes import evidence
from meetings.minutes.models import ActionItem
from tests import factories
from tests.conftest import api_client_for, make_test_app

BEFORE = "727d0c0997dc"  # evidence in its own table
MOVED = "a3c5e7f9b1d4"   # evidence in the materials storage


@pytest.fixture()
def fresh_url(tmp_path):
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgresql"):
        yield "sqlite:///" + str(tmp_path / "migrating.sqlite3")
        return
    import psycopg

    parsed = sa.engine.make_url(url)
    name = f"{parsed.database}_mig_{secrets.token_hex(3)}"
    admin_url = parsed.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield parsed.set(database=name).render_as_string(hide_password=False)
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _an_action(app):
    """An action item of published minutes (through the API, as organizers make them); its id."""
    api = api_client_for(app.test_client())
    meeting = factories.meeting(api.user, title="Migrated")
    item = factories.agenda_item(meeting)
    owner = factories.person("Owner", email="owner@example.com")
    factories.invite(meeting, owner)
    factories.publish(meeting)
    body = {"notes": [], "decisions": [], "actions": [
        {"title": "Do it", "owner_email": owner.email, "due": factories.future_day(7, 1).isoformat(),
         "agenda_item_id": item.id}]}
    assert api.client.put(f"/api/meetings/{meeting.id}/minutes", json=body,
                          headers={"Authorization": f"Bearer {api.token}"}).status_code == 200
    return db.session.scalar(sa.select(ActionItem.id))


def test_evidence_bytes_move_into_the_materials_storage_and_back(fresh_url):
    app = make_test_app(fresh_url)
    files = {"plan.pdf": b"%PDF-1.7 the plan" * 100, "photo.jpg": os.urandom(3000)}
    with app.app_context():
        # The action is made by today's code, on today's schema, then the schema goes back to
        # before the move (the models know only the newest schema).
        upgrade()
        action_id = _an_action(app)
        db.session.remove()
        downgrade(revision=BEFORE)
        with db.engine.begin() as connection:
            for name, data in files.items():
                blob_id = connection.execute(sa.text("INSERT INTO evidence_blobs (data) VALUES (:data) RETURNING id"),
                                             {"data": data}).scalar_one()
                connection.execute(sa.text(
                    "INSERT INTO action_evidence (action_id, filename, size, ref, uploaded_by, uploaded_at) "
                    "VALUES (:action, :name, :size, :ref, 'owner@example.com', CURRENT_TIMESTAMP)"),
                    {"action": action_id, "name": name, "size": len(data), "ref": f"minutes-db:{blob_id}"})
        db.session.remove()

        upgrade(revision=MOVED)
        assert "evidence_blobs" not in sa.inspect(db.engine).get_table_names()
        refs = dict(db.session.execute(sa.text("SELECT filename, ref FROM action_evidence")).all())
        assert all(ref.startswith("db:") for ref in refs.values()), refs
        assert {name: evidence.open(ref).read() for name, ref in refs.items()} == files
        db.session.remove()

        downgrade(revision=BEFORE)
        rows = db.session.execute(sa.text(
            "SELECT e.filename, b.data FROM action_evidence e JOIN evidence_blobs b "
            "ON e.ref = 'minutes-db:' || CAST(b.id AS VARCHAR(20))")).all()
        assert {name: bytes(data) for name, data in rows} == files
        assert db.session.scalar(sa.text("SELECT count(*) FROM material_blobs")) == 0
        db.session.remove()
        db.engine.dispose()
