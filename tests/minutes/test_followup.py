"""Reminders before the due date and weekly chasers when overdue: outbox rows, each once,
cancelled when the action is done, moved when its due date moves."""

from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from meetings.extensions import db
from meetings.minutes import followup
from meetings.minutes.models import ActionItem
from meetings.outbox.models import OutboxMessage, OutboxStatus
from tests import factories
from tests.minutes.conftest import content


def _publish(api, held, due):
    base = f"/api/meetings/{held.meeting.id}/minutes"
    api.client.put(base, json=content(held, due=due.isoformat()), headers={"Authorization": f"Bearer {api.token}"})
    api.post(base + "/submit")
    api.post(base + "/approve")
    api.post(base + "/publish", json={"audience": "invited"})
    return db.session.scalar(sa.select(ActionItem))


def _rows(kind):
    return db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.kind == kind)
                              .order_by(OutboxMessage.id)).all()


def test_publishing_queues_one_reminder_two_days_before_the_due_day_at_nine(held, api):
    due = factories.future_day(7, 1)
    action = _publish(api, held, due)
    [reminder] = _rows(followup.REMINDER_KIND)
    assert reminder.key == f"action_reminder:{action.id}:{due.isoformat()}"
    # 09:00 in Shanghai (the meeting's zone) on June 29 is 01:00 UTC.
    assert reminder.due_at == datetime(due.year, 6, 29, 1, 0, tzinfo=timezone.utc)
    assert reminder.person_id == held.alice.id


def test_chasers_go_weekly_once_each_until_done(held, api, smtp):
    due = factories.future_day(7, 1)
    action = _publish(api, held, due)
    first = followup.first_chase_at(action)
    assert followup.chase_due(now=first - timedelta(minutes=1)) == 0
    for now in (first, first + timedelta(days=1), first + timedelta(days=6, hours=23)):
        followup.chase_due(now=now)
    db.session.commit()
    assert [r.key for r in _rows(followup.CHASER_KIND)] == [f"action_chase:{action.id}:{due.isoformat()}:0"]
    followup.chase_due(now=first + timedelta(days=7))
    followup.chase_due(now=first + timedelta(days=8))
    db.session.commit()
    assert [r.key[-2:] for r in _rows(followup.CHASER_KIND)] == [":0", ":1"]
    assert [r.due_at for r in _rows(followup.CHASER_KIND)] == [first, first + timedelta(days=7)]
    factories.deliver(later_minutes=60 * 24 * 400)
    smtp.mailbox.wait_for(4)
    chasers = [m for m in smtp.messages if "Overdue" in m.message["Subject"]]
    reminders = [m for m in smtp.messages if m.message["Subject"].startswith("Reminder: \"Plan")]
    assert len(chasers) == 2 and len(reminders) == 1
    api.patch(f"/api/actions/{action.id}", json={"status": "done"})
    followup.chase_due(now=first + timedelta(days=15))
    db.session.commit()
    assert len(_rows(followup.CHASER_KIND)) == 2  # none once done


def test_done_cancels_the_waiting_reminder_and_a_new_due_date_makes_a_new_one(held, api):
    due = factories.future_day(7, 1)
    action = _publish(api, held, due)
    later = factories.future_day(8, 1)
    api.patch(f"/api/actions/{action.id}", json={"due": later.isoformat()})
    old, new = _rows(followup.REMINDER_KIND)
    assert old.status == OutboxStatus.CANCELLED and new.status == OutboxStatus.PENDING
    assert new.key.endswith(later.isoformat())
    api.patch(f"/api/actions/{action.id}", json={"status": "done"})
    assert all(r.status == OutboxStatus.CANCELLED for r in _rows(followup.REMINDER_KIND))


def test_a_reminder_whose_action_closed_meanwhile_is_skipped_not_sent(held, api, smtp):
    action = _publish(api, held, factories.future_day(7, 1))
    # Closed behind the outbox's back (another process, a race): the renderer still says no.
    db.session.execute(sa.update(ActionItem).where(ActionItem.id == action.id).values(status="cancelled"))
    db.session.commit()
    factories.deliver(later_minutes=60 * 24 * 400)
    [reminder] = _rows(followup.REMINDER_KIND)
    assert reminder.status == OutboxStatus.SKIPPED
