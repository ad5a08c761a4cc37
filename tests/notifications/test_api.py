"""What the organizer sees of a meeting's emails: GET /api/meetings/{id}/notifications."""

from datetime import datetime, timedelta, timezone

import pytest

from meetings.extensions import db
from meetings.scheduling import services as scheduling
from tests import factories
from tests.factories import NEXT_YEAR, future_day, wall

START = datetime(NEXT_YEAR, 6, 10, 1, 0, tzinfo=timezone.utc)  # 09:00 in Shanghai


@pytest.fixture()
def meeting(api):
    meeting = factories.meeting(api.user, title="Mid-year operation meeting")
    factories.invite(meeting, factories.person("Chair", email="chair@example.com"), "chair")
    factories.invite(meeting, factories.person("Guest", email="guest@example.com"), "observer")
    factories.publish(meeting)
    return meeting


def listing(api, meeting, query=""):
    response = api.get(f"/api/meetings/{meeting.id}/notifications{query}")
    assert response.status_code == 200, response.json
    return {entry["person"]["email"]: entry for entry in response.json}


def test_each_person_sees_their_invite_sent_and_their_reminders_scheduled(api, meeting, smtp):
    factories.deliver()
    people = listing(api, meeting)
    assert list(people) == ["chair@example.com", "guest@example.com"]  # by invitation
    chair = people["chair@example.com"]
    assert (chair["role"], chair["response"], chair["removed"]) == ("chair", "needs-action", False)
    invite, day, hour = chair["notifications"]
    assert (invite["kind"], invite["status"], invite["attempts"]) == ("invite", "sent", 1)
    assert invite["subject"].startswith("Invitation: Mid-year operation meeting")
    assert invite["sent_at"].endswith("+08:00")  # in the meeting's zone
    assert [(n["kind"], n["status"], n["before_minutes"], n["due_at"]) for n in (day, hour)] == [
        ("reminder", "pending", 1440, f"{NEXT_YEAR}-06-09T09:00:00+08:00"),
        ("reminder", "pending", 60, f"{NEXT_YEAR}-06-10T08:00:00+08:00"),
    ]
    assert [n["before_minutes"] for n in people["guest@example.com"]["notifications"]] == [None, 60]


def test_a_reminder_that_failed_for_good_shows_its_error_and_can_be_sent_again(app, api, meeting, smtp,
                                                                                 runner, monkeypatch):
    factories.deliver()
    monkeypatch.setitem(app.config, "OUTBOX_MAX_ATTEMPTS", 2)
    smtp.mailbox.refuse_with = "451 4.3.0 Mailbox busy"
    factories.deliver(at=START - timedelta(hours=1))  # the scheduler's runs then, and five minutes on
    factories.deliver(at=START - timedelta(minutes=55))
    hour = listing(api, meeting)["guest@example.com"]["notifications"][-1]
    assert (hour["status"], hour["attempts"]) == ("failed", 2)
    assert "451 4.3.0 Mailbox busy" in hour["last_error"]
    assert listing(api, meeting, "?status=failed")["guest@example.com"]["notifications"] == [hour]
    smtp.mailbox.refuse_with = None
    assert runner.invoke(args=["outbox", "retry", str(hour["id"])]).exit_code == 0
    factories.deliver()
    again = listing(api, meeting)["guest@example.com"]["notifications"][-1]
    assert (again["id"], again["status"]) == (hour["id"], "sent")
    reminders = [m for m in smtp.mailbox.received if m.message["Subject"].startswith("Reminder:")]
    assert [m.rcpt_tos for m in reminders] == [["guest@example.com"]]


def test_cancelled_rows_are_listed_only_when_asked_for(api, meeting):
    scheduling.update_meeting(meeting, {"start": wall(future_day(), 10)})
    db.session.commit()
    guest = listing(api, meeting)["guest@example.com"]["notifications"]
    assert [(n["kind"], n["due_at"]) for n in guest if n["kind"] == "reminder"] == [
        ("reminder", f"{NEXT_YEAR}-06-10T09:00:00+08:00")]
    cancelled = listing(api, meeting, "?status=cancelled")["guest@example.com"]["notifications"]
    assert [(n["due_at"], n["last_error"]) for n in cancelled] == [
        (f"{NEXT_YEAR}-06-10T08:00:00+08:00", "rescheduled")]
    bad = api.get(f"/api/meetings/{meeting.id}/notifications?status=lost")
    assert bad.status_code == 422 and "status" in bad.json["error"]["fields"]


def test_only_the_meetings_organizers_and_admins_see_it(client, api, admin_api, other_api, meeting):
    url = f"/api/meetings/{meeting.id}/notifications"
    assert admin_api.get(url).status_code == 200
    assert other_api.get(url).status_code == 404
    assert client.get(url).status_code == 401
    assert api.get("/api/meetings/999999/notifications").status_code == 404
    scheduling.share_meeting(meeting, other_api.user)
    db.session.commit()
    assert other_api.get(url).status_code == 200
