"""Site and join links: getting a site's link, rotating it (old links 404, the host gets the new
one by email), expiry after the meeting, and tokens that are tampered with or not ours."""

from __future__ import annotations

from datetime import timedelta

import pytest

from meetings.core.db import utcnow
from meetings.extensions import db
from meetings.invitations import links
from meetings.invitations.models import CapabilityLink, LinkPurpose
from meetings.outbox.models import OutboxMessage
from meetings.scheduling import services as scheduling
from tests import factories
from tests.conferencing.helpers import (
    invitation_of,
    personal_token,
    remote_meeting,
    row_counts,
    site_token,
    token_of,
)


@pytest.fixture()
def published(api):
    return remote_meeting(api.user)


def link_api(meeting, site, action="link") -> str:
    return f"/api/meetings/{meeting.id}/sites/{site.id}/{action}"


def test_the_organizer_gets_a_working_site_link_each_time_a_new_one(api, client, published):
    meeting, sites, _ = published
    first = api.post(link_api(meeting, sites["rotterdam"]))
    second = api.post(link_api(meeting, sites["rotterdam"]))
    assert first.status_code == 200 and second.status_code == 200
    assert first.json["url"].startswith("https://meetings.example.com/join/")
    assert first.json["url"] != second.json["url"]
    for url in (first.json["url"], second.json["url"]):
        page = client.get("/join/" + token_of(url))
        assert page.status_code == 200 and "Rotterdam room" in page.text
    stored = {link.token_hash for link in db.session.query(CapabilityLink)}
    assert token_of(first.json["url"]) not in stored  # only hashes are kept


def test_only_the_meetings_organizers_and_admins_get_or_rotate_links(api, admin_api, other_api, client, published):
    meeting, sites, _ = published
    for action in ("link", "rotate-link"):
        url = link_api(meeting, sites["plant"], action)
        assert client.post(url).status_code == 401
        assert other_api.post(url).status_code == 404
        assert admin_api.post(url).status_code == 200
        assert api.post(f"/api/meetings/{meeting.id}/sites/999999/{action}").status_code == 404
        assert api.get(url).status_code == 405
    other = factories.meeting(api.user, title="Another")
    assert api.post(f"/api/meetings/{other.id}/sites/{sites['plant'].id}/link").status_code == 404


def test_rotation_makes_every_earlier_site_link_a_404_and_mails_the_host_the_new_one(api, client, smtp, published):
    meeting, sites, people = published
    factories.deliver()  # the invites, with their own site links
    invites = {mail.rcpt_tos[0]: mail for mail in smtp.mailbox.wait_for(6)}
    assert len(invites) == 6
    emailed = next(line for line in invites[people["ams_host"].email].message.get_body(("plain",))
                   .get_content().splitlines() if "/join/" in line).split()[-1]
    smtp.mailbox.clear()
    earlier = [token_of(emailed), site_token(sites["rotterdam"]), token_of(api.post(link_api(meeting, sites["rotterdam"])).json["url"])]
    untouched = site_token(sites["plant"])
    for token in earlier:
        assert client.get(f"/join/{token}").status_code == 200

    rotated = api.post(link_api(meeting, sites["rotterdam"], "rotate-link"))
    assert rotated.status_code == 200
    for token in earlier:
        assert client.get(f"/join/{token}").status_code == 404
        assert client.get(f"/join/{token}/roll-call").status_code == 404
        assert client.post(f"/join/{token}", data={}).status_code in (400, 404)
    assert client.get("/join/" + token_of(rotated.json["url"])).status_code == 200
    assert client.get(f"/join/{untouched}").status_code == 200  # another site's links stay

    assert factories.deliver().sent == 1
    [mail] = smtp.mailbox.wait_for(1)
    assert mail.rcpt_tos == [people["ams_host"].email]
    message = mail.message
    assert message["Subject"] == "New join link for Rotterdam room: Mid-year operation meeting"
    text = message.get_body(("plain",)).get_content()
    assert "the earlier link no longer works" in text
    new = next(line for line in text.splitlines() if "/join/" in line).strip()
    assert client.get("/join/" + token_of(new)).status_code == 200
    calendar = next(p for p in message.walk() if p.get_content_type() == "text/calendar")
    assert calendar.get_param("method") == "REQUEST"
    assert new in calendar.get_content().replace("\r\n ", "")
    assert db.session.query(OutboxMessage).filter_by(kind="site_link").count() == 1


def test_rotating_a_drafts_link_sends_nothing_and_a_cancelled_meetings_refuses(api, published):
    meeting, sites, _ = published
    draft = factories.meeting(api.user, title="Draft")
    main = draft.main_site
    assert api.post(link_api(draft, main, "rotate-link")).status_code == 200
    assert db.session.query(OutboxMessage).filter_by(kind="site_link").count() == 0
    scheduling.cancel_meeting(meeting)
    db.session.commit()
    refused = api.post(link_api(meeting, sites["rotterdam"], "rotate-link"))
    assert refused.status_code == 409 and "cancelled" in refused.json["error"]["message"]
    assert api.post(link_api(meeting, sites["rotterdam"])).status_code == 409


def test_links_expire_the_configured_time_after_the_meeting_ends(app, client, published):
    meeting, sites, people = published
    tokens = [site_token(sites["rotterdam"]), personal_token(invitation_of(meeting, people["online"]))]
    grace = timedelta(hours=app.config["LINK_GRACE_HOURS"])
    # The meeting ended a minute less than the grace ago: the links still work.
    factories.ending_at(meeting, utcnow() - grace + timedelta(minutes=1))
    for token in tokens:
        assert client.get(f"/join/{token}").status_code == 200
    # It ended the grace ago (to the moment this line runs): they no longer do.
    factories.ending_at(meeting, utcnow() - grace)
    for token in tokens:
        assert client.get(f"/join/{token}").status_code == 404
        assert client.get(f"/join/{token}/roll-call").status_code == 404
    # The instant itself, which the clock cannot land on: at the grace the link is over, just before it is not.
    for purpose in (LinkPurpose.JOIN, LinkPurpose.SITE):
        assert links.is_expired(purpose, meeting.end_at, now=meeting.end_at + grace)
        assert not links.is_expired(purpose, meeting.end_at, now=meeting.end_at + grace - timedelta(microseconds=1))


def test_moving_the_meeting_moves_its_links_expiry(app, client, published):
    meeting, sites, _ = published
    token = site_token(sites["plant"])
    # It ended a minute more than the grace ago: the link is over...
    factories.ending_at(meeting, utcnow() - timedelta(hours=app.config["LINK_GRACE_HOURS"], minutes=1))
    assert client.get(f"/join/{token}").status_code == 404
    # ...until the meeting is moved a day later: the same link works again, until the new end.
    scheduling.update_meeting(meeting, {"start": (meeting.start_at + timedelta(days=1)).isoformat()})
    db.session.commit()
    assert client.get(f"/join/{token}").status_code == 200


def test_tampered_unknown_and_wrong_purpose_tokens_are_404s(client, published):
    meeting, sites, people = published
    good = site_token(sites["rotterdam"])
    flipped = good[:-1] + ("A" if good[-1] != "A" else "B")
    rsvp = personal_token(invitation_of(meeting, people["online"]), LinkPurpose.RSVP)
    checkin = personal_token(invitation_of(meeting, people["sh_guest"]), LinkPurpose.CHECKIN)
    before = row_counts()
    for token in (flipped, good[1:], good + "x", rsvp, checkin, "x" * 43, "short", "../../etc/passwd",
                  "%00" + good, "' OR 1=1 --"):
        assert client.get(f"/join/{token}").status_code == 404, token
        assert client.get(f"/join/{token}/roll-call").status_code == 404, token
    assert row_counts() == before


def test_a_personal_link_of_someone_taken_off_the_list_is_a_404(api, client, published):
    meeting, sites, people = published
    online = invitation_of(meeting, people["online"])
    token = personal_token(online)
    assert client.get(f"/join/{token}").status_code == 200
    api.delete(f"/api/meetings/{meeting.id}/invitations/{online.id}")
    assert client.get(f"/join/{token}").status_code == 404


def test_a_replaced_host_becomes_a_participant_and_their_site_links_stop_working(api, client, smtp, published):
    meeting, sites, people = published
    rotterdam = sites["rotterdam"]
    factories.deliver()
    smtp.mailbox.clear()
    old_link = site_token(rotterdam)
    plant_link = site_token(sites["plant"])
    changed = api.patch(f"/api/meetings/{meeting.id}/sites/{rotterdam.id}", json={"host_email": people["ams_guest"].email})
    assert changed.status_code == 200
    db.session.expire_all()
    assert invitation_of(meeting, people["ams_host"]).role == "participant"
    assert invitation_of(meeting, people["ams_host"]).site_id == rotterdam.id  # still expected in the room
    assert invitation_of(meeting, people["ams_guest"]).role == "site_host"
    assert client.get(f"/join/{old_link}").status_code == 404
    assert client.get(f"/join/{old_link}/roll-call").status_code == 404
    assert client.get(f"/join/{plant_link}").status_code == 200
    assert client.get("/join/" + site_token(rotterdam)).status_code == 200

    factories.deliver(later_minutes=5)
    mails = {mail.rcpt_tos[0]: mail.message for mail in smtp.mailbox.wait_for(2)}
    new_host_text = mails[people["ams_guest"].email].get_body(("plain",)).get_content()
    assert client.get("/join/" + token_of(next(w for w in new_host_text.split() if "/join/" in w))).status_code == 200
    old_host_text = mails[people["ams_host"].email].get_body(("plain",)).get_content()
    assert "roll-call" not in old_host_text and "Your role: participant" in old_host_text


def test_removing_a_sites_host_stands_them_down(api, published):
    meeting, sites, people = published
    assert api.patch(f"/api/meetings/{meeting.id}/sites/{sites['plant'].id}", json={"host_email": None}).status_code == 200
    db.session.expire_all()
    assert invitation_of(meeting, people["sh_host"]).role == "participant"
