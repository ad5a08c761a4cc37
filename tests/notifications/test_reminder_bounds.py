"""A meeting's reminders are bounded per role: 10,000 of them held SQLite's write lock for 25 s
and then failed with a 500 ("too many terms in compound SELECT")."""

import time

from meetings.core.roles import MAX_REMINDERS_PER_ROLE
from tests import factories


def reminders(count: int, role: str = "participant") -> list[dict]:
    return [{"role": role, "before_minutes": minutes} for minutes in range(1, count + 1)]


def test_ten_thousand_reminders_are_refused_at_once_and_nothing_changes(api):
    meeting = factories.meeting(api.user)
    factories.invite(meeting, factories.person())
    before = api.get(f"/api/meetings/{meeting.id}").json["reminders"]
    started = time.perf_counter()
    response = api.patch(f"/api/meetings/{meeting.id}", json={"reminders": reminders(10_000)})
    assert time.perf_counter() - started < 2.0
    assert response.status_code == 422
    assert response.json["error"]["fields"]["reminders"] == [f"At most {MAX_REMINDERS_PER_ROLE} reminders per role."]
    assert api.get(f"/api/meetings/{meeting.id}").json["reminders"] == before


def test_the_bound_is_per_role(api):
    wanted = reminders(MAX_REMINDERS_PER_ROLE) + reminders(MAX_REMINDERS_PER_ROLE, "chair")
    meeting = api.post("/api/meetings", json={"title": "M", "start": factories.wall(factories.future_day(), 9),
                                              "end": factories.wall(factories.future_day(), 12),
                                              "timezone": "UTC", "reminders": wanted})
    assert meeting.status_code == 201, meeting.json
    assert len(meeting.json["reminders"]) == 2 * MAX_REMINDERS_PER_ROLE
    one_more = wanted + [{"role": "chair", "before_minutes": 999}]
    response = api.patch(f"/api/meetings/{meeting.json['id']}", json={"reminders": one_more})
    assert response.status_code == 422 and "reminders" in response.json["error"]["fields"]


def test_repeating_one_reminder_is_one_reminder(api):
    meeting = factories.meeting(api.user)
    response = api.patch(f"/api/meetings/{meeting.id}",
                         json={"reminders": [{"role": "observer", "before_minutes": 60}] * 500})
    assert response.status_code == 200
    assert response.json["reminders"] == [{"role": "observer", "before_minutes": 60}]
