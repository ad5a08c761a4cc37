"""A person's answer to their invitation: the rule of when one may be given, and recording it.

Two ways in, one rule:

- `record_response` records an answer on an `Invitation` loaded in the session (a calendar
  REPLY from the mailbox, a test, any caller that holds the object).
- `record_by_link` is the RSVP link's POST, the path every invitee takes in the rush after the
  invites go out. An answer that changes the person's response is one ``UPDATE`` that holds the
  whole rule in its conditions (`_ANSWER`: the live link's invitation, on the list and not handed
  over, of a meeting that takes answers), in autocommit: no transaction is begun around it, and
  nothing is read first (on PostgreSQL, one round trip to the server). When it updates nothing
  (the link answers for no one, the answer is refused or is the one given already), the answer is
  decided by `record_response` on what the request's transaction reads, and the rule says why.

What follows from an answer is written with it, on the invitation's own row: the confirmation
email it owes, due `CONFIRMATION_DELAY_SECONDS` later (`owe_confirmation`; the scheduler queues
those that have come due, `notifications.confirmations`). Reminders are not touched: whether
one goes out is asked when it is due, from the answer then (`notifications.reminders`). So an
answer writes no other row, and one person's answer never waits on another's: on SQLite the
write lock is held for one statement (DESIGN.md, Known traps: every answer and the scheduler's
delivery share one write lock); on PostgreSQL the answer's only row lock is its own invitation's.
`signals.response_recorded` is sent once the answer is recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from meetings.core import signals
from meetings.core.database import autocommit
from meetings.core.db import UTCDateTime, utcnow
from meetings.core.errors import Conflict, DomainError, InvalidInput
from meetings.core.labels import label
from meetings.core.tokens import hash_token, plausible_token
from meetings.extensions import db
from meetings.invitations import links
from meetings.invitations.models import CapabilityLink, Invitation, LinkPurpose, Response
from meetings.scheduling.models import Meeting, MeetingStatus

#: The answers a person can give themselves.
ANSWERS = (Response.ACCEPTED, Response.TENTATIVE, Response.DECLINED)


@dataclass(frozen=True)
class Answer:
    """An answer that changed a person's response: the sender of `signals.response_recorded`."""

    invitation_id: int
    meeting_id: int
    person_id: int
    response: Response
    #: ``link``, ``calendar`` or ``organizer``.
    via: str
    #: The meeting was live (`Meeting.is_live`) when the answer was recorded.
    meeting_live: bool

    @property
    def is_coming(self) -> bool:
        """The person is still expected (the invitation is on the list: answers need that)."""
        return self.response.is_coming


def parse_answer(value) -> Response:
    """The answer ``value`` names (``accepted``, ``tentative``, ``declined``), or InvalidInput."""
    try:
        response = Response(value)
    except ValueError:
        raise InvalidInput(_("The answer must be accepted, tentative or declined."), "response") from None
    if response not in ANSWERS:
        raise InvalidInput(_("The answer must be accepted, tentative or declined."), "response")
    return response


def refusal(active: bool, meeting_status: MeetingStatus, response: Response) -> DomainError | None:
    """Why the person of an invitation (``active``: still on the list; their current
    ``response``) cannot answer now, or hand their place over; None when they can."""
    if not active:
        return Conflict(_("This invitation was withdrawn."))
    if not MeetingStatus(meeting_status).is_editable:
        return Conflict(_("The meeting is %(status)s; answers are closed.", status=label(meeting_status, "status")))
    if response == Response.DELEGATED:
        return Conflict(_("You handed this invitation to someone else; they answer now."))
    return None


def require_open(invitation: Invitation) -> None:
    """Raise the `refusal` of ``invitation``, if there is one."""
    error = refusal(invitation.is_active, invitation.meeting.status, invitation.response)
    if error is not None:
        raise error


def confirmation_due(via: str, meeting_live: bool) -> datetime | None:
    """When the email confirming an answer given ``via`` (``link``, ``calendar``, ``organizer``)
    is due; None when none is owed.

    An answer given by link or by an organizer on a published meeting is confirmed with a
    calendar copy that carries it, so the person's calendar shows it too; a calendar client
    already shows the answer it sent. The email waits `CONFIRMATION_DELAY_SECONDS`: a change of
    mind within that time is one email, showing the answer as it is when it goes, and in the
    rush of answers after the invites go out, the invites go first (the page answered on has
    said already what was recorded)."""
    if via == "calendar" or not meeting_live:
        return None
    return utcnow() + timedelta(seconds=current_app.config["CONFIRMATION_DELAY_SECONDS"])


def owe_confirmation(invitation: Invitation, via: str) -> None:
    """Mark ``invitation`` (loaded in the session) as owing its person the confirmation of the
    answer just given ``via`` (`confirmation_due`). One already owed keeps its due time."""
    due = confirmation_due(via, invitation.meeting.is_live)
    if due is not None and invitation.confirmation_due_at is None:
        invitation.confirmation_due_at = due


def record_response(invitation: Invitation, response, *, via: str = "link") -> bool:
    """Record an answer (accepted, tentative, declined). Returns whether it changed anything."""
    require_open(invitation)
    response = parse_answer(response)
    previous = invitation.response
    invitation.responded_at = utcnow()
    if previous == response:
        db.session.flush()
        return False
    invitation.response = response
    owe_confirmation(invitation, via)
    db.session.flush()
    signals.response_recorded.send(Answer(invitation.id, invitation.meeting_id, invitation.person_id,
                                          response, via, invitation.meeting.is_live))
    return True


# --- the RSVP link's answer -------------------------------------------------------------------

_invitations = Invitation.__table__
_meetings = Meeting.__table__


def _of_the_meeting(*conditions) -> sa.Exists:
    return sa.exists().where(_meetings.c.id == _invitations.c.meeting_id, *conditions)


#: Answers are taken in these states of the meeting (`MeetingStatus.is_editable`); OR rather than
#: IN, so the prebuilt statement needs no rewriting at each execution.
_TAKES_ANSWERS = sa.or_(*(_meetings.c.status == status for status in MeetingStatus if status.is_editable))
#: The meeting is live (`Meeting.live`): an answer to it owes a confirmation (`confirmation_due`).
_LIVE = Meeting.live_condition()

#: The answer ``response`` through the RSVP link whose hash is ``token_hash``, whole in one
#: statement: the live link's invitation, on the list and not handed over, of a meeting that
#: takes answers and ends after ``expiry_cutoff`` (`links.expiry_cutoff`), when it had another
#: answer; with the confirmation it owes when the meeting is live (``confirm_at``), unless one is
#: owed already (`owe_confirmation`). Anything else updates no row (`record_by_link` then
#: decides on what it reads).
_ANSWER = (
    sa.update(_invitations)
    .where(_invitations.c.id == sa.select(CapabilityLink.invitation_id)
           .where(*links.live_conditions(sa.bindparam("token_hash"), LinkPurpose.RSVP)).scalar_subquery(),
           _invitations.c.removed_at.is_(None),
           _invitations.c.response != Response.DELEGATED,
           _invitations.c.response != sa.bindparam("response"),
           _of_the_meeting(_TAKES_ANSWERS,
                           _meetings.c.end_at > sa.bindparam("expiry_cutoff", type_=UTCDateTime())))
    .values(response=sa.bindparam("response"), responded_at=sa.bindparam("responded_at"),
            confirmation_due_at=sa.case(
                (_of_the_meeting(_LIVE), sa.func.coalesce(_invitations.c.confirmation_due_at,
                                                          sa.bindparam("confirm_at", type_=UTCDateTime()))),
                else_=_invitations.c.confirmation_due_at))
    .returning(_invitations.c.id, _invitations.c.meeting_id, _invitations.c.person_id,
               _of_the_meeting(_LIVE).label("meeting_live"))
)

#: What `record_by_link` decides on when its one statement answered nothing.
_TARGET = (
    sa.select(Invitation.id.label("invitation_id"), Meeting.end_at.label("meeting_end"))
    .select_from(CapabilityLink)
    .join(Invitation, Invitation.id == CapabilityLink.invitation_id)
    .join(Meeting, Meeting.id == Invitation.meeting_id)
    .where(*links.live_conditions(sa.bindparam("token_hash"), LinkPurpose.RSVP))
)


def record_by_link(raw: str | None, value) -> bool | None:
    """Record the answer ``value`` given through the RSVP link ``raw``; returns whether it
    changed anything, or None when the link answers for nothing (unknown, revoked, expired or
    not an invitation's: a 404). Raises what `record_response` raises.

    An answer that changes the person's response is one ``UPDATE``, committed when this
    returns (`_ANSWER`). Any other (the same answer again, one refused, one that is not an
    answer) is decided by `record_response` on the invitation read in the request's transaction
    (the caller commits)."""
    try:
        response = parse_answer(value)
    except InvalidInput:
        response = None  # said once the link is known to answer for someone (a 404 first)
    if response is not None and plausible_token(raw):
        now = utcnow()
        with autocommit(db.engine) as connection:
            row = connection.execute(_ANSWER, {
                "token_hash": hash_token(raw), "response": response, "responded_at": now,
                "expiry_cutoff": links.expiry_cutoff(LinkPurpose.RSVP, now),
                "confirm_at": confirmation_due("link", meeting_live=True)}).first()
        if row is not None:
            signals.response_recorded.send(Answer(row.id, row.meeting_id, row.person_id, response, "link",
                                                  bool(row.meeting_live)))
            return True
    with autocommit(db.engine) as connection:
        target = connection.execute(_TARGET, {"token_hash": hash_token(raw)}).first() \
            if plausible_token(raw) else None
    if target is None or links.is_expired(LinkPurpose.RSVP, target.meeting_end):
        return None
    # In the request's transaction (on SQLite, under the write lock it takes; on PostgreSQL,
    # the ORM's UPDATE takes the invitation's row lock).
    return record_response(db.session.get_one(Invitation, target.invitation_id), value)
