"""People API: ``/api/people``."""

from __future__ import annotations

from flask import request
from flask_smorest import Blueprint

from meetings.accounts.auth import current_api_user, protect_api_blueprint
from meetings.core.access import CALLER, PERSON_CHANGE, PERSON_READ, access
from meetings.core.errors import InvalidInput
from meetings.directory import roster, services
from meetings.directory.access import require_may_revive
from meetings.directory.schemas import (
    ImportResultSchema,
    PeopleQuerySchema,
    PersonInSchema,
    PersonPatchSchema,
    PersonSchema,
)
from meetings.extensions import db

blueprint = Blueprint("people", __name__, url_prefix="/api/people", description="The directory of people.")
protect_api_blueprint(blueprint)


@blueprint.route("", methods=["POST"])
@access(CALLER)
@blueprint.arguments(PersonInSchema)
@blueprint.response(201, PersonSchema)
def create_person(data):
    """Add a person to the directory (someone who left comes back, under the rule of
    `meetings.directory.access`)."""
    require_may_revive(current_api_user(), data.get("email"))
    person = services.create_person(data)
    db.session.commit()
    return person


@blueprint.route("", methods=["GET"])
@access(CALLER)
@blueprint.arguments(PeopleQuerySchema, location="query")
@blueprint.response(200, PersonSchema(many=True))
def list_people(query):
    """People, filtered by tag (any of them), unit (and below) or a search string."""
    return services.find_people(query.get("tag", []), query.get("unit"), query.get("q"))


@blueprint.route("/<int:person_id>", methods=["GET"])
@access(PERSON_READ)
@blueprint.response(200, PersonSchema)
def get_person(person_id):
    """One person."""
    return services.get_person(person_id)


@blueprint.route("/<int:person_id>", methods=["PATCH"])
@access(PERSON_CHANGE)
@blueprint.arguments(PersonPatchSchema)
@blueprint.response(200, PersonSchema)
def update_person(data, person_id):
    """Change a person's fields (role tags included). An organizer may change only people on no
    meeting they cannot see (`meetings.directory.access`); else 403."""
    person = services.update_person(services.get_person(person_id), data)
    db.session.commit()
    return person


@blueprint.route("/<int:person_id>", methods=["DELETE"])
@access(PERSON_CHANGE)
@blueprint.response(204)
def remove_person(person_id):
    """Take a person out of the directory. They can no longer be invited; their past
    invitations, answers and attendance stay as they were. An organizer may remove only people
    on no meeting they cannot see (`meetings.directory.access`); else 403."""
    services.remove_person(services.get_person(person_id))
    db.session.commit()


@blueprint.route("/import", methods=["POST"])
@access(CALLER)
@blueprint.response(200, ImportResultSchema)
def import_people():
    """Import a roster (CSV or XLSX) as the body or as the multipart field ``file``.

    All rows or none: any bad row is reported, by row number, and nothing is written.
    ``?dry_run=1`` checks the file and reports what would happen.
    """
    content, filename, content_type = b"", "", ""
    if request.mimetype == "multipart/form-data":
        upload = request.files.get("file")
        if upload is not None:
            content, filename, content_type = upload.read(), upload.filename or "", upload.mimetype or ""
    else:
        # Any other body is the file itself: `curl --data-binary` labels it as a form, and parsing
        # it as one would leave nothing to read.
        content, content_type = request.get_data(), request.mimetype or ""
    if not content:
        raise InvalidInput("Send the roster as the request body or as the form field 'file'.", "file")
    dry_run = request.args.get("dry_run", "").lower() in ("1", "true", "yes")
    # Authenticating the caller began a transaction, and on SQLite a POST's transaction holds the
    # write lock from its start: end it, so that the seconds spent reading and checking the file
    # (before the first statement of the import) hold no lock the scheduler's delivery waits for.
    db.session.commit()
    if dry_run:
        result = roster.plan_import(content, filename, content_type, user=current_api_user())
        if result.errors:
            raise InvalidInput(f"{len(result.errors)} row(s) have errors.", fields=result.errors)
    else:
        result = roster.import_and_commit(content, filename, content_type, user=current_api_user())
    return {
        "created": result.created,
        "updated": result.updated,
        "dry_run": dry_run,
        "rows": [{"row": r.row, "email": r.email, "action": r.action} for r in result.rows],
    }
