"""Publishing emails the minutes (one per reader, in their language, their actions on top); the
chair approves from an emailed link; an owner reports from theirs."""

import re

import sqlalchemy as sa

from meetings.extensions import db
from meetings.minutes.models import ActionItem, ActionUpdate, Minutes
from meetings.outbox.models import OutboxMessage
from tests import factories
from tests.minutes.conftest import content


def _put(api, held, body):
    return api.client.put(f"/api/meetings/{held.meeting.id}/minutes", json=body,
                          headers={"Authorization": f"Bearer {api.token}"})


def _through(api, held, *, approver=None):
    base = f"/api/meetings/{held.meeting.id}/minutes"
    assert _put(api, held, content(held)).status_code == 200
    if approver:
        api.client.put(base + "/approver", json={"approver": approver}, headers={"Authorization": f"Bearer {api.token}"})
    assert api.post(base + "/submit").status_code == 200
    return base


def _mail_to(smtp, address):
    """What ``address`` got, but the meeting's invites (those carry a calendar)."""
    return [m.message for m in smtp.messages if address in m.rcpt_tos
            and not any(part.get_content_type() == "text/calendar" for part in m.message.walk())]


def _link(message, path):
    text = message.get_body(("plain",)).get_content()
    found = re.search(r"https?://[^\s]+" + path + r"[A-Za-z0-9_-]+", text)
    assert found, text
    return found.group(0)


def test_publishing_mails_each_reader_once_in_their_language_with_their_actions_on_top(held, api, smtp):
    base = _through(api, held)
    api.post(base + "/approve")
    assert api.post(base + "/publish", json={"audience": "invited"}).status_code == 200
    keys = db.session.scalars(sa.select(OutboxMessage.key).where(OutboxMessage.kind == "minutes")).all()
    assert len(keys) == len(set(keys)) == 2  # the chair and Alice (owner and invited): one row each
    factories.deliver()
    smtp.mailbox.wait_for(4)
    [alice] = _mail_to(smtp, "alice@example.com")
    [chair] = _mail_to(smtp, "chair@example.com")
    assert alice["Subject"] == "Minutes of June operation meeting"
    text = alice.get_body(("plain",)).get_content()
    assert text.index("Your actions") < text.index("Decisions") < text.index("Attendance")
    assert "Plan for the old line" in text and "/actions/link/" in text
    assert "Close the old line by Q4." in text
    assert "纪要" in chair["Subject"] or "会议纪要" in chair["Subject"]
    assert "/actions/link/" not in chair.get_body(("plain",)).get_content()
    factories.deliver()  # nothing goes twice
    assert len(_mail_to(smtp, "alice@example.com") + _mail_to(smtp, "chair@example.com")) == 2


def test_the_chair_approves_from_the_emailed_link_on_get_nothing_changes(held, api, client, smtp):
    base = _through(api, held, approver="chair")
    factories.deliver()
    smtp.mailbox.wait_for(3)
    [mail] = _mail_to(smtp, "chair@example.com")
    url = _link(mail, "/minutes/approve/").replace("http://localhost", "")
    path = "/" + url.split("/", 3)[3]
    page = client.get(path)
    assert page.status_code == 200 and page.headers["Referrer-Policy"] == "no-referrer"
    assert db.session.scalar(sa.select(Minutes.state)) == "submitted"
    done = client.post(path)
    assert done.status_code == 303
    assert db.session.scalar(sa.select(Minutes.state)) == "approved"
    assert db.session.scalar(sa.select(Minutes.approved_by)) == "chair@example.com"
    assert client.get(path + "x").status_code == 404
    assert api.post(base + "/publish", json={"audience": "attended"}).status_code == 200


def test_an_owner_reports_progress_asks_for_time_and_says_done_by_link(held, api, client, smtp):
    base = _through(api, held)
    api.post(base + "/approve")
    api.post(base + "/publish", json={"audience": "invited"})
    factories.deliver()
    smtp.mailbox.wait_for(4)
    [mail] = _mail_to(smtp, "alice@example.com")
    path = "/" + _link(mail, "/actions/link/").split("/", 3)[3]
    assert client.get(path).status_code == 200
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ActionUpdate)) == 0
    assert client.post(path, data={"do": "progress", "text": ""}).status_code == 422
    assert client.post(path, data={"do": "progress", "text": "Half of it"}).status_code == 303
    later = factories.future_day(9, 1).isoformat()
    assert client.post(path, data={"do": "extend", "due": later, "text": "Supplier late"}).status_code == 303
    action = db.session.scalar(sa.select(ActionItem))
    assert action.progress == "Half of it" and action.requested_due_on.isoformat() == later
    approved = api.patch(f"/api/actions/{action.id}", json={"extension": "approve"})
    assert approved.json["due"] == later and approved.json["requested_due"] is None
    assert client.post(path, data={"do": "done", "text": "Plan written"}).status_code == 303
    assert api.get("/api/actions").json[0]["status"] == "done_reported"
    assert api.patch(f"/api/actions/{action.id}", json={"status": "done"}).json["status"] == "done"
    page = client.get(path)
    assert "Plan written" in page.text and 'id="report-progress"' not in page.text


def test_the_chair_confirms_a_reported_done_action_from_the_emailed_link(held, api, client, smtp):
    base = _through(api, held)
    api.post(base + "/approve")
    api.post(base + "/publish", json={"audience": "invited"})
    factories.deliver()
    smtp.mailbox.wait_for(4)
    [mail] = _mail_to(smtp, "alice@example.com")
    owner_path = "/" + _link(mail, "/actions/link/").split("/", 3)[3]
    assert client.post(owner_path, data={"do": "done", "text": "Plan written"}).status_code == 303
    factories.deliver()
    smtp.mailbox.wait_for(5)
    confirm = [m for m in _mail_to(smtp, "chair@example.com") if "/actions/confirm/" in
               m.get_body(("plain",)).get_content()]
    assert len(confirm) == 1 and "请确认" in confirm[0]["Subject"]
    path = "/" + _link(confirm[0], "/actions/confirm/").split("/", 3)[3]
    assert client.get(path).status_code == 200
    assert api.get("/api/actions").json[0]["status"] == "done_reported"  # GET changed nothing
    assert client.post(path, data={"decision": "confirm"}).status_code == 303
    assert api.get("/api/actions").json[0]["status"] == "done"
    assert "id=\"confirm-done\"" not in client.get(path).text


def test_an_owner_attaches_evidence_from_the_link_and_organizers_download_it(held, api, client, smtp, monkeypatch):
    import io

    from meetings.minutes import evidence

    base = _through(api, held)
    api.post(base + "/approve")
    api.post(base + "/publish", json={"audience": "invited"})
    factories.deliver()
    smtp.mailbox.wait_for(4)
    [mail] = _mail_to(smtp, "alice@example.com")
    path = "/" + _link(mail, "/actions/link/").split("/", 3)[3]
    empty = client.post(path, data={"do": "evidence", "file": (io.BytesIO(b""), "plan.pdf")},
                        content_type="multipart/form-data")
    assert empty.status_code == 422
    monkeypatch.setattr(evidence, "MAX_BYTES", 12)  # the bound, made small enough to post past it here
    too_big = client.post(path, data={"do": "evidence", "file": (io.BytesIO(b"x" * 13), "big.bin")},
                          content_type="multipart/form-data")
    assert too_big.status_code == 422
    monkeypatch.undo()
    sent = client.post(path, data={"do": "evidence", "file": (io.BytesIO(b"%PDF-1.4 plan"), "..\\关停方案.pdf")},
                       content_type="multipart/form-data")
    assert sent.status_code == 303
    [listed] = api.get("/api/actions").json[0]["evidence"]
    assert listed["filename"] == "关停方案.pdf" and listed["size"] == 13
    own = client.get(f"{path}/evidence/{listed['id']}")
    assert own.data == b"%PDF-1.4 plan" and own.mimetype == "application/octet-stream"
    assert "attachment" in own.headers["Content-Disposition"]
    assert client.get(f"{path}/evidence/{listed['id'] + 1}").status_code == 404
    from tests.test_pages import login

    action_id = api.get("/api/actions").json[0]["id"]
    assert client.get(f"/actions/{action_id}/evidence/{listed['id']}").status_code == 302  # sign in first
    login(client, api.user.email, "correct horse battery")
    assert client.get(f"/actions/{action_id}/evidence/{listed['id']}").data == b"%PDF-1.4 plan"
    assert "关停方案.pdf" in client.get("/actions").text
