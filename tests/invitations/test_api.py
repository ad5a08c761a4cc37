"""The invitations API: one person or a group, listed with their answers."""

import pytest

from tests import factories
from tests.factories import future_day, wall


@pytest.fixture()
def meeting(api):
    meeting = api.post("/api/meetings", json={"title": "Operation meeting", "start": wall(future_day(), 9),
                                              "end": wall(future_day(), 12), "timezone": "Asia/Shanghai"}).json
    api.post(f"/api/meetings/{meeting['id']}/sites", json={"name": "Main hall", "kind": "main"})
    return meeting


def url(meeting):
    return f"/api/meetings/{meeting['id']}/invitations"


def test_invite_one_person_by_email_and_list_them(api, meeting):
    person = factories.person("王伟", email="wang.wei@example.com", unit="Group HQ")
    response = api.post(url(meeting), json={"email": "Wang.Wei@example.com", "role": "chair"})
    assert response.status_code == 201
    [made] = response.json
    assert made["person"] == {"id": person.id, "name": "王伟", "email": "wang.wei@example.com", "unit": "Group HQ"}
    assert made["role"] == "chair" and made["mode"] == "in_person" and made["response"] == "needs-action"
    for name in ("responded_at", "delegated_to", "checked_in_at", "invited_at"):
        assert made[name] is None
    assert api.get(url(meeting)).json == [made]


def test_invite_by_person_id(api, meeting):
    person = factories.person()
    assert api.post(url(meeting), json={"person_id": person.id}).json[0]["person"]["id"] == person.id


def test_invite_a_group_by_tags_and_unit(api, meeting):
    leaders = [factories.person(f"Leader {n}", unit="HQ", tags=["vice-director-and-above"]) for n in range(3)]
    factories.person("Staff", unit="HQ", tags=["hq-staff"])
    factories.person("Elsewhere", unit="Plant", tags=["vice-director-and-above"])
    response = api.post(url(meeting), json={"tags": ["vice-director-and-above"], "unit": "HQ"})
    assert response.status_code == 201
    assert sorted(i["person"]["name"] for i in response.json) == [p.name for p in leaders]


@pytest.mark.parametrize("body, field", [
    ({}, "email"),
    ({"email": "nobody@example.com"}, "email"),
    ({"person_id": 999999}, "person_id"),
    ({"email": "x@example.com", "tags": ["a"]}, "email"),
    ({"tags": ["no-such-tag"]}, "tags"),
    ({"email": "p@example.com", "role": "king"}, "role"),
    ({"email": "p@example.com", "mode": "by-carrier-pigeon"}, "mode"),
    ({"email": "p@example.com", "site_id": 999999}, "site_id"),
])
def test_bad_invitations_are_refused(api, meeting, body, field):
    factories.person(email="p@example.com")
    response = api.post(url(meeting), json=body)
    assert response.status_code in (404, 422)
    assert field in response.json["error"]["fields"]
    assert api.get(url(meeting)).json == []


def test_change_and_remove_an_invitation(api, meeting):
    person = factories.person()
    [made] = api.post(url(meeting), json={"email": person.email, "role": "chair"}).json
    changed = api.patch(f"{url(meeting)}/{made['id']}", json={"role": "observer", "site_id": None}).json
    assert changed["role"] == "observer" and changed["mode"] == "online" and changed["site_id"] is None
    assert api.delete(f"{url(meeting)}/{made['id']}").status_code == 204
    assert api.get(url(meeting)).json == []
    assert api.patch(f"{url(meeting)}/{made['id']}", json={"role": "chair"}).status_code == 404


def test_other_organizers_cannot_see_or_invite(api, other_api, meeting):
    person = factories.person()
    assert other_api.get(url(meeting)).status_code == 404
    assert other_api.post(url(meeting), json={"email": person.email}).status_code == 404
