"""The organizer pages' blueprint and what every one of its handlers starts with."""

from __future__ import annotations

from flask import Blueprint
from flask_login import current_user

from meetings.scheduling.models import Meeting
from meetings.scheduling.services import get_meeting_for

blueprint = Blueprint("manage", __name__)


def load_meeting(meeting_id: int) -> Meeting:
    """The meeting if the signed-in organizer may manage it; a 404 page otherwise."""
    return get_meeting_for(current_user, meeting_id)
