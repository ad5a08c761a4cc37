"""Confirmations of answers: the email an answer owes its person, queued once it is due.

An answer given by link or by an organizer marks its invitation with when its confirmation is
due (`Invitation.confirmation_due_at`, `invitations.answers.owe_confirmation`), in the answer's
own ``UPDATE``: the rush of answers after the invites go out writes nothing else. Before each
batch of a delivery run, `queue_due` turns the marks that have come due into outbox rows (one
waiting confirmation per invitation: `outbox.enqueue_coalesced_for`) and clears them. The email
is rendered when it leaves, so it shows the answer as it is then, however often it changed.

Only people still on the list of a meeting still live get one: a meeting cancelled or a person
taken off the list meanwhile clears the mark and sends nothing (their cancellation says enough).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from meetings.core.database import write_intent
from meetings.extensions import db
from meetings.invitations.models import Invitation
from meetings.outbox import services as outbox
from meetings.scheduling.models import Meeting, MeetingStatus

KIND = "confirmation"

#: At most this many confirmations are queued per batch of a delivery run (the next batch
#: queues the rest): a bound on the statement and on the transaction that holds the write lock.
BATCH = 1000


def queue_due(now: datetime) -> int:
    """Queue the confirmations due by ``now`` (at most `BATCH`); returns how many marks it cleared.

    A read first, in a transaction that takes no lock: nearly every run finds nothing due, and on
    SQLite a write transaction at every poll would queue behind the answers for nothing."""
    due = Invitation.confirmation_due_at <= now
    with write_intent(False):
        ids = list(db.session.scalars(sa.select(Invitation.id).where(due)
                                      .order_by(Invitation.confirmation_due_at).limit(BATCH)))
        db.session.commit()
    if not ids:
        return 0
    with write_intent():
        # Cleared only if still due: another scheduler may have taken them meanwhile (on
        # PostgreSQL the row lock makes it wait, then the condition is read again).
        cleared = list(db.session.scalars(
            sa.update(Invitation).where(Invitation.id.in_(ids), due).values(confirmation_due_at=None)
            .returning(Invitation.id).execution_options(synchronize_session=False)))
        if cleared:
            outbox.enqueue_coalesced_for(
                sa.select(Invitation.id.label("invitation_id"), Invitation.meeting_id, Invitation.person_id)
                .join(Meeting, Meeting.id == Invitation.meeting_id)
                .where(Invitation.id.in_(cleared), Invitation.removed_at.is_(None),
                       Meeting.published_at.is_not(None), Meeting.status == MeetingStatus.SCHEDULED),
                kind=KIND, due_at=now)  # due for the run that queues them, whose time ``now`` is
        db.session.commit()
    return len(cleared)
