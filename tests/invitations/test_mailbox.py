"""Replies that reach the organizer mailbox are read over IMAP (a real server: pymap)."""

import imaplib
import os
import socket
import subprocess
import sys
import time
from datetime import datetime, timezone
from email.message import EmailMessage

import pytest

from meetings.extensions import db
from meetings.invitations import ical, mailbox
from meetings.invitations.models import Invitation
from tests import factories

USER, PASSWORD = "meetings@example.com", "mailbox-password"


@pytest.fixture(scope="module")
def imap_server():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    pymap = os.path.join(os.path.dirname(sys.executable), "pymap")
    process = subprocess.Popen([pymap, "--host", "127.0.0.1", "--port", str(port), "--no-tls", "dict",
                                "--demo-user", USER, "--demo-password", PASSWORD],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                pytest.fail("the pymap IMAP server did not start")
            time.sleep(0.1)
    yield port
    process.terminate()
    process.wait(10)


@pytest.fixture()
def configured(app, imap_server, monkeypatch):
    for name, value in {"IMAP_HOST": "127.0.0.1", "IMAP_PORT": imap_server, "IMAP_USE_SSL": False,
                        "IMAP_USERNAME": USER, "IMAP_PASSWORD": PASSWORD, "IMAP_FOLDER": "INBOX"}.items():
        monkeypatch.setitem(app.config, name, value)
    client = imaplib.IMAP4("127.0.0.1", imap_server)
    client.login(USER, PASSWORD)
    client.select("INBOX")
    _, data = client.search(None, "ALL")
    for number in (data[0] or b"").split():
        client.store(number, "+FLAGS", "\\Deleted")
    client.expunge()
    yield client
    client.logout()


def deliver_to_mailbox(client, *, calendar: bytes | None, subject="Accepted: Operation meeting", attach=False):
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "sanne@example.nl", USER, subject
    message.set_content("Sanne Jansen has accepted.")
    if calendar is not None:
        if attach:
            message.add_attachment(calendar, maintype="application", subtype="ics", filename="invite.ics")
        else:
            message.add_alternative(calendar.decode(), subtype="calendar", params={"method": "REPLY"})
    client.append("INBOX", None, None, message.as_bytes())


def reply(meeting, partstat):
    attendee = ical.Attendee(email="sanne@example.nl", name="Sanne Jansen", ical_role="REQ-PARTICIPANT",
                             partstat=partstat)
    return ical.build_reply(meeting.uid, meeting.sequence, datetime.now(timezone.utc), attendee,
                            "meetings@example.com")


@pytest.fixture()
def invitation(api):
    meeting = factories.meeting(api.user)
    invitation = factories.invite(meeting, factories.person("Sanne Jansen", email="sanne@example.nl"))
    factories.publish(meeting)
    return invitation


def test_replies_in_the_mailbox_are_applied_and_marked_read(configured, invitation):
    meeting = invitation.meeting
    deliver_to_mailbox(configured, calendar=reply(meeting, "ACCEPTED"))
    deliver_to_mailbox(configured, calendar=None, subject="Out of office")
    deliver_to_mailbox(configured, calendar=reply(meeting, "DECLINED").replace(meeting.uid.encode(),
                                                                                b"unknown@example.com"))
    stats = mailbox.read_replies()
    assert (stats.messages, stats.applied) == (3, 1)
    assert stats.refused == ["No meeting has this calendar UID."]
    db.session.expire_all()
    assert db.session.get(Invitation, invitation.id).response == "accepted"
    assert configured.search(None, "UNSEEN")[1] == [b""]
    assert mailbox.read_replies().messages == 0  # read once, not on every run


def test_a_reply_attached_as_a_file_counts_too(configured, invitation):
    deliver_to_mailbox(configured, calendar=reply(invitation.meeting, "DECLINED"), attach=True)
    assert mailbox.read_replies().applied == 1
    db.session.expire_all()
    assert db.session.get(Invitation, invitation.id).response == "declined"


def test_without_a_mailbox_nothing_happens(app):
    assert app.config["IMAP_HOST"] is None
    assert mailbox.read_replies().messages == 0


def deliver_raw(client, message):
    client.append("INBOX", None, None, message.as_bytes())


def mailed_reply(meeting, partstat, *, sender, return_path=None):
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, USER, f"{partstat}: Operation meeting"
    if return_path is not None:
        message["Return-Path"] = return_path
    message.set_content("An answer.")
    message.add_alternative(reply(meeting, partstat).decode(), subtype="calendar", params={"method": "REPLY"})
    return message


def test_a_reply_is_applied_only_when_its_sender_is_the_attendee(configured, invitation, api, other_api):
    meeting = invitation.meeting
    for sender, return_path in (("mallory@example.com", None),  # anyone who saw an invite knows the UID
                                ("Sanne Jansen <sanne@example.nl>, mallory@example.com", None),
                                ("Sanne Jansen <sanne@example.nl>", "<mallory@example.com>")):
        deliver_raw(configured, mailed_reply(meeting, "DECLINED", sender=sender, return_path=return_path))
    stats = mailbox.read_replies()
    assert (stats.messages, stats.applied) == (3, 0)
    db.session.expire_all()
    assert db.session.get(Invitation, invitation.id).response == "needs-action"
    # Listed for the organizer, not dropped; nobody else sees them.
    listed = api.get(f"/api/meetings/{meeting.id}/replies/unapplied")
    assert listed.status_code == 200
    assert [(r["attendee"], r["partstat"]) for r in listed.json] == [("sanne@example.nl", "DECLINED")] * 3
    assert sorted(r["sender"] for r in listed.json) == ["mallory@example.com", "sanne@example.nl, mallory@example.com",
                                                        "sanne@example.nl, mallory@example.com"]
    assert all("answers for sanne@example.nl but was sent by" in r["reason"] for r in listed.json)
    assert other_api.get(f"/api/meetings/{meeting.id}/replies/unapplied").status_code == 404
    # The attendee's own reply, in another case, with a matching envelope, counts.
    deliver_raw(configured, mailed_reply(meeting, "ACCEPTED", sender="SANNE@Example.NL",
                                         return_path="<sanne@example.nl>"))
    assert mailbox.read_replies().applied == 1
    db.session.expire_all()
    assert db.session.get(Invitation, invitation.id).response == "accepted"


def test_the_answers_page_lists_the_replies_that_were_not_applied(configured, invitation, api, client):
    from tests.test_pages import login

    meeting = invitation.meeting
    page = f"/meetings/{meeting.id}/board"
    assert login(client, api.user.email, "correct horse battery").status_code == 302
    assert "mallory" not in client.get(page).text  # none yet: no section
    assert "Calendar replies not applied" not in client.get(page).text
    deliver_raw(configured, mailed_reply(meeting, "DECLINED", sender="mallory@example.com"))
    assert mailbox.read_replies().applied == 0
    english = client.get(page).text
    assert "Calendar replies not applied" in english
    row = english[english.index("<tbody>", english.index('id="unapplied-replies"')):english.index("</section>")]
    assert "sanne@example.nl" in row and "mallory@example.com" in row and "<td>declined</td>" in row
    chinese = client.get(page, headers={"Accept-Language": "zh-CN,zh;q=0.9"}).text
    if 'lang="zh-Hans"' not in chinese:  # the user's own language outranks the browser's
        client.post("/account/language", data={"language": "zh_Hans", "csrf_token": _csrf(client, page)})
        chinese = client.get(page).text
    assert "未采用的日历回复" in chinese and "发件人" in chinese and "mallory@example.com" in chinese
    assert "Calendar replies not applied" not in chinese


def _csrf(client, page):
    import re

    return re.search(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"', client.get(page).text).group(1)
