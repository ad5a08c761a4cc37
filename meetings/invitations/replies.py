"""Calendar-client replies (iTIP METHOD:REPLY): the answer a person gave in Outlook,
Thunderbird, Apple Calendar or Google Calendar, recorded like an answer by link."""

from __future__ import annotations

import sqlalchemy as sa

from meetings.core.db import utcnow
from meetings.core.errors import InvalidInput, NotFound
from meetings.directory.services import get_person_by_email
from meetings.extensions import db
from meetings.invitations import ical, services
from meetings.invitations.models import Invitation, Response
from meetings.scheduling.models import Meeting
from meetings.scheduling.services import visible_meetings


def apply_reply(body: bytes | str, user=None) -> dict:
    """Apply a REPLY; returns ``{"status": "applied"|"ignored", "reason", "invitation"}``.

    ``user`` limits the meetings it may touch (an API caller); None means any (the mailbox
    reader). Unknown UIDs, attendees who are not invited and malformed bodies are errors;
    replies older than what is recorded are ignored, in SEQUENCE then DTSTAMP order.
    """
    try:
        reply = ical.parse_reply(body)
    except ical.CalendarError as error:
        raise InvalidInput(f"Not a usable calendar reply: {error}", "body") from None
    query = visible_meetings(user) if user is not None else sa.select(Meeting)
    meeting = db.session.scalar(query.where(Meeting.uid == reply.uid))
    if meeting is None:
        raise NotFound("No meeting has this calendar UID.", "uid")
    person = get_person_by_email(reply.attendee_email)
    invitation = None
    if person is not None:
        invitation = db.session.scalar(sa.select(Invitation).where(
            Invitation.meeting_id == meeting.id, Invitation.person_id == person.id,
            Invitation.removed_at.is_(None)))
    if invitation is None:
        raise NotFound(f"{reply.attendee_email} is not invited to this meeting.", "attendee")
    if reply.sequence > meeting.sequence:
        raise InvalidInput(f"The reply's SEQUENCE {reply.sequence} is newer than the meeting's "
                           f"({meeting.sequence}).", "sequence")
    # Each attendee answers the copy they were last sent (changes at one site update only the
    # people there), so "current" is judged against that copy.
    current = invitation.sent_sequence if invitation.sent_sequence is not None else meeting.sequence
    if reply.sequence < current:
        return _ignored(invitation, f"The reply answers version {reply.sequence}; the meeting has changed "
                                    f"since (version {current}).")
    stamp = reply.stamp or utcnow()
    if invitation.reply_sequence is not None and (reply.sequence, stamp) <= (
            invitation.reply_sequence, invitation.reply_stamp):
        return _ignored(invitation, "A newer reply from this attendee is already recorded.")
    if reply.partstat == "DELEGATED":
        if not reply.delegated_to:
            raise InvalidInput("A DELEGATED reply must name the delegate (DELEGATED-TO).", "body")
        services.delegate(invitation, reply.delegated_to[0], via="calendar")
    elif reply.partstat in ("ACCEPTED", "TENTATIVE", "DECLINED"):
        if invitation.response == Response.DELEGATED:
            return _ignored(invitation, "This attendee delegated their place; the delegate answers now.")
        services.record_response(invitation, reply.partstat.lower(), via="calendar")
    else:
        raise InvalidInput(f"PARTSTAT {reply.partstat} is not an answer.", "body")
    invitation.reply_sequence, invitation.reply_stamp = reply.sequence, stamp
    db.session.flush()
    return {"status": "applied", "reason": None, "invitation": invitation}


def _ignored(invitation: Invitation, reason: str) -> dict:
    return {"status": "ignored", "reason": reason, "invitation": invitation}
