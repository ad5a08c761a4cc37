"""Reminders by role: which reminder rows the outbox holds, and whether one still stands.

Each reminder is an outbox row of kind ``reminder``, one per invitation and offset, keyed
``reminder:{invitation}:{before_minutes}:{anchor}``, where the anchor is the UTC instant it
counts back from (the meeting's start, or a speaker's first slot; `reminder_anchor`), in epoch
seconds. The rows are written by the signal receivers in `dispatch`, in the transaction of the
change, set-based: one INSERT ... SELECT per role, offset and anchor, whatever the number of
people.

`schedule` makes the pending rows of a scope (the whole meeting, one role, one invitation) what
the policies say now: rows no longer wanted are cancelled, wanted rows that were cancelled come
back (a key is written once), missing ones are added. A reminder whose time has passed when it
is made is not made. Moving the meeting gives new anchors, hence new keys; moving it back brings
the old rows back rather than duplicates.

Rows are made for everyone on the list, whatever their answer: whether a reminder goes out to
its person is their answer when it is due. At delivery, `reason_not_to_send` is asked, from the
state of things at that moment: a person who has declined or sent someone else gets none; one
who comes back gets those still ahead, with nothing to write when they answer (an answer is one
``UPDATE`` of their invitation: `invitations.answers`); a reminder that lost a race with a
change (it was being sent when the meeting moved) or that comes back late after a scheduler
restart is skipped if what it announces has started.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from meetings.core.db import utcnow
from meetings.core.roles import Role
from meetings.extensions import db
from meetings.invitations.models import Invitation, Response
from meetings.outbox import services as outbox
from meetings.outbox.models import OutboxMessage, OutboxStatus
from meetings.scheduling.models import AgendaItem, Meeting, MeetingStatus, SpeakerSlot
from meetings.scheduling.services import reminder_anchor, reminder_offsets

KIND = "reminder"
KEY_PREFIX = "reminder:"

#: A reminder due at (or just before) the start of what it announces, say one set "0 minutes
#: before", may still go out this long after its due time: it could never arrive before.
GRACE = timedelta(minutes=5)


@dataclass(frozen=True)
class Batch:
    """The reminders of one role at one offset from one anchor: one INSERT ... SELECT."""

    role: Role
    before_minutes: int
    anchor: datetime
    #: Who gets it, as the outbox wants them (invitation_id, meeting_id, person_id).
    recipients: sa.Select

    @property
    def key_suffix(self) -> str:
        return f":{self.before_minutes}:{int(self.anchor.timestamp())}"

    @property
    def due_at(self) -> datetime:
        return self.anchor - timedelta(minutes=self.before_minutes)

    @property
    def payload(self) -> dict:
        return {"before_minutes": self.before_minutes, "role": self.role.value,
                "anchor": int(self.anchor.timestamp())}


def _recipients(*conditions) -> sa.Select:
    return sa.select(Invitation.id.label("invitation_id"), Invitation.meeting_id,
                     Invitation.person_id).where(*conditions)


def _first_slots(meeting: Meeting, conditions) -> dict[datetime | None, list[int]]:
    """The invitations of speakers (among ``conditions``) grouped by the start of their first
    slot (None: no slot in this meeting). Speakers are few; their anchors differ."""
    first_slot = (sa.select(sa.func.min(SpeakerSlot.start_at))
                  .join(AgendaItem, AgendaItem.id == SpeakerSlot.agenda_item_id)
                  .where(AgendaItem.meeting_id == meeting.id, SpeakerSlot.person_id == Invitation.person_id)
                  .scalar_subquery())
    groups: dict[datetime | None, list[int]] = defaultdict(list)
    for invitation_id, start in db.session.execute(sa.select(Invitation.id, first_slot).where(*conditions)):
        groups[start].append(invitation_id)
    return groups


def batches(meeting: Meeting, *scope) -> Iterator[Batch]:
    """The reminders the policies want for the invitations of ``meeting`` in ``scope`` (SQL
    conditions on `Invitation`): people on the list, role by role, offset by offset, whether
    their time has passed or not. Those who have declined or handed their place over are among
    them: their answer when a reminder is due decides whether it goes (`reason_not_to_send`)."""
    listed = (Invitation.meeting_id == meeting.id, Invitation.removed_at.is_(None), *scope)
    # Only the roles someone in scope has: one person invited makes two or three statements,
    # not one per role and offset of the meeting.
    present = set(db.session.scalars(sa.select(Invitation.role).where(*listed).distinct()))
    for role in Role:
        offsets = reminder_offsets(meeting, role)
        if not offsets or role not in present:
            continue
        of_role = (*listed, Invitation.role == role)
        if role == Role.SPEAKER:
            anchors = {reminder_anchor(meeting, role, start): [Invitation.id.in_(ids)]
                       for start, ids in _first_slots(meeting, of_role).items()}
        else:
            anchors = {reminder_anchor(meeting, role, None): []}
        for anchor, only in anchors.items():
            for minutes in offsets:
                yield Batch(role, minutes, anchor, _recipients(*of_role, *only))
    # A chair or a site host who also speaks gets a speaker's reminders too, counted from their
    # first slot (with their own role's): a person has one role, and several parts.
    speaker_offsets = reminder_offsets(meeting, Role.SPEAKER)
    if speaker_offsets and present - {Role.SPEAKER}:
        speakers = (sa.select(SpeakerSlot.person_id).join(AgendaItem, AgendaItem.id == SpeakerSlot.agenda_item_id)
                    .where(AgendaItem.meeting_id == meeting.id))
        others = (*listed, Invitation.role != Role.SPEAKER, Invitation.person_id.in_(speakers))
        for start, ids in _first_slots(meeting, others).items():
            if start is None:
                continue
            for minutes in speaker_offsets:
                yield Batch(Role.SPEAKER, minutes, start, _recipients(*others, Invitation.id.in_(ids)))


def schedule(meeting: Meeting, *scope) -> None:
    """Make the pending reminders of ``meeting``'s invitations in ``scope`` (SQL conditions on
    `Invitation`; none: everyone) what the policies say now, in a few statements.

    Outside a published, scheduled meeting there are none: they are cancelled.
    """
    in_scope = sa.select(Invitation.id).where(Invitation.meeting_id == meeting.id, *scope)
    wanted = list(batches(meeting, *scope)) if meeting.is_live else []
    keep = []
    if wanted:
        # Every row the policy still wants stays, due or not: one that came due a moment ago and
        # waits for the next delivery run must not be lost to a change that does not move it.
        keys = sa.union_all(*(outbox.keys_for(b.recipients, key_prefix=KEY_PREFIX, key_suffix=b.key_suffix)
                              for b in wanted))
        keep.append(OutboxMessage.key.not_in(keys))
    # What has not come due yet is made, or brought back; what has is not made late.
    now = utcnow()
    wanted = [batch for batch in wanted if batch.due_at > now]
    # By invitation only (not also by meeting): SQLite then walks the (invitation, status) index
    # instead of every row of the meeting, for one person as for everyone.
    outbox.cancel_pending(OutboxMessage.invitation_id.in_(in_scope), *keep, kinds=(KIND,), reason="rescheduled")
    # Someone just invited has nothing to bring back: one look saves a statement per batch.
    revive = bool(wanted) and db.session.scalar(sa.select(sa.exists().where(
        OutboxMessage.invitation_id.in_(in_scope), OutboxMessage.status == OutboxStatus.CANCELLED,
        OutboxMessage.kind == KIND)))
    for batch in wanted:
        if revive:
            outbox.requeue_cancelled_for(batch.recipients, key_prefix=KEY_PREFIX, key_suffix=batch.key_suffix,
                                         due_at=batch.due_at)
        outbox.enqueue_for(batch.recipients, key_prefix=KEY_PREFIX, key_suffix=batch.key_suffix, kind=KIND,
                           due_at=batch.due_at, payload=batch.payload)


def reason_not_to_send(row: OutboxMessage, invitation: Invitation | None, first_slot_start: datetime | None,
                       now: datetime, offsets: tuple[int, ...] | None = None) -> str | None:
    """Why the reminder ``row`` must not go out now (None: it must).

    Asked at delivery, from the state of things then: the row may have been claimed before a
    change cancelled it, or come due while no scheduler ran. ``offsets`` are the person's role's
    (`reminder_offsets`), when the caller has them already.
    """
    if invitation is None:
        return "the invitation no longer exists"
    meeting = invitation.meeting
    if meeting.status == MeetingStatus.CANCELLED:
        return "the meeting was cancelled"
    if meeting.status != MeetingStatus.SCHEDULED:
        return f"the meeting is {meeting.status}"
    if not invitation.is_active:
        return "the person was taken off the list"
    if not invitation.is_coming:
        return "the person declined" if invitation.response == Response.DECLINED else "the person sent someone else"
    role = invitation.role
    if row.payload.get("role") != role.value:
        # A speaker's reminder of someone in another role who speaks (`batches`) stands while
        # they still have a slot.
        if row.payload.get("role") != Role.SPEAKER.value or first_slot_start is None:
            return "the person's role changed"
        role, offsets = Role.SPEAKER, None
    anchor = reminder_anchor(meeting, role, first_slot_start)
    if row.payload.get("anchor") != int(anchor.timestamp()):
        return "the meeting (or the slot) moved"
    if offsets is None:
        offsets = reminder_offsets(meeting, role)
    if row.payload.get("before_minutes") not in offsets:
        return "the meeting's reminders changed"
    due_at = anchor - timedelta(minutes=row.payload["before_minutes"])
    if now >= max(anchor, due_at + GRACE):
        return "too late: it has started"
    return None
