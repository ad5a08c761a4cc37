"""The agenda: items inside the meeting and never overlapping, speaker slots that fit, and
speakers who are never in two places at once."""

import pytest

from meetings.extensions import db
from meetings.scheduling.models import AgendaItem, SpeakerSlot
from tests import factories
from tests.factories import NEXT_YEAR, future_day, wall


@pytest.fixture()
def meeting(api):
    return api.post("/api/meetings", json={"title": "Operation meeting", "start": wall(future_day(), 9),
                                           "end": wall(future_day(), 12), "timezone": "Asia/Shanghai"}).json


@pytest.fixture()
def speakers():
    return [factories.person(f"Speaker {n}", email=f"speaker{n}@example.com") for n in range(1, 5)]


def agenda_url(meeting):
    return f"/api/meetings/{meeting['id']}/agenda"


def add(api, meeting, **body):
    return api.post(agenda_url(meeting), json=body)


def test_a_speech_block_lays_out_its_speakers_in_order(api, meeting, speakers):
    response = add(api, meeting, title="Speeches", kind="speech", start=wall(future_day(), 10), duration_minutes=45,
                   speakers=[{"email": s.email, "topic": f"Topic {i}", "minutes": 15}
                             for i, s in enumerate(speakers[:3])])
    assert response.status_code == 201, response.json
    item = response.json
    assert item["end"] == f"{NEXT_YEAR}-06-10T10:45:00+08:00"
    assert [(s["name"], s["start"][11:16], s["minutes"]) for s in item["speakers"]] == [
        ("Speaker 1", "10:00", 15), ("Speaker 2", "10:15", 15), ("Speaker 3", "10:30", 15)]


def test_items_without_a_start_follow_the_last_one_and_default_their_length(api, meeting, speakers):
    first = add(api, meeting, title="Opening", duration_minutes=10).json
    second = add(api, meeting, title="Report", speakers=[{"email": speakers[0].email, "minutes": 25}]).json
    assert first["start"] == f"{NEXT_YEAR}-06-10T09:00:00+08:00"
    assert second["start"] == f"{NEXT_YEAR}-06-10T09:10:00+08:00"
    assert second["duration_minutes"] == 25 and second["kind"] == "speech"


def test_the_list_is_in_time_order(api, meeting):
    add(api, meeting, title="Late", start=wall(future_day(), 11), duration_minutes=30)
    add(api, meeting, title="Early", start=wall(future_day(), 9), duration_minutes=30)
    assert [i["title"] for i in api.get(agenda_url(meeting)).json] == ["Early", "Late"]


def test_a_start_may_be_given_in_another_zone(api, meeting):
    item = add(api, meeting, title="From Rotterdam", start=wall(future_day(), 4), timezone="Europe/Amsterdam",
               duration_minutes=30).json
    assert item["start"] == f"{NEXT_YEAR}-06-10T10:00:00+08:00"


@pytest.mark.parametrize("body, field, words", [
    ({"start": wall(future_day(), 8, 30), "duration_minutes": 60}, "start", "within the meeting"),
    ({"start": wall(future_day(), 11, 30), "duration_minutes": 60}, "start", "within the meeting"),
    ({"start": wall(future_day(), 9), "duration_minutes": 0}, "duration_minutes", "at least 1"),
    ({"start": wall(future_day(), 9)}, "duration_minutes", "needed"),
    ({"start": wall(future_day(), 9), "duration_minutes": 30, "kind": "lunch"}, "kind", "one of"),
    ({"start": wall(future_day(), 9), "duration_minutes": 30, "timezone": "Nowhere/City"}, "timezone", "IANA"),
])
def test_bad_items_are_refused(api, meeting, body, field, words):
    response = add(api, meeting, title="Item", **body)
    assert response.status_code == 422
    assert words in " ".join(response.json["error"]["fields"][field])
    assert db.session.query(AgendaItem).count() == 0


def test_items_never_overlap_but_may_touch(api, meeting):
    add(api, meeting, title="Report", start=wall(future_day(), 9), duration_minutes=60)
    overlapping = add(api, meeting, title="Speech", start=wall(future_day(), 9, 30), duration_minutes=30)
    assert overlapping.status_code == 422
    assert "overlaps 'Report'" in overlapping.json["error"]["message"]
    assert add(api, meeting, title="Speech", start=wall(future_day(), 10), duration_minutes=30).status_code == 201


def test_speakers_must_fit_inside_their_item(api, meeting, speakers):
    response = add(api, meeting, title="Speeches", duration_minutes=20,
                   speakers=[{"email": s.email, "minutes": 15} for s in speakers[:2]])
    assert response.status_code == 422
    assert "need 30 minutes" in response.json["error"]["fields"]["speakers"][0]
    assert db.session.query(SpeakerSlot).count() == 0


@pytest.mark.parametrize("speaker, words", [
    ({"email": "stranger@example.com", "minutes": 10}, "No one with the email"),
    ({"email": "speaker1@example.com"}, "Missing data"),
    ({"email": "speaker1@example.com", "minutes": -5}, "at least 1"),
    ({"email": "speaker1@example.com", "minutes": "ten"}, "integer"),
])
def test_bad_speakers_are_refused(api, meeting, speakers, speaker, words):
    response = add(api, meeting, title="Speeches", duration_minutes=30, speakers=[speaker])
    assert response.status_code == 422
    assert words in response.json["error"]["message"]


def test_a_break_has_no_speakers(api, meeting, speakers):
    response = add(api, meeting, title="Tea", kind="break", duration_minutes=15,
                   speakers=[{"email": speakers[0].email, "minutes": 10}])
    assert response.status_code == 422


def test_a_speaker_is_never_in_two_meetings_at_once(api, other_api, meeting, speakers):
    add(api, meeting, title="Talk", start=wall(future_day(), 10), duration_minutes=30,
        speakers=[{"email": speakers[0].email, "minutes": 30}])
    other = other_api.post("/api/meetings", json={"title": "Other", "start": wall(future_day(), 8),
                                                  "end": wall(future_day(), 11), "timezone": "Asia/Shanghai"}).json
    clash = add(other_api, other, title="Also a talk", start=wall(future_day(), 10, 15), duration_minutes=30,
                speakers=[{"email": speakers[0].email, "minutes": 30}])
    assert clash.status_code == 422
    assert "Speaker 1 already speaks in another meeting from" in clash.json["error"]["message"]
    assert "Other" not in clash.json["error"]["message"]  # nothing about a meeting they may not see
    fine = add(other_api, other, title="Earlier talk", start=wall(future_day(), 9, 30), duration_minutes=30,
               speakers=[{"email": speakers[0].email, "minutes": 30}])
    assert fine.status_code == 201


def test_a_cancelled_meeting_frees_its_speakers(api, meeting, speakers):
    add(api, meeting, title="Talk", start=wall(future_day(), 10), duration_minutes=30,
        speakers=[{"email": speakers[0].email, "minutes": 30}])
    api.post(f"/api/meetings/{meeting['id']}/cancel")
    other = api.post("/api/meetings", json={"title": "Replacement", "start": wall(future_day(), 9),
                                            "end": wall(future_day(), 12), "timezone": "Asia/Shanghai"}).json
    assert add(api, other, title="Talk", start=wall(future_day(), 10), duration_minutes=30,
               speakers=[{"email": speakers[0].email, "minutes": 30}]).status_code == 201


def test_one_speaker_may_speak_twice_in_one_block(api, meeting, speakers):
    response = add(api, meeting, title="Q&A", duration_minutes=30,
                   speakers=[{"email": speakers[0].email, "minutes": 10}, {"email": speakers[1].email, "minutes": 10},
                             {"email": speakers[0].email, "minutes": 10}])
    assert response.status_code == 201


def test_patch_moves_an_item_with_its_speakers_and_replaces_them(api, meeting, speakers):
    item = add(api, meeting, title="Speeches", start=wall(future_day(), 9), duration_minutes=30,
               speakers=[{"email": speakers[0].email, "minutes": 15}, {"email": speakers[1].email, "minutes": 15}]).json
    url = f"{agenda_url(meeting)}/{item['id']}"
    moved = api.patch(url, json={"start": wall(future_day(), 11)}).json
    assert [s["start"][11:16] for s in moved["speakers"]] == ["11:00", "11:15"]
    reordered = api.patch(url, json={"speakers": [{"email": speakers[1].email, "minutes": 20},
                                                   {"email": speakers[0].email, "minutes": 10}]}).json
    assert [(s["name"], s["start"][11:16]) for s in reordered["speakers"]] == [("Speaker 2", "11:00"),
                                                                              ("Speaker 1", "11:20")]
    assert db.session.query(SpeakerSlot).count() == 2


def test_a_refused_patch_changes_nothing(api, meeting, speakers):
    add(api, meeting, title="First", start=wall(future_day(), 9), duration_minutes=60)
    item = add(api, meeting, title="Second", start=wall(future_day(), 10), duration_minutes=30,
               speakers=[{"email": speakers[0].email, "minutes": 30}]).json
    response = api.patch(f"{agenda_url(meeting)}/{item['id']}", json={
        "title": "Renamed", "start": wall(future_day(), 9, 30),
        "speakers": [{"email": speakers[1].email, "minutes": 30}]})
    assert response.status_code == 422
    after = api.get(agenda_url(meeting)).json[1]
    assert after["title"] == "Second" and after["start"] == item["start"]
    assert [s["name"] for s in after["speakers"]] == ["Speaker 1"]


def test_items_can_be_removed(api, meeting):
    item = add(api, meeting, title="Item", duration_minutes=30).json
    assert api.delete(f"{agenda_url(meeting)}/{item['id']}").status_code == 204
    assert api.get(agenda_url(meeting)).json == []
    assert api.delete(f"{agenda_url(meeting)}/{item['id']}").status_code == 404
