"""A person's answer to their invitation: the rule of when one may be given, and recording it.

Two ways in, one rule:

- `record_response` records an answer on an `Invitation` loaded in the session (a calendar
  REPLY from the mailbox, a test, any caller that holds the object).
- `record_by_link` is the RSVP link's POST, the path every invitee takes in the rush after the
  invites go out. It reads what the rule needs in one statement (`_read_target`), decides, and
  writes one guarded ``UPDATE`` that applies only if what the decision was made on is unchanged
  (the answer, the invitation still on the list, the meeting's status and publication). Both run
  in autocommit on one connection: the ``UPDATE`` is the whole write, so no transaction is
  begun around it (on PostgreSQL, two round trips to the server rather than five). If anything
  changed in between, the answer is recorded by `record_response` in the request's transaction,
  and the rule is applied to what is there then.

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
from meetings.core.db import UTCDateTime, rowcount, utcnow
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
    previous: Response
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
    signals.response_recorded.send(Answer(invitation.id, invitation.meeting_id, invitation.person_id, previous,
                                          response, via, invitation.meeting.is_live))
    return True


# --- the RSVP link's answer -------------------------------------------------------------------

@dataclass(frozen=True)
class Target:
    """What the answer through one RSVP link is decided on, read without a lock."""

    invitation_id: int
    meeting_id: int
    person_id: int
    response: Response
    removed_at: datetime | None
    meeting_status: MeetingStatus
    published_at: datetime | None


_TARGET = (
    sa.select(Invitation.id.label("invitation_id"), Invitation.meeting_id, Invitation.person_id,
              Invitation.response, Invitation.removed_at, Meeting.status.label("meeting_status"),
              Meeting.published_at, Meeting.end_at.label("meeting_end"))
    .select_from(CapabilityLink)
    .join(Invitation, Invitation.id == CapabilityLink.invitation_id)
    .join(Meeting, Meeting.id == Invitation.meeting_id)
    .where(*links.live_conditions(sa.bindparam("token_hash"), LinkPurpose.RSVP))
)

_invitations = Invitation.__table__

#: The answer, if what it was decided on still holds: the same answer as read, the invitation
#: still on the list, the meeting in the same status and publication; with the confirmation it
#: owes (``confirm_at``, None when none is), unless one is owed already (`owe_confirmation`).
_GUARDED_ANSWER = (
    sa.update(_invitations)
    .where(_invitations.c.id == sa.bindparam("invitation_id"),
           _invitations.c.response == sa.bindparam("previous"),
           _invitations.c.removed_at.is_(None),
           sa.exists().where(Meeting.id == _invitations.c.meeting_id,
                             Meeting.status == sa.bindparam("meeting_status"),
                             Meeting.published_at.is_not_distinct_from(sa.bindparam("published_at"))))
    .values(response=sa.bindparam("response"), responded_at=sa.bindparam("responded_at"),
            confirmation_due_at=sa.func.coalesce(_invitations.c.confirmation_due_at,
                                                 sa.bindparam("confirm_at", type_=UTCDateTime())))
)


def _read_target(connection: sa.Connection, raw: str | None) -> Target | None:
    if not plausible_token(raw):
        return None
    row = connection.execute(_TARGET, {"token_hash": hash_token(raw)}).first()
    if row is None or links.is_expired(LinkPurpose.RSVP, row.meeting_end):
        return None
    return Target(row.invitation_id, row.meeting_id, row.person_id, row.response, row.removed_at,
                  row.meeting_status, row.published_at)


def record_by_link(raw: str | None, value) -> bool | None:
    """Record the answer ``value`` given through the RSVP link ``raw``; returns whether it
    changed anything, or None when the link answers for nothing (unknown, revoked, expired or
    not an invitation's: a 404). Raises what `record_response` raises.

    The answer is committed when this returns, unless what it was decided on had changed
    since the read: then it is recorded in the request's transaction (the caller commits)."""
    with autocommit(db.engine) as connection:
        target = _read_target(connection, raw)
        if target is None:
            return None
        error = refusal(target.removed_at is None, target.meeting_status, target.response)
        if error is not None:
            raise error
        response = parse_answer(value)
        live = Meeting.live(target.published_at, target.meeting_status)
        changed = response != target.response
        result = connection.execute(_GUARDED_ANSWER, {
            "invitation_id": target.invitation_id, "previous": target.response,
            "meeting_status": target.meeting_status, "published_at": target.published_at, "response": response,
            "responded_at": utcnow(), "confirm_at": confirmation_due("link", live) if changed else None})
    if rowcount(result) != 1:
        # Something it was decided on changed since the read: decide again on what is there
        # now, in the request's transaction (on SQLite, under the write lock it takes; on
        # PostgreSQL, the ORM's UPDATE takes the invitation's row lock).
        return record_response(db.session.get_one(Invitation, target.invitation_id), value)
    if changed:
        signals.response_recorded.send(Answer(target.invitation_id, target.meeting_id, target.person_id,
                                              target.response, response, "link", live))
    return changed
