"""The minutes API: content, the rules, the states, the versions, the actions."""

from tests import factories
from tests.minutes.conftest import content


def url(held, tail=""):
    return f"/api/meetings/{held.meeting.id}/minutes{tail}"


def test_empty_minutes_are_a_draft_and_a_put_round_trips(held, api):
    first = api.get(url(held))
    assert first.status_code == 200
    assert first.json["state"] == "draft" and first.json["version"] == 0 and first.json["notes"] == []
    saved = api.client.put(url(held), json=content(held), headers={"Authorization": f"Bearer {api.token}"})
    assert saved.status_code == 200, saved.json
    body = api.get(url(held)).json
    assert [n["text"] for n in body["notes"]] == ["Revenue **up** 8%.\n- Rotterdam on target", "Measures agreed."]
    assert body["decisions"] == [{"text": "Close the old line by Q4.", "agenda_item_id": held.discussion.id}]
    [action] = body["actions"]
    assert action["title"] == "Plan for the old line" and action["status"] == "open"
    assert action["owner"]["email"] == "alice@example.com" and action["owner"]["unit"] == "Rotterdam Plant"
    assert isinstance(action["id"], int)
    # Sent back as it came (with ids and states), it changes nothing.
    again = api.client.put(url(held), json=body, headers={"Authorization": f"Bearer {api.token}"})
    assert again.status_code == 200 and again.json["actions"][0]["id"] == action["id"]


def put(api, held, body):
    return api.client.put(url(held), json=body, headers={"Authorization": f"Bearer {api.token}"})


def test_an_owner_must_be_invited_or_in_a_unit(held, api):
    ok = put(api, held, content(held, actions=[{"title": "T", "owner_email": "bob@example.com",
                                                 "due": factories.future_day(7, 1).isoformat()}]))
    assert ok.status_code == 200  # Bob is not invited but belongs to a unit of the group
    refused = put(api, held, content(held, actions=[{"title": "T", "owner_email": "loner@example.com",
                                                      "due": factories.future_day(7, 1).isoformat()}]))
    assert refused.status_code == 422
    assert "actions.0.owner_email" in refused.json["error"]["fields"]
    unknown = put(api, held, content(held, actions=[{"title": "T", "owner_email": "nobody@example.com",
                                                      "due": factories.future_day(7, 1).isoformat()}]))
    assert unknown.status_code == 422 and "actions.0.owner_email" in unknown.json["error"]["fields"]


def test_a_due_date_before_the_meeting_is_refused(held, api):
    response = put(api, held, content(held, due=factories.future_day(6, 9).isoformat()))
    assert response.status_code == 422
    assert "before the meeting" in response.json["error"]["fields"]["actions.0.due"][0]
    assert put(api, held, content(held, due=factories.future_day(6, 10).isoformat())).status_code == 200
    assert put(api, held, content(held, due="next week")).status_code == 422


def test_an_agenda_item_of_another_meeting_is_refused(held, api):
    other = factories.meeting(api.user, title="Other")
    item = factories.agenda_item(other)
    body = content(held)
    body["notes"][0]["agenda_item_id"] = item.id
    response = put(api, held, body)
    assert response.status_code == 422 and "notes.0.agenda_item_id" in response.json["error"]["fields"]


def test_only_the_approver_approves(held, api, other_api, admin_api):
    assert put(api, held, content(held)).status_code == 200
    assert api.post(url(held, "/submit")).json["state"] == "submitted"
    # Another organizer does not even see the meeting; an admin sees it but is not the approver.
    assert other_api.post(url(held, "/approve")).status_code == 404
    refused = admin_api.post(url(held, "/approve"))
    assert refused.status_code == 403 and api.user.email in refused.json["error"]["message"]
    approved = api.post(url(held, "/approve"))
    assert approved.status_code == 200 and approved.json["state"] == "approved"
    assert approved.json["approved_by"] == api.user.email


def test_the_owner_may_name_the_chair_who_then_is_the_only_approver(held, api):
    named = api.client.put(url(held, "/approver"), json={"approver": "chair"},
                           headers={"Authorization": f"Bearer {api.token}"})
    assert named.status_code == 200 and named.json["approver"] == {"kind": "chair", "email": "chair@example.com"}
    api.post(url(held, "/submit"))
    assert api.post(url(held, "/approve")).status_code == 403  # the owner no longer approves


def test_a_published_version_is_never_edited_in_place_and_a_correction_is_a_new_version(held, api, smtp):
    put(api, held, content(held))
    api.post(url(held, "/submit"))
    api.post(url(held, "/approve"))
    published = api.post(url(held, "/publish"), json={"audience": "invited"})
    assert published.status_code == 200, published.json
    assert published.json["state"] == "published" and published.json["version"] == 1
    assert put(api, held, content(held)).status_code == 409
    assert api.post(url(held, "/submit")).status_code == 409
    reopened = api.post(url(held, "/reopen"), json={"reason": "Wrong quarter"})
    assert reopened.json["state"] == "draft"
    body = content(held)
    body["decisions"][0]["text"] = "Close the old line by Q3."
    assert put(api, held, body).status_code == 200
    api.post(url(held, "/submit"))
    api.post(url(held, "/approve"))
    second = api.post(url(held, "/publish"), json={"audience": "invited"}).json
    assert second["version"] == 2
    changes = second["versions"][1]["changes"]
    assert {"kind": "reason", "text": "Wrong quarter"} in changes
    assert {"kind": "decision_added", "text": "Close the old line by Q3."} in changes
    assert {"kind": "decision_removed", "text": "Close the old line by Q4."} in changes
    assert second["versions"][0]["changes"] == []


def test_publishing_needs_approval_and_a_known_audience(held, api):
    put(api, held, content(held))
    assert api.post(url(held, "/publish"), json={}).status_code == 409
    api.post(url(held, "/submit"))
    api.post(url(held, "/approve"))
    assert api.post(url(held, "/publish"), json={"audience": "everyone"}).status_code == 422


def test_actions_are_listed_and_followed_up(held, api, other_api):
    put(api, held, content(held))
    assert api.get("/api/actions").json == []  # not published yet
    api.post(url(held, "/submit"))
    api.post(url(held, "/approve"))
    api.post(url(held, "/publish"), json={"audience": "invited"})
    [action] = api.get("/api/actions?status=open").json
    assert action["overdue"] is False
    assert api.get("/api/actions?owner=alice@example.com").json[0]["id"] == action["id"]
    assert api.get("/api/actions?unit=Rotterdam Plant").json[0]["id"] == action["id"]
    assert api.get("/api/actions?unit=Shanghai Works").json == []
    assert api.get(f"/api/actions?meeting={held.meeting.id}&overdue=1").json == []
    assert other_api.get("/api/actions").json == []
    assert other_api.patch(f"/api/actions/{action['id']}", json={"status": "done"}).status_code == 404
    too_early = api.patch(f"/api/actions/{action['id']}", json={"due": factories.future_day(5, 1).isoformat()})
    assert too_early.status_code == 422 and "due" in too_early.json["error"]["fields"]
    progress = api.patch(f"/api/actions/{action['id']}", json={"progress": "Half done"})
    assert progress.json["progress"] == "Half done"
    done = api.patch(f"/api/actions/{action['id']}", json={"status": "done"})
    assert done.json["status"] == "done" and done.json["done_at"]
    assert api.get("/api/actions?status=open").json == []
    assert api.get("/api/actions?status=done").json[0]["id"] == action["id"]
    assert api.patch(f"/api/actions/{action['id']}", json={"progress": "more"}).status_code == 409


def test_the_audience_narrows_by_role_and_the_owners_always_get_theirs(held, api):
    import sqlalchemy as sa

    from meetings.extensions import db
    from meetings.outbox.models import OutboxMessage

    factories.invite(held.meeting, factories.person("Watcher", email="watcher@example.com"), "observer")
    put(api, held, content(held))
    api.post(url(held, "/submit"))
    api.post(url(held, "/approve"))
    assert api.post(url(held, "/publish"), json={"audience": "invited", "roles": ["chair"]}).status_code == 200
    people = set(db.session.scalars(sa.select(OutboxMessage.person_id).where(OutboxMessage.kind == "minutes")))
    assert people == {held.chair.id, held.alice.id}  # the chair by role, Alice as an action's owner
    assert api.post(url(held, "/reopen")).status_code == 200
    api.post(url(held, "/submit"))
    api.post(url(held, "/approve"))
    assert api.post(url(held, "/publish"), json={"audience": "attended", "roles": ["ruler"]}).status_code == 422


def test_an_action_left_out_of_a_correction_is_dropped_not_deleted(held, api):
    put(api, held, content(held))
    api.post(url(held, "/submit"))
    api.post(url(held, "/approve"))
    api.post(url(held, "/publish"), json={})
    api.post(url(held, "/reopen"), json={"reason": "Action withdrawn"})
    assert put(api, held, content(held, actions=[])).json["actions"] == []
    [dropped] = api.get("/api/actions?status=cancelled").json
    assert dropped["title"] == "Plan for the old line"
    api.post(url(held, "/submit"))
    api.post(url(held, "/approve"))
    changes = api.post(url(held, "/publish"), json={}).json["versions"][1]["changes"]
    assert {"kind": "action_removed", "text": "Plan for the old line"} in changes


def test_a_published_version_cannot_be_changed_even_from_the_code(held, api):
    import pytest
    import sqlalchemy as sa

    from meetings.extensions import db
    from meetings.minutes.models import MinutesVersion

    put(api, held, content(held))
    api.post(url(held, "/submit"))
    api.post(url(held, "/approve"))
    api.post(url(held, "/publish"), json={})
    version = db.session.scalar(sa.select(MinutesVersion))
    version.content = {"notes": []}
    with pytest.raises(ValueError, match="never changed"):
        db.session.flush()
    db.session.rollback()
