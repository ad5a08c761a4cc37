"""Materials API: ``/api/meetings/<id>/materials``, organizers only (``@access(MEETING)``,
`meetings.core.access`, with the meeting's rule `scheduling.services.get_meeting_for`; anyone
else's meeting is a 404).

Each handler loads (404), checks with `services.may_see`, calls one service, commits, answers.
"""

from __future__ import annotations

from flask import current_app, request
from flask_babel import gettext as _
from flask_smorest import Blueprint

from meetings.accounts.auth import (
    current_api_caller,
    current_api_user,
    protect_api_blueprint,
)
from meetings.core.access import MEETING, access, loaded
from meetings.core.errors import DomainError, NotFound
from meetings.extensions import db
from meetings.materials import files, services
from meetings.materials.models import AccessAction
from meetings.materials.schemas import (
    AccessSchema,
    DueInSchema,
    DueSchema,
    FileQuerySchema,
    MaterialListSchema,
    MaterialPatchSchema,
    MaterialSchema,
    UploadFileSchema,
    UploadFormSchema,
)

blueprint = Blueprint("materials", __name__, url_prefix="/api/meetings",
                      description="Meeting materials: upload, list, download, the ZIP and the access log.")
protect_api_blueprint(blueprint)


class TooLarge(DomainError):
    """An upload over ``MATERIALS_MAX_BYTES``."""

    status = 413


@blueprint.before_request
def _allow_large_uploads():
    # The app takes 10 MB bodies; uploads of materials take up to MATERIALS_MAX_BYTES (plus the
    # multipart's own bytes). A body announced as larger is refused before it is read.
    limit = current_app.config["MATERIALS_MAX_BYTES"] + 64 * 1024
    if request.method == "POST":
        request.max_content_length = limit
        if request.content_length is not None and request.content_length > limit:
            raise TooLarge(_("The file is larger than %(mb)s MB.",
                             mb=current_app.config["MATERIALS_MAX_BYTES"] // (1024 * 1024)), "file")


def _meeting(meeting_id: int):
    return loaded(meeting_id)  # loaded by @access(MEETING)


def _viewer(meeting) -> services.Viewer:
    return services.Viewer.organizer(meeting.id, current_api_caller().id)


@blueprint.route("/<int:meeting_id>/materials", methods=["POST"])
@access(MEETING)
@blueprint.arguments(UploadFormSchema, location="form")
@blueprint.arguments(UploadFileSchema, location="files")
@blueprint.response(201, MaterialSchema)
def upload_material(form, uploaded, meeting_id):
    """Upload a material (multipart). To a speaker slot that has one, it is a new version."""
    meeting = _meeting(meeting_id)
    upload = uploaded["file"]
    material = services.upload(meeting, upload.read(), upload.filename, title=form["title"],
                               agenda_item_id=form["agenda_item_id"], slot_id=form["slot_id"],
                               audience=form["audience"], confidential=form["confidential"],
                               user=current_api_user())
    db.session.commit()
    return material


@blueprint.route("/<int:meeting_id>/materials/<int:material_id>/versions", methods=["POST"])
@access(MEETING)
@blueprint.arguments(UploadFileSchema, location="files")
@blueprint.response(201, MaterialSchema)
def add_version(uploaded, meeting_id, material_id):
    """Replace a material's file: a new version, the old ones kept."""
    meeting = _meeting(meeting_id)
    material = services.get_material(meeting, material_id)
    upload = uploaded["file"]
    services.add_version(material, upload.read(), upload.filename, user=current_api_user())
    db.session.commit()
    return material


@blueprint.route("/<int:meeting_id>/materials", methods=["GET"])
@access(MEETING)
@blueprint.response(200, MaterialListSchema)
def list_materials(meeting_id):
    """The materials in agenda order with their versions, when they are due, and the speakers
    who have not uploaded yet."""
    meeting = _meeting(meeting_id)
    return {"materials": services.materials_of(meeting.id, _viewer(meeting)), "due": services.due_at(meeting),
            "missing": services.missing_uploads(meeting.id)}


@blueprint.route("/<int:meeting_id>/materials/<int:material_id>/file", methods=["GET"])
@access(MEETING)
@blueprint.arguments(FileQuerySchema, location="query")
@blueprint.response(200, description="The file's bytes (the current version unless `version` says).")
def get_file(query, meeting_id, material_id):
    """A material's file; every download is logged."""
    meeting = _meeting(meeting_id)
    viewer = _viewer(meeting)
    material = services.get_material(meeting, material_id)
    if not services.may_see(material, viewer):
        raise NotFound(_("No material with id %(id)s.", id=material_id))
    number = query["version"] or material.current_version
    version = next((v for v in material.versions if v.number == number), None)
    if version is None:
        raise NotFound(_("This material has no version %(n)s.", n=number), "version")
    answer = (version.storage_ref, version.size, version.content_type, version.filename)
    services.record_access([material], AccessAction.VIEW if query["inline"] else AccessAction.DOWNLOAD, "api", viewer)
    return files.send_stored(*answer, inline=query["inline"])


@blueprint.route("/<int:meeting_id>/materials.zip", methods=["GET"])
@access(MEETING)
@blueprint.response(200, description="Every material's current file, named in agenda order (streamed).")
def get_zip(meeting_id):
    """All of the meeting's materials as one ZIP, streamed; each is logged as downloaded."""
    meeting = _meeting(meeting_id)
    viewer = _viewer(meeting)
    materials = services.materials_of(meeting.id, viewer)
    entries = files.zip_entries(materials)
    services.record_access(materials, AccessAction.DOWNLOAD, "zip", viewer)
    return files.zip_response(entries, f"meeting-{meeting.id}-materials.zip")


@blueprint.route("/<int:meeting_id>/materials/accesses", methods=["GET"])
@access(MEETING)
@blueprint.response(200, AccessSchema(many=True))
def list_accesses(meeting_id):
    """Who viewed or downloaded which material, when and how: newest first, the latest 500."""
    meeting = _meeting(meeting_id)
    return services.access_log(meeting.id)


@blueprint.route("/<int:meeting_id>/materials/due", methods=["PUT"])
@access(MEETING)
@blueprint.arguments(DueInSchema)
@blueprint.response(200, DueSchema)
def set_due(data, meeting_id):
    """Set when speakers' materials are due (their reminder comes ``MATERIALS_REMINDER_HOURS`` before)."""
    meeting = _meeting(meeting_id)
    due = services.set_due(meeting, data["due"], data["timezone"])
    db.session.commit()
    return {"due": due}


@blueprint.route("/<int:meeting_id>/materials/<int:material_id>", methods=["PATCH"])
@access(MEETING)
@blueprint.arguments(MaterialPatchSchema)
@blueprint.response(200, MaterialSchema)
def change_material(data, meeting_id, material_id):
    """Change a material's title, audience or confidentiality."""
    meeting = _meeting(meeting_id)
    material = services.change(services.get_material(meeting, material_id), data)
    db.session.commit()
    return material
