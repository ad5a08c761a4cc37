"""The materials deadline: one reminder to each speaker whose slot has no material yet.

A housekeeping job looks at the live meetings whose reminder time has come
(``MATERIALS_REMINDER_HOURS`` before `services.due_at`) and queues one outbox row per speaker
and slot still missing. The row's unique key (`services.reminder_key`) makes it exactly once
however often the job runs; an upload cancels it (`services._changed`), and the renderer skips
it if the file came in some other way meanwhile.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from meetings.core.db import utcnow
from meetings.extensions import db
from meetings.invitations.models import Invitation
from meetings.materials import services
from meetings.outbox.services import enqueue_many
from meetings.scheduling.models import Meeting, MeetingStatus


def remind_at(meeting) -> datetime:
    """When the meeting's speakers without material get their reminder."""
    return services.due_at(meeting) - timedelta(hours=current_app.config["MATERIALS_REMINDER_HOURS"])


def queue_reminders(now: datetime | None = None) -> int:
    """Queue the reminders that are due now (each at most once, ever); returns how many rows
    were offered to the outbox (rows already queued are left as they are)."""
    now = now or utcnow()
    meetings = db.session.scalars(sa.select(Meeting).where(
        Meeting.status == MeetingStatus.SCHEDULED, Meeting.published_at.is_not(None), Meeting.start_at > now)).all()
    rows = []
    for meeting in meetings:
        if remind_at(meeting) > now:
            continue
        missing = services.missing_uploads(meeting.id)
        if not missing:
            continue
        invitations = {invitation.person_id: invitation for invitation in db.session.scalars(
            sa.select(Invitation).where(Invitation.meeting_id == meeting.id,
                                        Invitation.person_id.in_({m.person_id for m in missing}),
                                        Invitation.removed_at.is_(None),
                                        Invitation.coming()))}
        for slot in missing:
            invitation = invitations.get(slot.person_id)
            if invitation is None:
                continue
            rows.append({"key": services.reminder_key(meeting.id, slot.agenda_item_id, slot.person_id),
                         "kind": services.REMINDER_KIND, "due_at": now, "meeting_id": meeting.id,
                         "invitation_id": invitation.id, "person_id": slot.person_id,
                         "payload": {"agenda_item_id": slot.agenda_item_id}})
    enqueue_many(rows)
    return len(rows)
