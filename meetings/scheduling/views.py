"""Pages: the dashboard of meetings and a meeting's overview."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from meetings.core.db import utcnow
from meetings.scheduling import agenda, services

blueprint = Blueprint("scheduling", __name__)


@blueprint.route("/")
@login_required
def dashboard():
    """Upcoming and past meetings, in the viewer's time zone."""
    meetings = services.list_meetings(current_user)
    now = utcnow()
    upcoming = [m for m in meetings if m.end_at >= now]
    past = sorted((m for m in meetings if m.end_at < now), key=lambda m: m.start_at, reverse=True)
    return render_template("scheduling/dashboard.html", upcoming=upcoming, past=past)


@blueprint.route("/meetings/<int:meeting_id>")
@login_required
def meeting_page(meeting_id: int):
    """One meeting: when (in the meeting's and each site's zone), where, and the agenda."""
    meeting = services.get_meeting_for(current_user, meeting_id)
    return render_template("scheduling/meeting.html", meeting=meeting,
                           running_order=agenda.running_order(meeting),
                           reminders=services.effective_reminders(meeting))
