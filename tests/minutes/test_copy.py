"""The next meeting from the last: copied to a new date with its open actions to review; a series."""

import sqlalchemy as sa

from meetings.extensions import db
from meetings.invitations.models import Invitation
from meetings.outbox.models import OutboxMessage
from meetings.scheduling import services as scheduling
from tests import factories
from tests.minutes.conftest import content


def _publish_minutes(api, held, body=None):
    base = f"/api/meetings/{held.meeting.id}/minutes"
    api.client.put(base, json=body or content(held), headers={"Authorization": f"Bearer {api.token}"})
    api.post(base + "/submit")
    api.post(base + "/approve")
    assert api.post(base + "/publish", json={"audience": "invited"}).status_code == 200


def test_a_copy_moves_everything_but_answers_and_links_and_reviews_open_actions(held, api):
    remote = factories.person("Host", email="host@example.com", unit="Rotterdam Plant")
    scheduling_sites = __import__("meetings.scheduling.sites", fromlist=["add_site"])
    scheduling_sites.add_site(held.meeting, {"name": "Rotterdam", "kind": "remote", "timezone": "Europe/Amsterdam",
                                             "host_email": remote.email})
    scheduling.update_meeting(held.meeting, {"reminders": [{"role": "participant", "before_minutes": 30}]})
    db.session.commit()
    from meetings.invitations import answers

    answers.record_response(db.session.get(Invitation, factories.invite(held.meeting, held.bob).id), "accepted")
    db.session.commit()
    _publish_minutes(api, held, content(held, actions=[
        {"title": "Plan for the old line", "owner_email": "alice@example.com",
         "due": factories.future_day(7, 1).isoformat()},
        {"title": "Audit Shanghai", "owner_email": "bob@example.com", "due": factories.future_day(7, 2).isoformat()},
        {"title": "Closed already", "owner_email": "bob@example.com", "due": factories.future_day(7, 3).isoformat()}]))
    closed = [a for a in api.get("/api/actions").json if a["title"] == "Closed already"][0]
    api.patch(f"/api/actions/{closed['id']}", json={"status": "done"})
    start = factories.future_day(7, 10)
    copied = api.post(f"/api/meetings/{held.meeting.id}/copy",
                      json={"start": factories.wall(start, 9), "timezone": "Asia/Shanghai", "carry_open_actions": True})
    assert copied.status_code == 201, copied.json
    new = copied.json
    assert new["status"] == "draft" and new["title"] == "June operation meeting" and new["id"] != held.meeting.id
    assert new["start"].startswith(f"{start.isoformat()}T09:00")
    assert new["reminders"] == [{"role": "participant", "before_minutes": 30}] or \
        {"role": "participant", "before_minutes": 30} in new["reminders"]
    sites = api.get(f"/api/meetings/{new['id']}/sites").json
    assert [s["name"] for s in sites] == ["Main hall", "Rotterdam"] and sites[1]["host_email"] == "host@example.com"
    agenda = api.get(f"/api/meetings/{new['id']}/agenda").json
    assert [i["title"] for i in agenda] == ["Half-year report", "Measures",
                                            "Review of the open actions of the last meeting"]
    assert agenda[0]["start"].startswith(f"{start.isoformat()}T09:00")
    review = agenda[2]
    assert {s["email"] for s in review["speakers"]} == {"alice@example.com", "bob@example.com"}
    assert "Plan for the old line" in review["description"] and "Closed already" not in review["description"]
    invited = {i["person"]["email"]: i for i in api.get(f"/api/meetings/{new['id']}/invitations").json}
    assert set(invited) >= {"chair@example.com", "alice@example.com", "bob@example.com", "host@example.com"}
    assert invited["chair@example.com"]["role"] == "chair"
    assert all(i["response"] == "needs-action" for i in invited.values())  # no answers copied
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)
                             .where(OutboxMessage.meeting_id == new["id"])) == 0  # a draft sends nothing
    series = api.get(f"/api/meetings/{new['id']}/series").json
    assert [m["id"] for m in series["meetings"]] == [held.meeting.id, new["id"]]
    assert {a["title"] for a in series["open_actions"]} == {"Plan for the old line", "Audit Shanghai"}
    assert api.get(f"/api/meetings/{held.meeting.id}/series").json["id"] == series["id"]


def test_a_copy_without_carrying_actions_and_a_bad_start(held, api):
    _publish_minutes(api, held)
    bad = api.post(f"/api/meetings/{held.meeting.id}/copy", json={"start": "soon"})
    assert bad.status_code in (400, 422) and bad.json["error"]
    copied = api.post(f"/api/meetings/{held.meeting.id}/copy",
                      json={"start": factories.wall(factories.future_day(8, 1), 14), "carry_open_actions": False})
    assert copied.status_code == 201
    agenda = api.get(f"/api/meetings/{copied.json['id']}/agenda").json
    assert [i["title"] for i in agenda] == ["Half-year report", "Measures"]
    assert api.get(f"/api/meetings/{held.meeting.id + 999}/series").status_code == 404
