"""The organizer pages' blueprint and what every one of its handlers starts with: ``@access``
(`meetings.core.access`) under its route, and the meeting that loaded."""

from __future__ import annotations

from flask import Blueprint

from meetings.core.access import loaded
from meetings.scheduling.models import Meeting

blueprint = Blueprint("manage", __name__)


def load_meeting(meeting_id: int) -> Meeting:
    """The meeting the handler's ``@access(MEETING)`` loaded (the signed-in organizer may manage
    it; anyone else had a 404 page before the handler ran)."""
    return loaded(meeting_id)
