"""Attendance API: check-ins recorded by organizers, and the attendance exports.

Organizers of the meeting (and admins) only: each handler loads the meeting through
`get_meeting_for` (404 for anyone else's), calls one service, and answers.
"""

from __future__ import annotations

from flask_smorest import Blueprint

from meetings.accounts.auth import current_api_user, protect_api_blueprint
from meetings.attendance import services
from meetings.attendance.schemas import CheckInInSchema, CheckInResultSchema
from meetings.extensions import db
from meetings.invitations.services import get_invitation
from meetings.scheduling.services import get_meeting_for

blueprint = Blueprint("attendance_api", __name__, url_prefix="/api/meetings",
                      description="Check-ins and attendance exports.")
protect_api_blueprint(blueprint)


@blueprint.route("/<int:meeting_id>/checkins", methods=["POST"])
@blueprint.arguments(CheckInInSchema)
@blueprint.response(201, CheckInResultSchema)
def check_in(data, meeting_id):
    """Record that someone attended. The first check-in counts (``first``: true); later ones are
    logged, and ``checked_in_at`` stays that of the first."""
    user = current_api_user()
    meeting = get_meeting_for(user, meeting_id)
    invitation = get_invitation(meeting, data["invitation_id"])
    first = services.check_in(invitation, data["method"], user=user)
    db.session.commit()
    return {"invitation": invitation, "first": first}
