"""Several parts for one person: a chair or a site host who also speaks gets their slot in their
invite and a speaker's reminders before it, beside their own role's."""

from datetime import timedelta

import sqlalchemy as sa

from meetings.extensions import db
from meetings.outbox.models import OutboxMessage
from meetings.scheduling import agenda
from tests import factories
from tests.factories import future_day, wall
from tests.notifications.test_reminders import (  # noqa: F401  (fixtures)
    MINUTE,
    START,
    cast,
    invitation_of,
    meeting,
    reminders_at,
    text_of,
)


def test_a_chair_who_speaks_gets_their_slot_and_a_speakers_reminders(meeting, cast, smtp):
    agenda.add_item(meeting, {"title": "Closing", "start": wall(future_day(), 11), "duration_minutes": 30,
                              "speakers": [{"email": cast["chair"].email, "topic": "Next half-year", "minutes": 20}]})
    db.session.commit()
    factories.publish(meeting)
    factories.deliver()
    invite = next(m.message for m in smtp.mailbox.received if m.rcpt_tos[0] == cast["chair"].email)
    assert "Next half-year" in text_of(invite) and "11:00–11:20" in text_of(invite)
    chair = invitation_of(meeting, cast["chair"])
    rows = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.invitation_id == chair.id,
                                                             OutboxMessage.kind == "reminder",
                                                             OutboxMessage.status == "pending")).all()
    slot = START + timedelta(hours=2)
    as_speaker = sorted(r.payload["before_minutes"] for r in rows if r.payload["role"] == "speaker")
    as_chair = sorted(r.payload["before_minutes"] for r in rows if r.payload["role"] == "chair")
    assert as_speaker == [15, 60, 3 * 24 * 60] and as_chair == [60, 24 * 60]
    assert all(r.due_at == slot - timedelta(minutes=r.payload["before_minutes"])
               for r in rows if r.payload["role"] == "speaker")
    # Taken off the slot: the speaker's reminders go, the chair's stay.
    [item] = [i for i in meeting.agenda_items if i.title == "Closing"]
    agenda.remove_item(meeting, item)
    db.session.commit()
    pending = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.invitation_id == chair.id,
                                                                OutboxMessage.kind == "reminder",
                                                                OutboxMessage.status == "pending")).all()
    assert sorted(r.payload["role"] for r in pending) == ["chair", "chair"]
    # Back on the agenda: 15 minutes before their slot, the chair is reminded that they speak.
    agenda.add_item(meeting, {"title": "Closing", "start": wall(future_day(), 11), "duration_minutes": 30,
                              "speakers": [{"email": cast["chair"].email, "topic": "Next half-year", "minutes": 20}]})
    db.session.commit()
    got = reminders_at(smtp, slot - 15 * MINUTE)
    assert "you speak at" in text_of(got[cast["chair"].email])
