"""The organizer's page of a series: its meetings (with the one being looked at marked) and their
open actions (overdue ones marked, done ones left out), in both languages; a meeting outside any
series says how to start one; another organizer learns nothing."""

from __future__ import annotations

from datetime import date

from meetings.extensions import db
from meetings.minutes.models import ActionItem
from tests import factories
from tests.minutes.conftest import content
from tests.test_pages import login


def _publish_minutes(api, held, body):
    base = f"/api/meetings/{held.meeting.id}/minutes"
    assert api.client.put(base, json=body, headers={"Authorization": f"Bearer {api.token}"}).status_code == 200
    for step, json in (("submit", None), ("approve", None), ("publish", {"audience": "invited"})):
        assert api.post(f"{base}/{step}", json=json).status_code == 200, step


def test_the_series_page_lists_its_meetings_and_open_actions(held, api, client, other_api):
    assert login(client, api.user.email, "correct horse battery").status_code == 302
    alone = client.get(f"/meetings/{held.meeting.id}/series")
    assert alone.status_code == 200 and 'id="no-series"' in alone.text
    _publish_minutes(api, held, content(held, actions=[
        {"title": "Plan for the old line", "owner_email": "alice@example.com",
         "due": factories.future_day(7, 1).isoformat()},
        {"title": "Closed already", "owner_email": "alice@example.com",
         "due": factories.future_day(7, 3).isoformat()}]))
    closed = next(a for a in api.get("/api/actions").json if a["title"] == "Closed already")
    assert api.patch(f"/api/actions/{closed['id']}", json={"status": "done"}).status_code == 200
    # One open action is overdue (its due day moved into the past, as time would have it).
    late = next(a for a in db.session.query(ActionItem) if a.title == "Plan for the old line")
    late.due_on = date(2020, 1, 6)
    db.session.commit()
    copied = api.post(f"/api/meetings/{held.meeting.id}/copy",
                      json={"start": factories.wall(factories.future_day(8, 10), 9), "carry_open_actions": True})
    assert copied.status_code == 201, copied.json
    new_id = copied.json["id"]

    meeting_page = client.get(f"/meetings/{new_id}").text
    assert f"/meetings/{new_id}/series" in meeting_page
    page = client.get(f"/meetings/{new_id}/series")
    assert page.status_code == 200
    listed = page.text[page.text.index('id="series-meetings"'):page.text.index('id="series-actions"')]
    assert listed.count("June operation meeting") == 2 and "(this one)" in listed
    assert f"/meetings/{held.meeting.id}\"" in listed and f"/meetings/{new_id}\"" in listed
    actions = page.text[page.text.index('id="series-actions"'):]
    assert "Plan for the old line" in actions and "Alice" in actions and "2020-01-06" in actions
    assert "Overdue" in actions and "Closed already" not in page.text
    chinese = client.get(f"/meetings/{new_id}/series", headers={"Accept-Language": "zh-CN"}).text
    assert "系列会议" in chinese and "未完成的督办事项" in chinese and "本次" in chinese

    other = client.application.test_client()
    assert login(other, other_api.user.email, "correct horse battery").status_code == 302
    hidden = other.get(f"/meetings/{new_id}/series")
    assert hidden.status_code == 404 and "Plan for the old line" not in hidden.text
