"""Calendar-client replies (iTIP METHOD:REPLY): the answer a person gave in Outlook,
Thunderbird, Apple Calendar or Google Calendar, recorded like an answer by link."""

from __future__ import annotations

import sqlalchemy as sa

from meetings.core.db import utcnow
from meetings.core.errors import DomainError, Forbidden, InvalidInput, NotFound
from meetings.core.validation import clean_email
from meetings.directory.services import get_person_by_email
from meetings.extensions import db
from meetings.invitations import answers, ical, services
from meetings.invitations.models import Invitation, Response, UnappliedReply
from meetings.scheduling.models import Meeting
from meetings.scheduling.services import visible_meetings


def apply_reply(body: bytes | str, user=None, *, senders: list[str] | None = None) -> dict:
    """Apply a REPLY; returns ``{"status": "applied"|"ignored", "reason", "invitation"}``.

    ``user`` limits the meetings it may touch (an API caller); None means any (the mailbox
    reader). ``senders`` are the addresses a reply that came by mail was sent from (its From,
    and its envelope sender when known): each must be the attendee it answers for
    (`require_sender`). An API caller vouches for the replies they post (their token, and only
    their meetings), so they pass none. Unknown UIDs, attendees who are not invited and
    malformed bodies are errors; replies older than what is recorded are ignored, in SEQUENCE
    then DTSTAMP order.
    """
    reply = _parse(body)
    if senders is not None:
        require_sender(reply.attendee_email, senders)
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
        answers.record_response(invitation, reply.partstat.lower(), via="calendar")
    else:
        raise InvalidInput(f"PARTSTAT {reply.partstat} is not an answer.", "body")
    invitation.reply_sequence, invitation.reply_stamp = reply.sequence, stamp
    db.session.flush()
    return {"status": "applied", "reason": None, "invitation": invitation}


def _parse(body: bytes | str) -> ical.Reply:
    try:
        return ical.parse_reply(body)
    except ical.CalendarError as error:
        raise InvalidInput(f"Not a usable calendar reply: {error}", "body") from None


def require_sender(attendee: str, senders: list[str]) -> None:
    """`Forbidden` unless there is a sender and every one of ``senders`` is ``attendee``
    (compared as the one email grammar reads them: case does not count). Anyone who has seen
    one invite knows the meeting's UID: without this, a mailed REPLY could answer for anyone."""
    wanted = _address(attendee)
    if not senders or wanted is None or any(_address(sender) != wanted for sender in senders):
        raise Forbidden(f"The reply answers for {attendee} but was sent by {', '.join(senders) or 'no one'}.",
                        "sender")


def _address(text: str) -> str | None:
    try:
        return clean_email(text, "sender")
    except DomainError:
        return None


def keep_unapplied(body: bytes | str, sender: str, reason: str) -> UnappliedReply | None:
    """Keep a reply from the mailbox that was not applied, for its meeting's organizers
    (`unapplied_for`); None (and nothing kept) when it names no meeting we have."""
    try:
        reply = ical.parse_reply(body)
    except ical.CalendarError:
        return None
    meeting_id = db.session.scalar(sa.select(Meeting.id).where(Meeting.uid == reply.uid))
    if meeting_id is None:
        return None
    kept = UnappliedReply(meeting_id=meeting_id, sender=sender[:500], attendee=reply.attendee_email[:320],
                          partstat=(reply.partstat or "")[:40], reason=reason[:500])
    db.session.add(kept)
    db.session.flush()
    return kept


def unapplied_for(meeting: Meeting, limit: int | None = None) -> list[UnappliedReply]:
    """The replies from the mailbox that were not applied to ``meeting``, newest first (at most
    ``limit`` of them: a page shows the newest, anyone may send the mailbox any number)."""
    query = (sa.select(UnappliedReply).where(UnappliedReply.meeting_id == meeting.id)
             .order_by(UnappliedReply.received_at.desc(), UnappliedReply.id.desc()))
    if limit is not None:
        query = query.limit(limit)
    return list(db.session.scalars(query))


def _ignored(invitation: Invitation, reason: str) -> dict:
    return {"status": "ignored", "reason": reason, "invitation": invitation}
