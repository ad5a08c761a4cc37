"""Answers given in a burst are confirmed once, with the last answer: one confirmation is owed
per invitation (30 answers in a second were 30 emails), due CONFIRMATION_DELAY_SECONDS (a
minute) after the first, so a change of mind within that time is one email too. The answer marks
it on the invitation; a delivery run queues it once due (`notifications.confirmations`)."""

from datetime import timedelta

import pytest

from meetings.core.db import utcnow
from meetings.extensions import db
from meetings.invitations import links
from meetings.invitations.models import LinkPurpose
from meetings.outbox.models import OutboxMessage
from tests import factories
from tests.notifications.test_invites import calendar_part

ANSWERS = ["accepted", "tentative", "declined"]


@pytest.fixture()
def token(api, smtp):
    meeting = factories.meeting(api.user)
    invitation = factories.invite(meeting, factories.person("Li Ming", email="li.ming@example.com"))
    factories.publish(meeting)
    factories.deliver()
    smtp.mailbox.wait_for(1)
    smtp.mailbox.clear()
    raw = links.mint(LinkPurpose.RSVP, meeting_id=meeting.id, invitation_id=invitation.id)
    db.session.commit()
    return raw


def answer_many(client, token, count: int, start: int = 0) -> str:
    for n in range(start, start + count):
        assert client.post(f"/rsvp/{token}", data={"response": ANSWERS[n % 3]}).status_code == 303
    return ANSWERS[(start + count - 1) % 3]


def partstat(mail) -> str:
    [attendee] = calendar_part(mail.message).vevent.contents["attendee"]
    return attendee.params["PARTSTAT"][0]


#: Minutes past CONFIRMATION_DELAY_SECONDS (60 s) after the answers.
LATER = 1


def test_thirty_quick_answers_send_one_confirmation_with_the_last(client, token, smtp):
    last = answer_many(client, token, 30)
    assert factories.deliver(later_minutes=LATER).sent == 1
    assert db.session.query(OutboxMessage).filter_by(kind="confirmation").count() == 1
    [mail] = smtp.mailbox.wait_for(1)
    assert partstat(mail) == last.upper() == "DECLINED"


def test_an_answer_after_the_confirmation_went_is_confirmed_again(client, token, smtp):
    answer_many(client, token, 15)
    factories.deliver(later_minutes=LATER)
    last = answer_many(client, token, 15, start=15)
    factories.deliver(later_minutes=LATER)
    mails = smtp.mailbox.wait_for(2)
    assert len(mails) == 2
    assert partstat(mails[-1]) == last.upper()
    assert db.session.query(OutboxMessage).filter_by(kind="confirmation").count() == 2


def test_the_confirmation_waits_the_delay_and_a_change_of_mind_meanwhile_is_in_it(client, app, token, smtp):
    from meetings.invitations.models import Invitation

    before = utcnow()
    answer_many(client, token, 1)  # accepted
    # A delivery run now (the invites of others would go): the confirmation is not due yet.
    assert factories.deliver().sent == 0
    assert db.session.query(OutboxMessage).filter_by(kind="confirmation").count() == 0
    due = db.session.query(Invitation).one().confirmation_due_at
    assert app.config["CONFIRMATION_DELAY_SECONDS"] == 60
    assert before + timedelta(seconds=60) <= due <= utcnow() + timedelta(seconds=60)
    # Changed their mind within the minute: still one email, with the last answer.
    answer_many(client, token, 1, start=2)  # declined
    assert factories.deliver(later_minutes=LATER).sent == 1
    [mail] = smtp.mailbox.wait_for(1)
    assert partstat(mail) == "DECLINED"


@pytest.mark.parametrize("change", ["meeting cancelled", "person removed"])
def test_a_confirmation_still_waiting_goes_when_the_meeting_or_the_person_does(client, token, smtp, change):
    from meetings.invitations import services as invitations
    from meetings.invitations.models import Invitation
    from meetings.scheduling import services as scheduling

    answer_many(client, token, 1)
    invitation = db.session.query(Invitation).one()
    if change == "meeting cancelled":
        scheduling.cancel_meeting(invitation.meeting)
    else:
        invitations.remove_invitation(invitation.meeting, invitation)
    db.session.commit()
    # What goes out a minute later tells them of the change; no confirmation of the answer.
    assert factories.deliver(later_minutes=LATER).sent == 1
    [mail] = smtp.mailbox.wait_for(1)
    assert not mail.message["Subject"].startswith("Your answer"), mail.message["Subject"]
    assert db.session.query(OutboxMessage).filter_by(kind="confirmation").count() == 0
    assert db.session.get(Invitation, invitation.id).confirmation_due_at is None  # nothing owed any more


def test_with_no_delay_the_confirmation_is_due_at_once(client, app, token, smtp, monkeypatch):
    monkeypatch.setitem(app.config, "CONFIRMATION_DELAY_SECONDS", 0)
    answer_many(client, token, 2)  # accepted, then tentative
    assert factories.deliver().sent == 1
    [mail] = smtp.mailbox.wait_for(1)
    assert partstat(mail) == "TENTATIVE"


def test_a_negative_delay_is_refused_at_start(tmp_path):
    from config import TestConfig
    from meetings import create_app

    with pytest.raises(RuntimeError, match="CONFIRMATION_DELAY_SECONDS must be 0 or more"):
        create_app(TestConfig(SQLALCHEMY_DATABASE_URI="sqlite://", CONFIRMATION_DELAY_SECONDS=-5),
                   instance_path=str(tmp_path))
