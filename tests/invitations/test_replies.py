"""Calendar-client replies (METHOD:REPLY) posted to /api/replies."""

from datetime import datetime, timedelta, timezone

import pytest

from meetings.extensions import db
from meetings.invitations import ical
from meetings.invitations.models import Invitation
from meetings.scheduling import services as scheduling
from tests import factories
from tests.factories import future_day, wall


@pytest.fixture()
def meeting(api):
    return factories.meeting(api.user)


@pytest.fixture()
def invitation(meeting):
    invitation = factories.invite(meeting, factories.person("Sanne Jansen", email="sanne@example.nl"))
    factories.publish(meeting)
    return invitation


def reply(meeting, partstat, *, email="sanne@example.nl", sequence=None, stamp=None, delegated_to=None):
    attendee = ical.Attendee(email=email, name="Sanne Jansen", ical_role="REQ-PARTICIPANT", partstat=partstat,
                             delegated_to=delegated_to)
    return ical.build_reply(meeting.uid, meeting.sequence if sequence is None else sequence,
                            stamp or datetime.now(timezone.utc), attendee, "meetings@example.com")


def post(api, body):
    return api.post("/api/replies", data=body, headers={"Content-Type": "text/calendar"})


def state(invitation):
    db.session.expire_all()
    return db.session.get(Invitation, invitation.id)


@pytest.mark.parametrize("partstat, response", [("ACCEPTED", "accepted"), ("TENTATIVE", "tentative"),
                                                ("DECLINED", "declined")])
def test_a_reply_records_the_answer(api, meeting, invitation, partstat, response):
    result = post(api, reply(meeting, partstat))
    assert result.status_code == 200
    assert result.json["status"] == "applied"
    assert result.json["invitation"]["response"] == response
    assert state(invitation).response == response


def test_outlook_style_upper_case_mailto_is_matched(api, meeting, invitation):
    body = reply(meeting, "ACCEPTED").replace(b"mailto:sanne@example.nl", b"MAILTO:Sanne@Example.NL")
    assert post(api, body).json["status"] == "applied"


def test_older_replies_are_ignored_in_sequence_then_dtstamp_order(api, meeting, invitation):
    now = datetime.now(timezone.utc).replace(microsecond=0)
    assert post(api, reply(meeting, "ACCEPTED", stamp=now)).json["status"] == "applied"
    late = post(api, reply(meeting, "DECLINED", stamp=now - timedelta(minutes=5)))
    assert late.json["status"] == "ignored" and "newer reply" in late.json["reason"]
    assert state(invitation).response == "accepted"
    assert post(api, reply(meeting, "TENTATIVE", stamp=now + timedelta(minutes=5))).json["status"] == "applied"
    assert state(invitation).response == "tentative"


def test_a_reply_to_an_earlier_version_is_ignored(api, meeting, invitation, smtp):
    factories.deliver()
    scheduling.update_meeting(meeting, {"start": wall(future_day(), 10)})
    db.session.commit()
    factories.deliver(later_minutes=2)  # the update (SEQUENCE 1) reaches them
    outdated = post(api, reply(meeting, "DECLINED", sequence=0))
    assert outdated.json["status"] == "ignored" and "changed since" in outdated.json["reason"]
    assert state(invitation).response == "needs-action"
    assert post(api, reply(meeting, "DECLINED", sequence=1)).json["status"] == "applied"


def test_a_delegated_reply_invites_the_delegate(api, meeting, invitation):
    result = post(api, reply(meeting, "DELEGATED", delegated_to="daan@example.nl"))
    assert result.status_code == 200
    assert state(invitation).response == "delegated"
    delegate = db.session.get(Invitation, state(invitation).delegated_to_id)
    assert delegate.person.email == "daan@example.nl"


@pytest.mark.parametrize("make_body, status, words", [
    (lambda m: b"hello", 422, "Not a usable calendar reply"),
    (lambda m: reply(m, "ACCEPTED").replace(b"METHOD:REPLY", b"METHOD:REQUEST"), 422, "REPLY"),
    (lambda m: reply(m, "ACCEPTED").replace(m.uid.encode(), b"unknown-uid@example.com"), 404, "UID"),
    (lambda m: reply(m, "ACCEPTED", email="stranger@example.com"), 404, "not invited"),
    (lambda m: reply(m, "ACCEPTED", sequence=7), 422, "newer than"),
    (lambda m: b"", 422, "request body"),
])
def test_bad_replies_get_a_clear_4xx(api, meeting, invitation, make_body, status, words):
    result = post(api, make_body(meeting))
    assert result.status_code == status
    assert words in result.json["error"]["message"]
    assert state(invitation).response == "needs-action"


def test_replies_for_someone_elses_meeting_are_not_found(other_api, meeting, invitation):
    assert post(other_api, reply(meeting, "ACCEPTED")).status_code == 404


def test_replies_need_a_token(client, meeting, invitation):
    assert client.post("/api/replies", data=reply(meeting, "ACCEPTED")).status_code == 401
