"""The meetings API: create, read, change, move, delete, and who may do it."""

from datetime import date

import pytest

from meetings.extensions import db
from meetings.scheduling.models import AgendaItem, Meeting
from tests import factories
from tests.factories import NEXT_YEAR, future_day, last_sunday, wall


def new_meeting(api, **overrides):
    body = {"title": "Mid-year operation meeting", "start": wall(future_day(), 9), "end": wall(future_day(), 12),
            "timezone": "Asia/Shanghai"}
    body.update(overrides)
    return api.post("/api/meetings", json=body)


def test_create_returns_the_meeting_with_offsets_uid_status_and_sequence(api):
    response = new_meeting(api, description="Half-year review", kind="operation")
    assert response.status_code == 201
    body = response.json
    assert body["title"] == "Mid-year operation meeting"
    assert body["start"] == f"{NEXT_YEAR}-06-10T09:00:00+08:00"
    assert body["end"] == f"{NEXT_YEAR}-06-10T12:00:00+08:00"
    assert body["timezone"] == "Asia/Shanghai"
    assert body["status"] == "draft" and body["sequence"] == 0
    assert body["uid"].endswith("@meetings.example.com")
    assert {"role": "speaker", "before_minutes": 4320} in body["reminders"]
    assert api.get(f"/api/meetings/{body['id']}").json == body


def test_times_may_carry_their_own_offset(api):
    response = new_meeting(api, start=f"{NEXT_YEAR}-06-10T03:00:00+02:00", end=f"{NEXT_YEAR}-06-10T06:00:00+02:00")
    assert response.status_code == 201
    assert response.json["start"] == f"{NEXT_YEAR}-06-10T09:00:00+08:00"


def test_each_meeting_gets_its_own_uid(api):
    assert new_meeting(api).json["uid"] != new_meeting(api).json["uid"]


@pytest.mark.parametrize("overrides, field, words", [
    ({"end": wall(future_day(), 8)}, "end", "after the start"),
    ({"end": wall(future_day(), 9)}, "end", "after the start"),
    ({"end": wall(date(NEXT_YEAR, 6, 30), 9)}, "end", "at most 7 days"),
    ({"timezone": "Asia/Beijing"}, "timezone", "IANA"),
    ({"title": "   "}, "title", "cannot be empty"),
    ({"title": "x" * 201}, "title", "At most 200"),
    ({"title": "two\nlines"}, "title", "single line"),
])
def test_bad_meetings_are_refused_with_the_field_named(api, overrides, field, words):
    response = new_meeting(api, **overrides)
    assert response.status_code == 422
    error = response.json["error"]
    assert error["status"] == 422
    assert field in error["fields"]
    assert words in " ".join(error["fields"][field])
    assert db.session.query(Meeting).count() == 0


def test_a_start_in_the_dst_gap_is_refused(api):
    day = last_sunday(NEXT_YEAR, 3)
    response = new_meeting(api, start=wall(day, 2, 30), end=wall(day, 5), timezone="Europe/Amsterdam")
    assert response.status_code == 422
    assert "does not exist in Europe/Amsterdam" in response.json["error"]["fields"]["start"][0]


def test_an_end_in_the_dst_fold_is_refused(api):
    day = last_sunday(NEXT_YEAR, 10)
    response = new_meeting(api, start=wall(day, 1), end=wall(day, 2, 30), timezone="Europe/Amsterdam")
    assert response.status_code == 422
    assert "happens twice" in response.json["error"]["fields"]["end"][0]


@pytest.mark.parametrize("body, field", [
    ({"title": "x", "start": "tomorrow", "end": "later", "timezone": "UTC"}, "start"),
    ({"title": 5, "start": wall(future_day(), 9), "end": wall(future_day(), 10), "timezone": "UTC"}, "title"),
    ({"start": wall(future_day(), 9), "end": wall(future_day(), 10), "timezone": "UTC"}, "title"),
    ({"title": "x", "start": wall(future_day(), 9), "end": wall(future_day(), 10), "timezone": "UTC",
      "colour": "red"}, "colour"),
    ({"title": "x", "start": wall(future_day(), 9), "end": wall(future_day(), 10), "timezone": "UTC",
      "reminders": "soon"}, "reminders"),
])
def test_wrong_types_missing_and_unknown_fields_are_422(api, body, field):
    response = api.post("/api/meetings", json=body)
    assert response.status_code == 422
    assert field in response.json["error"]["fields"]


def test_malformed_json_is_400(api):
    response = api.post("/api/meetings", data="{not json", headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json["error"]["message"] == "The body is not valid JSON."


def test_a_body_over_10_mb_is_413(api):
    response = api.post("/api/meetings", data=b"x" * (10 * 1024 * 1024 + 1),
                        headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.json["error"]["status"] == 413


def test_unknown_meeting_is_404(api):
    response = api.get("/api/meetings/999999")
    assert response.status_code == 404
    assert response.json == {"error": {"status": 404, "message": "No meeting with id 999999.", "fields": {}}}


def test_organizers_see_only_their_own_meetings_and_admins_all(api, other_api, admin_api):
    mine = new_meeting(api, title="Mine").json
    theirs = new_meeting(other_api, title="Theirs").json
    assert [m["title"] for m in api.get("/api/meetings").json] == ["Mine"]
    assert {m["title"] for m in admin_api.get("/api/meetings").json} == {"Mine", "Theirs"}
    for method, path, body in [("get", "", None), ("patch", "", {"title": "hijacked"}), ("delete", "", None),
                               ("get", "/sites", None), ("post", "/sites", {"name": "x"}),
                               ("get", "/agenda", None), ("post", "/agenda", {"title": "x", "duration_minutes": 5}),
                               ("post", "/publish", None), ("post", "/cancel", None)]:
        kwargs = {"json": body} if body is not None else {}
        response = getattr(api, method)(f"/api/meetings/{theirs['id']}{path}", **kwargs)
        assert response.status_code == 404, (method, path)
    assert admin_api.patch(f"/api/meetings/{mine['id']}", json={"title": "Renamed by admin"}).status_code == 200
    assert other_api.get(f"/api/meetings/{theirs['id']}").json["title"] == "Theirs"


def test_patch_changes_only_what_is_sent(api):
    created = new_meeting(api, description="first").json
    response = api.patch(f"/api/meetings/{created['id']}", json={"description": "second"})
    assert response.status_code == 200
    assert response.json["description"] == "second"
    assert response.json["title"] == created["title"] and response.json["start"] == created["start"]


def test_a_new_start_alone_keeps_the_duration_and_moves_the_agenda(api):
    meeting = new_meeting(api).json
    person = factories.person("Speaker", email="speaker@example.com")
    item = api.post(f"/api/meetings/{meeting['id']}/agenda", json={
        "title": "Report", "start": wall(future_day(), 9, 30), "duration_minutes": 30,
        "speakers": [{"email": person.email, "topic": "Numbers", "minutes": 20}]}).json
    response = api.patch(f"/api/meetings/{meeting['id']}", json={"start": wall(future_day(), 14)})
    assert response.status_code == 200
    assert response.json["end"] == f"{NEXT_YEAR}-06-10T17:00:00+08:00"
    moved = api.get(f"/api/meetings/{meeting['id']}/agenda").json[0]
    assert moved["id"] == item["id"]
    assert moved["start"] == f"{NEXT_YEAR}-06-10T14:30:00+08:00"
    assert moved["speakers"][0]["start"] == f"{NEXT_YEAR}-06-10T14:30:00+08:00"
    assert moved["speakers"][0]["end"] == f"{NEXT_YEAR}-06-10T14:50:00+08:00"


def test_shortening_a_meeting_under_its_agenda_is_refused_and_changes_nothing(api):
    meeting = new_meeting(api).json
    api.post(f"/api/meetings/{meeting['id']}/agenda",
             json={"title": "Late item", "start": wall(future_day(), 11), "duration_minutes": 60})
    response = api.patch(f"/api/meetings/{meeting['id']}", json={"end": wall(future_day(), 11, 30),
                                                                 "title": "Renamed"})
    assert response.status_code == 422
    assert "must lie within the meeting" in response.json["error"]["message"]
    after = api.get(f"/api/meetings/{meeting['id']}").json
    assert after["end"] == meeting["end"] and after["title"] == meeting["title"]


def test_a_move_that_puts_a_speaker_in_two_places_is_refused_and_changes_nothing(api):
    speaker = factories.person("Busy speaker", email="busy@example.com")
    first = new_meeting(api, title="First").json
    second = new_meeting(api, title="Second", start=wall(future_day(), 14), end=wall(future_day(), 16)).json
    for meeting, hour in ((first, 9), (second, 14)):
        assert api.post(f"/api/meetings/{meeting['id']}/agenda", json={
            "title": "Talk", "start": wall(future_day(), hour), "duration_minutes": 30,
            "speakers": [{"email": speaker.email, "minutes": 30}]}).status_code == 201
    response = api.patch(f"/api/meetings/{second['id']}", json={"start": wall(future_day(), 9)})
    assert response.status_code == 422
    assert "already speaks in another meeting" in response.json["error"]["message"]
    assert api.get(f"/api/meetings/{second['id']}").json["start"] == second["start"]
    assert api.get(f"/api/meetings/{second['id']}/agenda").json[0]["start"] == second["start"]


def test_changing_the_zone_keeps_the_instant(api):
    meeting = new_meeting(api).json
    response = api.patch(f"/api/meetings/{meeting['id']}", json={"timezone": "Europe/Amsterdam"})
    assert response.json["start"] == f"{NEXT_YEAR}-06-10T03:00:00+02:00"


def test_a_draft_can_be_deleted_with_everything_in_it(api):
    meeting = new_meeting(api).json
    api.post(f"/api/meetings/{meeting['id']}/sites", json={"name": "Hall", "kind": "main"})
    api.post(f"/api/meetings/{meeting['id']}/agenda", json={"title": "Item", "duration_minutes": 30})
    assert api.delete(f"/api/meetings/{meeting['id']}").status_code == 204
    assert api.get(f"/api/meetings/{meeting['id']}").status_code == 404
    assert db.session.query(AgendaItem).count() == 0


def test_a_published_meeting_cannot_be_deleted_only_cancelled(api):
    meeting = new_meeting(api).json
    api.post(f"/api/meetings/{meeting['id']}/sites", json={"name": "Hall", "kind": "main"})
    assert api.post(f"/api/meetings/{meeting['id']}/publish").json["status"] == "scheduled"
    response = api.delete(f"/api/meetings/{meeting['id']}")
    assert response.status_code == 409
    assert "cancel it instead" in response.json["error"]["message"]
    cancelled = api.post(f"/api/meetings/{meeting['id']}/cancel").json
    assert cancelled["status"] == "cancelled"


def test_publishing_needs_a_main_venue(api):
    meeting = new_meeting(api).json
    response = api.post(f"/api/meetings/{meeting['id']}/publish")
    assert response.status_code == 422
    assert "main venue" in response.json["error"]["message"]
    assert api.get(f"/api/meetings/{meeting['id']}").json["status"] == "draft"


def test_sequence_goes_up_for_changes_participants_must_see_once_published(api):
    meeting = new_meeting(api).json
    api.post(f"/api/meetings/{meeting['id']}/sites", json={"name": "Hall", "kind": "main"})
    assert api.patch(f"/api/meetings/{meeting['id']}", json={"start": wall(future_day(), 10)}).json["sequence"] == 0
    api.post(f"/api/meetings/{meeting['id']}/publish")
    assert api.post(f"/api/meetings/{meeting['id']}/publish").json["sequence"] == 0  # publishing again: nothing
    moved = api.patch(f"/api/meetings/{meeting['id']}", json={"start": wall(future_day(), 11)}).json
    assert moved["sequence"] == 1
    renamed = api.patch(f"/api/meetings/{meeting['id']}", json={"title": "New title"}).json
    assert renamed["sequence"] == 1
    same = api.patch(f"/api/meetings/{meeting['id']}", json={"start": wall(future_day(), 11)}).json
    assert same["sequence"] == 1
    api.post(f"/api/meetings/{meeting['id']}/agenda", json={"title": "Item", "duration_minutes": 30})
    assert api.get(f"/api/meetings/{meeting['id']}").json["sequence"] == 2
    assert api.post(f"/api/meetings/{meeting['id']}/cancel").json["sequence"] == 3


def test_a_cancelled_meeting_can_no_longer_change(api):
    meeting = new_meeting(api).json
    api.post(f"/api/meetings/{meeting['id']}/cancel")
    response = api.patch(f"/api/meetings/{meeting['id']}", json={"title": "Again"})
    assert response.status_code == 409


def test_list_filters_by_status(api):
    draft = new_meeting(api, title="Draft").json
    cancelled = new_meeting(api, title="Cancelled").json
    api.post(f"/api/meetings/{cancelled['id']}/cancel")
    assert [m["id"] for m in api.get("/api/meetings?status=draft").json] == [draft["id"]]
    assert api.get("/api/meetings?status=nonsense").status_code == 422


def test_reminders_can_be_set_replaced_and_reset(api):
    meeting = new_meeting(api, reminders=[{"role": "participant", "before_minutes": 120}]).json
    assert meeting["reminders"] == [{"role": "participant", "before_minutes": 120}]
    patched = api.patch(f"/api/meetings/{meeting['id']}", json={"reminders": [
        {"role": "speaker", "before_minutes": 30}, {"role": "participant", "before_minutes": 60}]}).json
    assert patched["reminders"] == [{"role": "speaker", "before_minutes": 30},
                                    {"role": "participant", "before_minutes": 60}]
    reset = api.patch(f"/api/meetings/{meeting['id']}", json={"reminders": None}).json
    assert {"role": "observer", "before_minutes": 60} in reset["reminders"]


@pytest.mark.parametrize("reminder, words", [
    ({"role": "participant", "before_minutes": -5}, "cannot be negative"),
    ({"role": "janitor", "before_minutes": 5}, "unknown role"),
    ({"role": "participant", "before_minutes": 60 * 24 * 61}, "at most 60 days"),
])
def test_bad_reminders_are_refused(api, reminder, words):
    response = new_meeting(api, reminders=[reminder])
    assert response.status_code == 422
    assert words in response.json["error"]["fields"]["reminders"][0]
    meeting = new_meeting(api, reminders=[{"role": "observer", "before_minutes": 60 * 24 * 60}]).json  # 60 days: fine
    patched = api.patch(f"/api/meetings/{meeting['id']}", json={"reminders": [reminder]})
    assert patched.status_code == 422
    assert words in patched.json["error"]["fields"]["reminders"][0]
    assert api.get(f"/api/meetings/{meeting['id']}").json["reminders"] == meeting["reminders"]  # unchanged


def test_reading_a_meeting_answers_as_changing_it_does(api, other_api, admin_api):
    # GET reads the meeting without the ORM (read_meeting_for); PATCH answers from the model.
    meeting = new_meeting(api, description="Half-year review").json
    patched = api.patch(f"/api/meetings/{meeting['id']}", json={"reminders": [
        {"role": "speaker", "before_minutes": 30}, {"role": "speaker", "before_minutes": 4320},
        {"role": "participant", "before_minutes": 60}]}).json
    assert api.get(f"/api/meetings/{meeting['id']}").json == patched
    assert admin_api.get(f"/api/meetings/{meeting['id']}").json == patched
    assert other_api.get(f"/api/meetings/{meeting['id']}").status_code == 404
    published = api.post(f"/api/meetings/{meeting['id']}/sites", json={"name": "Main hall", "kind": "main"})
    assert published.status_code == 201
    published = api.post(f"/api/meetings/{meeting['id']}/publish").json
    assert published["published_at"] and api.get(f"/api/meetings/{meeting['id']}").json == published


def test_a_shared_meeting_reads_the_same_for_the_organizer_it_is_shared_with(api, other_api):
    from meetings.scheduling.services import share_meeting

    meeting = new_meeting(api).json
    assert other_api.get(f"/api/meetings/{meeting['id']}").status_code == 404
    share_meeting(db.session.get(Meeting, meeting["id"]), other_api.user)
    db.session.commit()
    assert other_api.get(f"/api/meetings/{meeting['id']}").json == api.get(f"/api/meetings/{meeting['id']}").json
