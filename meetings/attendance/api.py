"""Attendance API: check-ins recorded by organizers, and the attendance exports.

Organizers of the meeting (and admins) only: each handler's ``@access(MEETING)``
(`meetings.core.access`) loads the meeting through `get_meeting_for` (404 for anyone else's); the
handler calls one service and answers.
"""

from __future__ import annotations

from flask import Response, send_file, stream_with_context
from flask_smorest import Blueprint

from meetings.accounts.auth import current_api_user, protect_api_blueprint
from meetings.attendance import exports, services
from meetings.attendance.schemas import AttendanceQuerySchema, CheckInInSchema, CheckInResultSchema
from meetings.core.access import MEETING, access, loaded
from meetings.extensions import db
from meetings.invitations.services import get_invitation

blueprint = Blueprint("attendance_api", __name__, url_prefix="/api/meetings",
                      description="Check-ins and attendance exports.")
protect_api_blueprint(blueprint)


@blueprint.route("/<int:meeting_id>/checkins", methods=["POST"])
@access(MEETING)
@blueprint.arguments(CheckInInSchema)
@blueprint.response(201, CheckInResultSchema)
def check_in(data, meeting_id):
    """Record that someone attended. The first check-in counts (``first``: true); later ones are
    logged, and ``checked_in_at`` stays that of the first."""
    user = current_api_user()
    meeting = loaded(meeting_id)
    invitation = get_invitation(meeting, data["invitation_id"])
    first = services.check_in(invitation, data["method"], user=user)
    db.session.commit()
    return {"invitation": invitation, "first": first}


@blueprint.route("/<int:meeting_id>/attendance.csv", methods=["GET"])
@access(MEETING)
@blueprint.arguments(AttendanceQuerySchema, location="query")
@blueprint.response(200, description="CSV, UTF-8 with a byte order mark.",
                    content_type="text/csv")
def attendance_csv(query, meeting_id):
    """One row per invitation: who, where, how they answered, when and how they checked in.
    Streamed. Cells that a spreadsheet would run as a formula begin with a single quote."""
    meeting = loaded(meeting_id)
    filters = exports.parse_filters(meeting, query)
    return Response(stream_with_context(exports.csv_body(meeting, filters)), mimetype="text/csv",
                    headers={"Content-Disposition": exports.content_disposition(exports.filename(meeting, "csv"))})


@blueprint.route("/<int:meeting_id>/attendance.xlsx", methods=["GET"])
@access(MEETING)
@blueprint.arguments(AttendanceQuerySchema, location="query")
@blueprint.response(200, description="XLSX: the attendance sheet and a summary by site and by unit.",
                    content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
def attendance_xlsx(query, meeting_id):
    """The same rows as the CSV, plus a summary sheet by site (invited, accepted, attended,
    others present, total) and by unit. Every cell is text or a number, never a formula."""
    meeting = loaded(meeting_id)
    filters = exports.parse_filters(meeting, query)
    stream = exports.xlsx_file(exports.scope_of(meeting), filters)
    exports.note_export(meeting, "xlsx", filters)  # once produced
    return send_file(stream, as_attachment=True,
                     download_name=exports.filename(meeting, "xlsx"),
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
