"""What the organizer sees of the emails: each person's scheduled, sent and failed notifications."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import sqlalchemy as sa

from meetings.extensions import db
from meetings.invitations.models import Invitation
from meetings.outbox.models import OutboxMessage, OutboxStatus
from meetings.scheduling.models import Meeting

#: What the list shows unless asked otherwise: cancelled rows are the history of changes (every
#: move cancels the reminders it replaces), not something that was or will be sent.
DEFAULT_STATUSES = tuple(status for status in OutboxStatus if status != OutboxStatus.CANCELLED)


@dataclass
class PersonNotifications:
    """One invitation and its emails, soonest first."""

    invitation: Invitation
    messages: list[OutboxMessage] = field(default_factory=list)


def notifications_of(meeting: Meeting, statuses=DEFAULT_STATUSES) -> list[PersonNotifications]:
    """Every invitation of ``meeting`` (people taken off the list too: they were sent a
    cancellation) with its emails in ``statuses``, by invitation, then by due time; two queries."""
    invitations = db.session.scalars(
        sa.select(Invitation).where(Invitation.meeting_id == meeting.id).order_by(Invitation.id))
    by_invitation: dict[int | None, list[OutboxMessage]] = defaultdict(list)  # None: the meeting's own
    messages = db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.meeting_id == meeting.id,
                                       OutboxMessage.status.in_([OutboxStatus(s) for s in statuses]))
        .order_by(OutboxMessage.due_at, OutboxMessage.id))
    for message in messages:
        by_invitation[message.invitation_id].append(message)
    return [PersonNotifications(invitation, by_invitation.get(invitation.id, [])) for invitation in invitations]
