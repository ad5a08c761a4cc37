"""The Alembic migrations build exactly the schema the models describe, from empty, and back."""

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from meetings.extensions import db
from tests.conftest import make_test_app


def test_upgrade_from_empty_matches_the_models(tmp_path):
    app = make_test_app("sqlite:///" + str(tmp_path / "fresh.sqlite3"))
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, db.metadata) == []
        downgrade(revision="base")
        assert set(sa.inspect(db.engine).get_table_names()) == {"alembic_version"}
        db.engine.dispose()


def test_the_test_database_is_at_the_latest_revision(app):
    """Also true on PostgreSQL when the suite runs there: the session schema came from `upgrade`."""
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, db.metadata) == []
        assert context.get_current_revision() is not None
