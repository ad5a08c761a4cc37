"""Health checks for load balancers and orchestrators.

``/healthz``: the process answers. ``/readyz``: it can do its work: the database answers, its
schema is at the migrations' head, and a scheduler has said it is alive recently (otherwise no
email would go out).
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify

from meetings.core.access import PUBLIC, access
from meetings.core.db import utcnow
from meetings.extensions import db

blueprint = Blueprint("health", __name__)

#: A scheduler heard from longer ago than this is taken for gone.
HEARTBEAT_LIMIT = timedelta(seconds=90)


@blueprint.route("/healthz")
@access(PUBLIC)
def healthz():
    """The process is up."""
    return jsonify({"status": "ok"})


def _migrations_current() -> tuple[bool, str]:
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    migrate = current_app.extensions["migrate"]
    heads = set(ScriptDirectory.from_config(migrate.migrate.get_config(migrate.directory)).get_heads())
    with db.engine.connect() as connection:
        current = set(MigrationContext.configure(connection).get_current_heads())
    return current == heads, f"database at {sorted(current) or 'nothing'}, code at {sorted(heads)}"


@blueprint.route("/readyz")
@access(PUBLIC)
def readyz():
    """Ready to serve: database, schema and scheduler. 503 with the reasons otherwise."""
    from meetings.outbox.scheduler import latest_heartbeat

    checks: dict[str, dict] = {}
    try:
        db.session.execute(sa.text("SELECT 1"))
        checks["database"] = {"ok": True}
    except sa.exc.SQLAlchemyError as error:
        db.session.rollback()
        checks["database"] = {"ok": False, "detail": type(error).__name__}
        return jsonify({"status": "unavailable", "checks": checks}), 503
    ok, detail = _migrations_current()
    checks["migrations"] = {"ok": ok, "detail": detail}
    seen = latest_heartbeat()
    fresh = seen is not None and utcnow() - seen <= HEARTBEAT_LIMIT
    checks["scheduler"] = {"ok": fresh, "detail": f"last heard {seen.isoformat() if seen else 'never'}"}
    ready = all(check["ok"] for check in checks.values())
    return jsonify({"status": "ready" if ready else "unavailable", "checks": checks}), 200 if ready else 503


def init_app(app) -> None:
    """Attach the health checks (no sign-in, no CSRF, cheap)."""
    app.register_blueprint(blueprint)
