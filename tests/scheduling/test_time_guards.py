"""Guard rails on time: no meeting is created or moved into the past (API and form), and the
form's new start carries the end and the agenda as the API's does."""

from __future__ import annotations

from datetime import timedelta

import pytest

from meetings.core.db import utcnow
from meetings.extensions import db
from meetings.scheduling.models import Meeting
from tests import factories
from tests.factories import future_day, wall
from tests.manage.conftest import sign_in


def test_a_meeting_in_the_past_is_refused_at_creation(api):
    past = (utcnow() - timedelta(days=5 * 365)).date()
    response = api.post("/api/meetings", json={"title": "Old", "start": wall(past, 9), "end": wall(past, 12),
                                               "timezone": "Asia/Shanghai"})
    assert response.status_code == 422
    assert "in the past" in response.json["error"]["fields"]["start"][0]
    assert db.session.query(Meeting).count() == 0


def test_a_published_meeting_cannot_be_moved_into_the_past(api):
    meeting = factories.publish(factories.meeting(api.user))
    yesterday = (utcnow() - timedelta(days=1)).date()
    response = api.patch(f"/api/meetings/{meeting.id}", json={"start": wall(yesterday, 9)})
    assert response.status_code == 422 and "start" in response.json["error"]["fields"]
    db.session.refresh(meeting)
    assert meeting.start_at.date() == future_day()
    # Moving it later is still fine.
    assert api.patch(f"/api/meetings/{meeting.id}", json={"start": wall(future_day(), 10)}).status_code == 200


def test_the_form_refuses_a_past_date_and_says_why(client):
    browser = sign_in(client, "office@example.com")
    past = (utcnow() - timedelta(days=30)).date()
    page = browser.post("/meetings/new", data={"title": "Old", "date": past.isoformat(), "start_time": "09:00",
                                               "end_time": "12:00", "timezone": "Asia/Shanghai"})
    assert page.status_code in (200, 422) and "in the past" in page.text
    assert db.session.query(Meeting).count() == 0


@pytest.mark.parametrize("new_start, new_end, agenda_start", [("10:30", "13:30", "11:30")])
def test_a_new_start_in_the_form_carries_the_end_and_the_agenda(client, new_start, new_end, agenda_start):
    browser = sign_in(client, "office@example.com")
    meeting = factories.meeting(browser.user)  # 09:00–12:00
    factories.agenda_item(meeting, title="Report", start=wall(future_day(), 10), minutes=120)  # 10:00–12:00
    day = future_day().isoformat()
    response = browser.post(f"/meetings/{meeting.id}/details", data={
        "title": meeting.title, "kind": "operation", "date": day, "start_time": new_start, "end_time": "12:00",
        "timezone": "Asia/Shanghai"})
    assert response.status_code == 302, response.text
    db.session.expire_all()
    meeting = db.session.get(Meeting, meeting.id)
    page = browser.get(f"/meetings/{meeting.id}").text
    assert f"{new_start}–{new_end}" in page
    assert agenda_start in page
