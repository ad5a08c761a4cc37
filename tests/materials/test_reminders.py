"""The deadline: one reminder to each speaker without material, never twice, none after an upload."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from meetings.extensions import db
from meetings.materials import reminders, services
from meetings.outbox.delivery import deliver_due
from meetings.outbox.models import OutboxMessage
from meetings.scheduling.models import Meeting
from tests import factories
from tests.materials import samples


def materials_rows():
    return db.session.execute(sa.select(OutboxMessage.key, OutboxMessage.status, OutboxMessage.person_id)
                              .where(OutboxMessage.kind == services.REMINDER_KIND)
                              .order_by(OutboxMessage.key)).all()


def test_the_due_date_defaults_to_two_days_before_the_start(cast):
    assert services.due_at(cast.meeting) == cast.meeting.start_at - timedelta(days=2)


def test_exactly_the_speakers_without_material_are_reminded_once(client, api, cast, smtp):
    other = factories.person("Speaker Li", email="li@example.com")
    done = factories.person("Speaker Zhao", email="zhao@example.com")
    item = factories.agenda_item(cast.meeting, title="More reports", kind="speech", speakers=[
        {"email": other.email, "topic": "Beijing", "minutes": 10},
        {"email": done.email, "topic": "Wuhan", "minutes": 10}])
    db.session.commit()
    slot_done = next(slot for slot in item.speaker_slots if slot.person_id == done.id)
    services.upload(cast.meeting, samples.pdf(), "wuhan.pdf", slot_id=slot_done.id, user=api.user)
    db.session.commit()
    before = reminders.remind_at(cast.meeting) - timedelta(minutes=1)
    assert reminders.queue_reminders(before) == 0
    at = reminders.remind_at(cast.meeting) + timedelta(minutes=1)
    assert reminders.queue_reminders(at) == 2
    reminders.queue_reminders(at + timedelta(hours=1))  # the job runs again: nothing new
    db.session.commit()
    rows = materials_rows()
    assert {person for _, _, person in rows} == {cast.speaker.person_id, other.id}
    assert len(rows) == 2
    deliver_due(now=at + timedelta(minutes=1))
    smtp.mailbox.wait_for(1)
    mails = [mail for mail in smtp.messages if "is due" in mail.message["Subject"]]
    assert sorted(mail.rcpt_tos[0] for mail in mails) == ["li@example.com", "wang@example.com"]
    body = next(m for m in mails if m.rcpt_tos[0] == "wang@example.com").message.get_body(("plain",)).get_content()
    assert "Shanghai branch" in body and "/rsvp/" in body and "/materials" in body
    link = body[body.index("https://"):].split()[0]
    assert client.get(link.removeprefix("https://meetings.example.com")).status_code == 200
    # Much later, the job runs again: still one each, nothing more sent.
    smtp.mailbox.clear()
    reminders.queue_reminders(at + timedelta(hours=20))
    db.session.commit()
    deliver_due(now=at + timedelta(hours=20))
    assert len(materials_rows()) == 2
    assert not [mail for mail in smtp.messages if "is due" in mail.message["Subject"]]


def test_an_upload_cancels_the_waiting_reminder(client, api, cast):
    meeting = db.session.get(Meeting, cast.meeting.id)
    at = reminders.remind_at(meeting) + timedelta(minutes=1)
    # Queued but not yet sent (due later than now), then the speaker uploads.
    reminders.queue_reminders(at)
    db.session.commit()
    db.session.execute(sa.update(OutboxMessage).values(due_at=meeting.start_at - timedelta(hours=1)))
    db.session.commit()
    services.upload(meeting, samples.pdf(), "r.pdf", slot_id=cast.slot.id, invitation=cast.speaker)
    db.session.commit()
    [(_key, status, _person)] = materials_rows()
    assert status.value == "cancelled"
    assert api.get(f"/api/meetings/{meeting.id}/materials").json["missing"] == []


def test_the_next_update_email_mentions_changed_materials_to_their_audience(api, cast, smtp):
    from meetings.scheduling import services as scheduling
    from tests.factories import deliver

    deliver()  # the invites
    smtp.mailbox.clear()
    services.upload(cast.meeting, samples.pdf(), "budget.pdf", title="Budget for chairs", audience=["chair"],
                    user=api.user)
    services.upload(cast.meeting, samples.pdf(), "notice.pdf", title="Seating notice", user=api.user)
    db.session.commit()
    deliver(later_minutes=10)
    assert smtp.messages == []  # an upload alone sends nothing
    meeting = db.session.get(Meeting, cast.meeting.id)
    scheduling.update_meeting(meeting, {"start": (meeting.start_at + timedelta(hours=1)).isoformat(),
                                        "end": (meeting.end_at + timedelta(hours=1)).isoformat()})
    db.session.commit()
    deliver(later_minutes=10)
    updates = {mail.rcpt_tos[0]: mail.message.get_body(("plain",)).get_content() for mail in smtp.messages}
    assert "Seating notice" in updates["participant@example.com"]
    assert "Budget for chairs" not in updates["participant@example.com"]
    assert "Budget for chairs" in updates["chair@example.com"] and "Seating notice" in updates["chair@example.com"]


def test_the_organizer_sets_the_due_date_and_the_reminder_follows(api, cast):
    url = f"/api/meetings/{cast.meeting.id}/materials/due"
    auth = {"Authorization": f"Bearer {api.token}"}
    day = cast.meeting.start_at.date()
    answer = api.client.put(url, json={"due": f"{day - timedelta(days=5)}T18:00"}, headers=auth)
    assert answer.status_code == 200 and answer.json["due"].endswith("+00:00")
    meeting = db.session.get(Meeting, cast.meeting.id)
    assert services.due_at(meeting) == meeting.materials_due
    assert reminders.queue_reminders(meeting.materials_due - timedelta(hours=25)) == 0
    assert reminders.queue_reminders(meeting.materials_due - timedelta(hours=23)) == 1
    late = api.client.put(url, json={"due": meeting.end_at.isoformat()}, headers=auth)
    assert late.status_code == 422 and "due" in late.json["error"]["fields"]
    assert api.client.put(url, json={"due": None}, headers=auth).status_code == 200


def test_how_often_the_scheduler_looks_for_due_reminders_is_a_setting(app, database_url):
    from meetings.outbox.scheduler import build_scheduler, register_housekeeping
    from tests.conftest import make_test_app

    def interval(application) -> float:
        scheduler = build_scheduler(application)
        scheduler.start(paused=True)
        try:
            return scheduler.get_job("materials-reminders").trigger.interval.total_seconds()
        finally:
            scheduler.shutdown(wait=False)

    assert app.config["MATERIALS_REMINDER_CHECK_SECONDS"] == 300 and interval(app) == 300
    try:
        assert interval(make_test_app(database_url, MATERIALS_REMINDER_CHECK_SECONDS=2)) == 2
    finally:
        # The housekeeping jobs are registered process-wide: the other tests' apps keep theirs.
        register_housekeeping("materials-reminders", reminders.queue_reminders,
                              seconds=app.config["MATERIALS_REMINDER_CHECK_SECONDS"])
