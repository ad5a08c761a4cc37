"""The audit log of organizer actions, and API tokens that can be listed and revoked."""

import pytest

from meetings.accounts.models import AuditEvent
from meetings.extensions import db
from tests import factories
from tests.factories import future_day, wall
from tests.manage.conftest import sign_in


def actions():
    db.session.expire_all()
    return [(e.actor, e.action) for e in db.session.query(AuditEvent).order_by(AuditEvent.id)]


def test_what_organizers_do_is_logged_with_who_did_it(api, admin_api):
    meeting = api.post("/api/meetings", json={"title": "Audited", "start": wall(future_day(), 9),
                                              "end": wall(future_day(), 12), "timezone": "UTC"}).json
    api.post(f"/api/meetings/{meeting['id']}/sites", json={"name": "Hall", "kind": "main"})
    person = factories.person()
    api.post(f"/api/meetings/{meeting['id']}/invitations", json={"email": person.email})
    api.post(f"/api/meetings/{meeting['id']}/publish")
    api.post(f"/api/meetings/{meeting['id']}/cancel")
    who = api.user.email
    assert [a for a in actions() if a[0] == who] == [
        (who, "meeting.created"), (who, "meeting.changed"), (who, "invitation.added"),
        (who, "meeting.published"), (who, "meeting.cancelled")]
    log = admin_api.get(f"/api/audit?meeting_id={meeting['id']}").json
    assert [e["action"] for e in log][:2] == ["meeting.cancelled", "meeting.published"]
    assert log[0]["details"]["meeting"] == "Audited" and log[0]["actor"] == who
    assert api.get("/api/audit").status_code == 403


def test_only_admins_see_the_audit_page(client):
    organizer = sign_in(client, "not-admin@example.com")
    assert organizer.get("/admin/audit").status_code == 403
    admin = sign_in(client.application.test_client(), "boss@example.com", role="admin")
    assert "Audit log" in admin.get("/admin/audit").text


def test_tokens_are_listed_issued_and_revoked(api, admin_api, client):
    issued = api.post("/api/tokens", json={"name": "mail gateway"})
    assert issued.status_code == 201
    new_token = issued.json["token"]
    listed = api.get("/api/tokens").json
    assert {t["name"] for t in listed} == {"tests", "mail gateway"}
    assert all("token" not in t for t in listed)
    other = client.get("/api/tokens", headers={"Authorization": f"Bearer {new_token}"})
    assert other.status_code == 200
    assert api.delete(f"/api/tokens/{issued.json['id']}").status_code == 204
    assert client.get("/api/tokens", headers={"Authorization": f"Bearer {new_token}"}).status_code == 401
    mine = next(t["id"] for t in api.get("/api/tokens").json if t["name"] == "tests")
    assert admin_api.get("/api/tokens?all=1").status_code == 200
    assert len(admin_api.get("/api/tokens?all=1").json) >= 3
    assert admin_api.delete(f"/api/tokens/{mine}").status_code == 204  # an admin may revoke anyone's
    assert api.get("/api/tokens").status_code == 401


@pytest.mark.parametrize("name", ["nul\x00byte", "two\nlines", "x" * 101])
def test_a_bad_token_name_is_refused_and_no_token_is_made(api, name):
    before = len(api.get("/api/tokens").json)
    answer = api.post("/api/tokens", json={"name": name})
    assert answer.status_code == 422  # PostgreSQL refuses NUL bytes and over-long text: never a 500
    assert "name" in answer.json["error"]["fields"]
    assert len(api.get("/api/tokens").json) == before


def test_an_organizer_cannot_revoke_someone_elses_token(api, other_api):
    theirs = other_api.get("/api/tokens").json[0]["id"]
    assert api.delete(f"/api/tokens/{theirs}").status_code == 404
    assert other_api.get("/api/tokens").status_code == 200


def test_the_tokens_page_shows_a_new_token_once(client):
    browser = sign_in(client, "tokens@example.com")
    made = browser.post("/account/tokens", {"name": "laptop"})
    assert 'id="new-token"' in made.text
    assert 'id="new-token"' not in browser.get("/account/tokens").text
    assert "laptop" in browser.get("/account/tokens").text
