"""The series a meeting belongs to (meetings copied from one another): its meetings and their open
action items, the page of the API's ``GET /api/meetings/{id}/series``."""

from __future__ import annotations

from flask import render_template
from flask_login import current_user

from meetings.core.access import MEETING, access
from meetings.core.db import utcnow
from meetings.manage.blueprint import blueprint, load_meeting
from meetings.minutes import actions, copying


@blueprint.route("/meetings/<int:meeting_id>/series")
@access(MEETING)
def series(meeting_id: int):
    """The meetings of this one's series (those the organizer may see, by start) and their open
    actions by due date, overdue ones marked; a word on how to start one when it has none."""
    meeting = load_meeting(meeting_id)
    found = copying.series_of(meeting, current_user)
    now = utcnow()
    open_actions = found["open_actions"] if found else []
    counts: dict[int, int] = {}
    for action in open_actions:
        counts[action.meeting_id] = counts.get(action.meeting_id, 0) + 1
    return render_template("manage/series.html", meeting=meeting, series=found, counts=counts,
                           open_actions=[(action, actions.is_overdue(action, now)) for action in open_actions],
                           meetings_by_id={m.id: m for m in (found["meetings"] if found else [])})
