"""Sites: exactly one main venue, remote sites with their own zone, host and videoconference."""

import pytest

from meetings.extensions import db
from meetings.scheduling.models import Meeting, Site
from tests import factories
from tests.factories import future_day, wall


@pytest.fixture()
def meeting(api):
    return api.post("/api/meetings", json={"title": "Operation meeting", "start": wall(future_day(), 9),
                                           "end": wall(future_day(), 12), "timezone": "Asia/Shanghai"}).json


def sites_url(meeting):
    return f"/api/meetings/{meeting['id']}/sites"


def test_a_main_venue_and_remote_sites_are_listed_main_first(api, meeting):
    host = factories.person("Daan Bakker", email="Daan.Bakker@roof.example.nl", timezone="Europe/Amsterdam")
    remote = api.post(sites_url(meeting), json={
        "name": "Rotterdam room 2", "kind": "remote", "timezone": "Europe/Amsterdam", "location": "Waalhaven 12",
        "host_email": "daan.bakker@ROOF.example.nl", "vc": {"provider": "jitsi"}})
    assert remote.status_code == 201
    assert remote.json["host_email"] == host.email
    assert remote.json["timezone"] == "Europe/Amsterdam"
    assert remote.json["vc"] == {"provider": "jitsi"}
    main = api.post(sites_url(meeting), json={"name": "Main hall", "kind": "main", "location": "HQ 12F"}).json
    assert main["timezone"] == "Asia/Shanghai"  # the meeting's, when not given
    assert [s["name"] for s in api.get(sites_url(meeting)).json] == ["Main hall", "Rotterdam room 2"]


def test_a_second_main_venue_is_refused(api, meeting):
    api.post(sites_url(meeting), json={"name": "Main hall", "kind": "main"})
    response = api.post(sites_url(meeting), json={"name": "Other hall", "kind": "main"})
    assert response.status_code == 422
    assert "exactly one" in response.json["error"]["fields"]["kind"][0]
    site = api.post(sites_url(meeting), json={"name": "Remote", "kind": "remote"}).json
    response = api.patch(f"{sites_url(meeting)}/{site['id']}", json={"kind": "main"})
    assert response.status_code == 422
    assert db.session.query(Site).filter_by(kind="main").count() == 1


def test_the_database_itself_refuses_a_second_main_venue(api, meeting):
    """The rule holds even for a writer that skips the service (two racing requests)."""
    api.post(sites_url(meeting), json={"name": "Main hall", "kind": "main"})
    db.session.add(Site(meeting_id=meeting["id"], name="Sneaky", kind="main", timezone="UTC"))
    with pytest.raises(Exception) as error:
        db.session.flush()
    assert "unique" in str(error.value).lower()
    db.session.rollback()


@pytest.mark.parametrize("body, field", [
    ({"name": ""}, "name"),
    ({"name": "Room", "kind": "satellite"}, "kind"),
    ({"name": "Room", "timezone": "Europe/Rotterdam"}, "timezone"),
    ({"name": "Room", "host_email": "nobody@example.com"}, "host_email"),
    ({"name": "Room", "vc": {"provider": "skype"}}, "vc"),
    ({"name": "Room", "vc": {"provider": "url"}}, "vc"),
    ({"name": "Room", "vc": {"provider": "url", "url": "javascript:alert(1)"}}, "vc"),
])
def test_bad_sites_are_refused(api, meeting, body, field):
    response = api.post(sites_url(meeting), json=body)
    assert response.status_code == 422
    assert field in response.json["error"]["fields"]
    assert db.session.query(Site).count() == 0


def test_site_names_are_unique_within_a_meeting(api, meeting):
    api.post(sites_url(meeting), json={"name": "Room"})
    assert api.post(sites_url(meeting), json={"name": "Room"}).status_code == 422


def test_a_fixed_videoconference_link(api, meeting):
    site = api.post(sites_url(meeting), json={"name": "Zoom room", "vc": {
        "provider": "url", "url": "https://zoom.example.com/j/123"}}).json
    assert site["vc"] == {"provider": "url", "url": "https://zoom.example.com/j/123"}


def test_the_provider_defaults_to_the_app_setting(api, meeting):
    assert api.post(sites_url(meeting), json={"name": "Room"}).json["vc"] == {"provider": "jitsi"}


def test_each_meeting_gets_an_unguessable_conference_room(api, meeting):
    other = api.post("/api/meetings", json={"title": "Other", "start": wall(future_day(), 13),
                                            "end": wall(future_day(), 14), "timezone": "UTC"}).json
    rooms = [db.session.get(Meeting, m["id"]).vc_room for m in (meeting, other)]
    assert rooms[0] != rooms[1] and all(len(room) >= 24 for room in rooms)


def test_sites_can_be_changed_and_removed(api, meeting):
    site = api.post(sites_url(meeting), json={"name": "Room", "location": "3F"}).json
    changed = api.patch(f"{sites_url(meeting)}/{site['id']}", json={"location": "4F"}).json
    assert changed["location"] == "4F" and changed["name"] == "Room"
    assert api.delete(f"{sites_url(meeting)}/{site['id']}").status_code == 204
    assert api.get(sites_url(meeting)).json == []
    assert api.patch(f"{sites_url(meeting)}/{site['id']}", json={"location": "5F"}).status_code == 404


def test_a_published_meeting_keeps_its_main_venue(api, meeting):
    main = api.post(sites_url(meeting), json={"name": "Main hall", "kind": "main"}).json
    api.post(f"/api/meetings/{meeting['id']}/publish")
    assert api.delete(f"{sites_url(meeting)}/{main['id']}").status_code == 409
    assert api.patch(f"{sites_url(meeting)}/{main['id']}", json={"kind": "remote"}).status_code == 409


def test_a_site_of_another_meeting_is_not_found(api, meeting):
    other = api.post("/api/meetings", json={"title": "Other", "start": wall(future_day(), 13),
                                            "end": wall(future_day(), 14), "timezone": "UTC"}).json
    site = api.post(sites_url(other), json={"name": "Room"}).json
    assert api.patch(f"{sites_url(meeting)}/{site['id']}", json={"location": "x"}).status_code == 404
