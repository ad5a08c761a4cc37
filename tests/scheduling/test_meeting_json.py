"""A meeting's JSON is kept per content version (`meetings.core.pagecache.json_answer`): each
change it shows is read at the next request, whoever makes it and however; who may read it is
checked on every request; its ETag makes polling cheap (304 while nothing changed)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from meetings.accounts.models import User
from meetings.extensions import db
from meetings.scheduling import services as scheduling, sites
from meetings.scheduling.models import Meeting, MeetingShare, ReminderPolicy
from tests import factories
from tests.conferencing.helpers import counted_statements
from tests.factories import future_day, wall


@pytest.fixture()
def meeting(api):
    created = api.post("/api/meetings", json={
        "title": "Mid-year operation meeting", "start": wall(future_day(), 9), "end": wall(future_day(), 12),
        "timezone": "Asia/Shanghai", "reminders": [{"role": "participant", "before_minutes": 120}]})
    assert created.status_code == 201
    return db.session.get(Meeting, created.json["id"])


def read(api, meeting):
    response = api.get(f"/api/meetings/{meeting.id}")
    assert response.status_code == 200, response.json
    return response.json


def _rename(api, meeting):
    assert api.patch(f"/api/meetings/{meeting.id}", json={"title": "Renamed"}).status_code == 200


def _change_reminders_again(api, meeting):
    reminders = [{"role": "participant", "before_minutes": 30}]
    assert api.patch(f"/api/meetings/{meeting.id}", json={"reminders": reminders}).status_code == 200


def _reminder_edited_alone(api, meeting):
    # A plain ORM edit of the reminder's row only, the meeting's own row untouched.
    db.session.scalar(sa.select(ReminderPolicy).where(ReminderPolicy.meeting_id == meeting.id)).before_minutes = 30
    db.session.commit()


def _owner_changes_email(api, meeting):
    db.session.get(User, meeting.owner_id).email = "new-address@example.com"
    db.session.commit()


@pytest.mark.parametrize("change, field, after", [
    (_rename, "title", "Renamed"),
    (_change_reminders_again, "reminders", [{"role": "participant", "before_minutes": 30}]),
    (_reminder_edited_alone, "reminders", [{"role": "participant", "before_minutes": 30}]),
    (_owner_changes_email, "owner", "new-address@example.com"),
])
def test_kept_json_shows_each_change_at_the_next_read(api, meeting, change, field, after):
    first = read(api, meeting)
    assert read(api, meeting) == first  # kept now
    assert first[field] != after
    change(api, meeting)
    assert read(api, meeting)[field] == after


def test_kept_json_shows_a_meeting_finished_by_the_scheduler(api, meeting):
    # One bulk UPDATE, not the ORM: it moves the version itself.
    sites.add_site(meeting, {"name": "Main hall", "kind": "main"})
    factories.publish(meeting)
    assert read(api, meeting)["status"] == read(api, meeting)["status"] == "scheduled"
    assert scheduling.finish_past_meetings(now=meeting.end_at + timedelta(minutes=1)) == 1
    db.session.commit()
    assert read(api, meeting)["status"] == "finished"


def test_kept_json_is_the_json_read_afresh(api, meeting, page_cache_off):
    url = f"/api/meetings/{meeting.id}"
    assert api.get(url).status_code == 200
    kept = api.get(url)
    with page_cache_off():
        fresh = api.get(url)
    assert kept.get_data() == fresh.get_data()
    assert kept.headers["Content-Type"] == fresh.headers["Content-Type"] == "application/json"
    assert kept.headers["ETag"] == fresh.headers["ETag"]


@pytest.mark.parametrize("path", ["/api/meetings/{id}", "/api/meetings/{id}.ics"])
def test_a_kept_read_runs_only_the_check_of_the_token_with_the_version(api, meeting, path):
    url = path.format(id=meeting.id)
    assert api.get(url).status_code == 200
    with counted_statements() as statements:
        assert api.get(url).status_code == 200
    # The caller of the token (every API request checks it first), and in the same statement
    # whether they may see the meeting and its version (`access.ReadWithCaller`).
    assert len(statements) == 1, "\n".join(s[:90] for s in statements)
    assert "api_tokens" in statements[0] and "content_version" in statements[0]
    assert "reminder_policies" not in statements[0]


def test_etag_answers_304_until_the_meeting_changes(api, meeting):
    first = api.get(f"/api/meetings/{meeting.id}")
    etag = first.headers["ETag"]
    unchanged = api.get(f"/api/meetings/{meeting.id}", headers={"If-None-Match": etag})
    assert unchanged.status_code == 304 and unchanged.get_data() == b""
    assert unchanged.headers["ETag"] == etag
    _rename(api, meeting)
    changed = api.get(f"/api/meetings/{meeting.id}", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.json["title"] == "Renamed"
    assert changed.headers["ETag"] != etag


def test_who_may_read_is_checked_on_every_read_of_a_kept_answer(api, other_api, meeting):
    url = f"/api/meetings/{meeting.id}"
    shown = read(api, meeting)
    assert other_api.get(url).status_code == 404  # kept, but not theirs
    scheduling.share_meeting(meeting, other_api.user)
    db.session.commit()
    assert other_api.get(url).json == shown
    db.session.execute(sa.delete(MeetingShare).where(MeetingShare.meeting_id == meeting.id))
    db.session.commit()
    refused = other_api.get(url)
    assert refused.status_code == 404 and "error" in refused.json
    assert read(api, meeting) == shown


def test_a_deleted_meeting_is_a_404_though_its_json_was_kept(api, meeting):
    url = f"/api/meetings/{meeting.id}"
    assert api.get(url).status_code == 200
    assert api.delete(url).status_code == 204
    assert api.get(url).status_code == 404


def test_a_new_meeting_under_a_deleted_ones_id_is_read_afresh(api, meeting):
    # SQLite gives a deleted last row's id to the next row; PostgreSQL never does.
    owner_read = read(api, meeting)
    assert api.delete(f"/api/meetings/{owner_read['id']}").status_code == 204
    created = api.post("/api/meetings", json={
        "title": "Another meeting", "start": wall(future_day(), 14), "end": wall(future_day(), 15),
        "timezone": "Asia/Shanghai", "reminders": [{"role": "participant", "before_minutes": 120}]}).json
    again = api.get(f"/api/meetings/{created['id']}").json
    assert again == created and again["title"] == "Another meeting" and again["uid"] != owner_read["uid"]


def test_an_admin_reads_the_same_kept_json(api, admin_api, meeting):
    assert admin_api.get(f"/api/meetings/{meeting.id}").json == read(api, meeting)
