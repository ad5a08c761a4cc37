"""Answering by link: the RSVP page, its POST, delegation, and what a token can and cannot open."""

from datetime import timedelta

import pytest

from meetings.core.db import utcnow
from meetings.extensions import db
from meetings.invitations import links
from meetings.invitations.models import Invitation, LinkPurpose
from meetings.outbox.models import OutboxMessage
from tests import factories


@pytest.fixture()
def meeting(api):
    return factories.meeting(api.user)


@pytest.fixture()
def invitation(meeting):
    person = factories.person("李明", email="li.ming@example.com", unit="Beijing branch")
    invitation = factories.invite(meeting, person, "participant")
    factories.publish(meeting)
    return invitation


@pytest.fixture()
def token(invitation):
    raw = links.mint(LinkPurpose.RSVP, meeting_id=invitation.meeting_id, invitation_id=invitation.id)
    db.session.commit()
    return raw


def answer(client, token, **form):
    # No CSRF token: the secret in the URL is what authorises the POST (see core.linkpages).
    return client.post(f"/rsvp/{token}", data=form)


def state(invitation):
    db.session.expire_all()
    return db.session.get(Invitation, invitation.id)


def test_the_page_shows_the_meeting_in_the_persons_zone_and_changes_nothing(client, invitation, token):
    before = db.session.query(OutboxMessage).count()
    for _ in range(3):  # mail scanners fetch links, sometimes several times
        page = client.get(f"/rsvp/{token}")
        assert page.status_code == 200
    assert "李明" in page.text and "participant" in page.text and "09:00" in page.text
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert state(invitation).response == "needs-action" and state(invitation).responded_at is None
    assert db.session.query(OutboxMessage).count() == before


@pytest.mark.parametrize("response", ["accepted", "tentative", "declined"])
def test_an_answer_is_recorded_and_confirmed(client, invitation, token, response):
    result = answer(client, token, response=response)
    assert result.status_code == 303
    assert state(invitation).response == response and state(invitation).responded_at is not None
    assert "your answer is recorded" in client.get(result.headers["Location"]).text
    # Its confirmation is owed on the invitation, and queued by the delivery run once due.
    assert state(invitation).confirmation_due_at is not None
    factories.deliver(later_minutes=1)
    [confirmation] = db.session.query(OutboxMessage).filter_by(kind="confirmation", invitation_id=invitation.id)
    assert confirmation.status == "sent" and state(invitation).confirmation_due_at is None


def test_a_bad_answer_is_a_form_error(client, invitation, token):
    result = answer(client, token, response="maybe-later")
    assert result.status_code == 200
    assert "accepted, tentative or declined" in result.text
    assert state(invitation).response == "needs-action"


def test_answering_sets_no_cookie(client, invitation, token):
    result = answer(client, token, response="accepted")
    assert "Set-Cookie" not in result.headers and "Set-Cookie" not in client.get(f"/rsvp/{token}").headers


def test_delegating_invites_someone_new_in_the_same_role_and_site(client, invitation, token, smtp):
    result = answer(client, token, delegate_email="Zhu.Lin@example.com", delegate_name="朱琳")
    assert result.status_code == 303
    delegator = state(invitation)
    assert delegator.response == "delegated"
    delegate = db.session.get(Invitation, delegator.delegated_to_id)
    assert delegate.person.email == "zhu.lin@example.com" and delegate.person.name == "朱琳"
    assert delegate.person.unit.name == "Beijing branch"
    assert (delegate.role, delegate.site_id, delegate.mode) == (delegator.role, delegator.site_id, delegator.mode)
    assert delegate.delegated_from_id == delegator.id
    factories.deliver(later_minutes=1)  # the delegator's confirmation waits CONFIRMATION_DELAY_SECONDS
    received = {m.rcpt_tos[0]: m.message for m in smtp.mailbox.wait_for(2)}
    assert received["zhu.lin@example.com"]["Subject"].startswith("Invitation:")
    assert "朱琳" in received["li.ming@example.com"].get_body(("plain",)).get_content()
    page = client.get(f"/rsvp/{token}").text
    assert "朱琳" in page and 'value="accepted"' not in page  # the delegate answers now


def test_after_handing_the_place_on_the_link_answers_no_more(client, invitation, token, smtp):
    # The answer's one UPDATE holds the rule (`answers._ANSWER`): a handed-on invitation is not
    # answered by its link, whatever is posted; the page says why.
    assert answer(client, token, delegate_email="zhu.lin@example.com", delegate_name="朱琳").status_code == 303
    for response in ("accepted", "declined"):
        refused = answer(client, token, response=response)
        assert refused.status_code == 409 and "You handed this invitation to someone else" in refused.text
        assert state(invitation).response == "delegated"


def test_delegating_to_someone_who_declined_asks_them_again(client, meeting, invitation, token, smtp):
    colleague = factories.person("朱琳", email="zhu.lin@example.com", unit="Beijing branch")
    theirs = factories.invite(meeting, colleague, "participant")
    factories.deliver()
    theirs.response = "declined"
    db.session.commit()
    smtp.mailbox.clear()
    assert answer(client, token, delegate_email="zhu.lin@example.com").status_code == 303
    again = state(theirs)
    assert (again.response, again.responded_at, again.delegated_from_id) == ("needs-action", None, invitation.id)
    factories.deliver()
    received = {m.rcpt_tos[0]: m.message for m in smtp.mailbox.wait_for(2)}
    assert received["zhu.lin@example.com"]["Subject"].startswith("Invitation:")


def test_delegating_to_someone_already_coming_is_refused(client, meeting, invitation, token):
    colleague = factories.person("朱琳", email="zhu.lin@example.com", unit="Beijing branch")
    factories.invite(meeting, colleague, "participant")
    result = answer(client, token, delegate_email="zhu.lin@example.com")
    assert result.status_code == 200 and "already invited" in result.text
    assert state(invitation).response == "needs-action"


def test_delegating_to_oneself_is_refused(client, invitation, token):
    result = answer(client, token, delegate_email="li.ming@example.com")
    assert result.status_code == 200 and "someone else" in result.text


@pytest.mark.parametrize("make_token", [
    lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),  # tampered
    lambda token: "x" * 43,                                          # made up
    lambda token: "short",                                           # junk
])
def test_wrong_tokens_are_404(client, token, make_token):
    assert client.get(f"/rsvp/{make_token(token)}").status_code == 404
    assert client.post(f"/rsvp/{make_token(token)}", data={"response": "accepted"}).status_code in (400, 404)


def test_a_token_of_another_purpose_opens_nothing_here(client, invitation):
    join = links.mint(LinkPurpose.JOIN, meeting_id=invitation.meeting_id, invitation_id=invitation.id)
    db.session.commit()
    assert client.get(f"/rsvp/{join}").status_code == 404


def test_rotated_links_stop_working(client, invitation, token):
    links.revoke(LinkPurpose.RSVP, invitation_id=invitation.id)
    db.session.commit()
    assert client.get(f"/rsvp/{token}").status_code == 404


def test_rsvp_links_expire_when_the_meeting_ends(client, meeting, invitation, token):
    factories.ending_at(meeting, utcnow())  # it ends as this line runs: no grace for answers
    assert client.get(f"/rsvp/{token}").status_code == 404
    assert client.post(f"/rsvp/{token}", data={"response": "accepted"}).status_code == 404
    factories.ending_at(meeting, utcnow() + timedelta(minutes=1))
    assert client.get(f"/rsvp/{token}").status_code == 200
    # The instant itself, which the clock cannot land on: the end is already too late.
    assert links.is_expired(LinkPurpose.RSVP, meeting.end_at, now=meeting.end_at)
    assert not links.is_expired(LinkPurpose.RSVP, meeting.end_at, now=meeting.end_at - timedelta(microseconds=1))


def test_answers_close_when_the_meeting_is_cancelled(client, meeting, invitation, token):
    from meetings.scheduling.services import cancel_meeting

    cancel_meeting(meeting)
    db.session.commit()
    page = client.get(f"/rsvp/{token}")
    assert page.status_code == 200 and "cancelled" in page.text and 'value="accepted"' not in page.text
    late = client.post(f"/rsvp/{token}", data={"response": "accepted"})  # a form opened before
    assert late.status_code == 409 and "answers are closed" in late.text
    assert state(invitation).response == "needs-action"


def test_an_address_guessing_tokens_is_paused(client, app, token, monkeypatch):
    monkeypatch.setitem(app.config, "LINK_MISS_LIMIT", "3 per minute")
    for n in range(3):
        assert client.get(f"/rsvp/{'x' * 42}{n}").status_code == 404
    assert client.get(f"/rsvp/{'y' * 43}").status_code == 429


def _speaker_token(meeting, email, *, minutes=20):
    speaker = factories.person("黄志刚", email=email, unit="Autoparts")
    item = factories.agenda_item(meeting, title="Speeches", kind="speech", minutes=60,
                                 speakers=[{"email": email, "topic": "Half-year results", "minutes": minutes}])
    theirs = db.session.scalar(db.select(Invitation).filter_by(meeting_id=meeting.id, person_id=speaker.id))
    factories.publish(meeting)
    raw = links.mint(LinkPurpose.RSVP, meeting_id=meeting.id, invitation_id=theirs.id)
    db.session.commit()
    return item, theirs, raw


def test_a_speaker_who_delegates_hands_over_the_speech(client, meeting, smtp):
    item, speaker, token = _speaker_token(meeting, "huang@example.com")
    assert answer(client, token, delegate_email="lin.xiao@example.com", delegate_name="林晓").status_code == 303
    db.session.expire_all()
    slot = item.speaker_slots[0]
    assert slot.person.email == "lin.xiao@example.com" and slot.topic == "Half-year results"
    deputy = db.session.get(Invitation, state(speaker).delegated_to_id)
    assert deputy.role == "speaker" and deputy.person.email == "lin.xiao@example.com"
    factories.deliver()
    invite = next(m.message for m in smtp.mailbox.wait_for(2) if m.rcpt_tos == ["lin.xiao@example.com"])
    assert "Half-year results" in invite.get_body(("plain",)).get_content()


def test_a_speaker_cannot_hand_the_speech_to_someone_speaking_elsewhere_then(client, api, meeting):
    item, speaker, token = _speaker_token(meeting, "huang@example.com")
    busy = factories.person("林晓", email="lin.xiao@example.com", unit="Autoparts")
    other = factories.meeting(api.user, title="Board meeting")
    factories.agenda_item(other, title="Report", kind="speech", minutes=60,
                          speakers=[{"email": busy.email, "topic": "Board report", "minutes": 60}])
    result = answer(client, token, delegate_email="lin.xiao@example.com")
    assert result.status_code == 200 and "already speaks" in result.text
    db.session.expire_all()
    assert state(speaker).response == "needs-action" and item.speaker_slots[0].person.email == "huang@example.com"
    assert db.session.scalar(db.select(Invitation).filter_by(meeting_id=meeting.id, person_id=busy.id)) is None


def test_an_address_has_a_cap_on_answers_and_is_told_why_when_guessing(client, app, token, monkeypatch):
    monkeypatch.setitem(app.config, "LINK_LIMIT", "2 per minute")
    answers = [client.post(f"/rsvp/{token}", data={"response": "accepted"}) for _ in range(3)]
    assert [response.status_code for response in answers] == [303, 303, 429]
    # Told in the reader's language, and when the minute's window ends.
    assert "Too many requests" in answers[2].text and 1 <= int(answers[2].headers["Retry-After"]) <= 60
    chinese = client.post(f"/rsvp/{token}?lang=zh_Hans", data={"response": "accepted"})
    assert chinese.status_code == 429 and "Too many" not in chinese.text
    # Reading the page through a good link is not counted (no round trip to the limits' storage).
    assert [client.get(f"/rsvp/{token}").status_code for _ in range(3)] == [200, 200, 200]
    monkeypatch.setitem(app.config, "LINK_MISS_LIMIT", "1 per minute")
    assert client.get(f"/rsvp/{'z' * 43}").status_code == 404
    refused = client.get(f"/rsvp/{'y' * 43}")
    assert refused.status_code == 429 and "Too many wrong links" in refused.text
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    # Someone else behind the same address (a site's NAT) still opens their own good link.
    assert client.get(f"/rsvp/{token}").status_code == 200


def test_the_page_is_one_statement_and_the_meeting_more_once_per_version(app, client, invitation, token,
                                                                         page_cache_off):
    """The person's part is read on every request in one statement, with the meeting's content
    version; the meeting with its sites, its agenda and its materials once per version (then
    kept), and on every request without the cache."""
    from tests.conferencing.helpers import counted_statements

    with counted_statements() as statements:
        first = client.get(f"/rsvp/{token}")
    assert first.status_code == 200
    # (4: the page with the version, the meeting with its sites and its agenda
    # (`contentview.read_content`), and the meeting's materials: `materials.links.materials_for_link`.)
    assert len(statements) == 4 and "content_version" in statements[0], statements
    assert "content_version" not in statements[1] and "FROM meetings LEFT OUTER JOIN sites" in statements[1]
    with counted_statements() as statements:
        again = client.get(f"/rsvp/{token}")
    assert again.text == first.text
    # The person's part, read on every visit; the meeting, its agenda and materials are kept.
    assert len(statements) == 1 and "content_version" in statements[0], statements
    assert "meetings.title" not in statements[0], "the meeting's own columns are read once per version"
    with page_cache_off(), counted_statements() as statements:
        assert client.get(f"/rsvp/{token}").text == first.text
    assert len(statements) == 4, statements


@pytest.mark.parametrize("situation", ["speaker", "remote", "online", "delegated", "removed", "cancelled"])
def test_the_page_from_one_statement_is_the_page_the_models_would_show(app, api, situation):
    """The RSVP page reads plain rows (`rsvppage`), not the models: whatever the template shows
    must come out the same as from the models. (A template change that reads something the rows
    lack shows here, not as a silently empty spot on the page.)"""
    from flask import render_template
    from markupsafe import Markup

    from meetings.invitations import calendars
    from meetings.invitations.rsvppage import load_rsvp_page
    from meetings.invitations.services import delegate
    from meetings.scheduling import sites
    from meetings.scheduling.services import cancel_meeting

    meeting = factories.meeting(api.user, title="Mid-year 年中经营会议")
    remote = sites.add_site(meeting, {"name": "Rotterdam room", "timezone": "Europe/Amsterdam",
                                      "location": "Waalhaven 12"})
    db.session.commit()
    person = factories.person("李明", email="li.ming@example.com", unit="Beijing branch")
    other = factories.person("Daan", email="daan@example.nl")
    factories.agenda_item(meeting, title="Opening", minutes=20)
    factories.agenda_item(meeting, title="Reports", kind="speech", minutes=40, speakers=[
        {"email": other.email, "topic": "Plant", "minutes": 15},
        {"email": person.email, "topic": "Half year", "minutes": 20}])
    extra = {"remote": {"site_id": remote.id, "mode": "remote_site"}, "online": {"mode": "online"}}.get(situation, {})
    invitation = factories.invite(meeting, person, "speaker" if situation == "speaker" else "participant", **extra)
    factories.publish(meeting)
    if situation == "delegated":
        delegate(invitation, "zhu.lin@example.com", "朱琳")
    elif situation == "removed":
        db.session.get(Invitation, invitation.id).removed_at = meeting.start_at
    elif situation == "cancelled":
        cancel_meeting(meeting)
    db.session.commit()
    raw = links.mint(LinkPurpose.RSVP, meeting_id=meeting.id, invitation_id=invitation.id)
    db.session.commit()
    db.session.expire_all()
    for done in (None, "answered", "delegated"):
        with app.test_request_context(f"/rsvp/{raw}"):
            model = db.session.get(Invitation, invitation.id)
            zone = model.person.timezone
            agenda = Markup(render_template("invitations/_agenda.html", items=model.meeting.agenda_items, zone=zone))
            page = load_rsvp_page(raw)
            # (The materials part lists what the link's holder may see, the same either way.)
            from_models = render_template(
                "invitations/rsvp.html", invitation=model, meeting=model.meeting, token=raw, errors={}, done=done,
                slots=calendars.speaker_slots(model.meeting, model.person_id), zone=zone, agenda_html=agenda,
                holder=page.holder)
            agenda = Markup(render_template("invitations/_agenda.html", items=page.agenda.items, zone=page.zone))
            from_rows = render_template("invitations/rsvp.html", invitation=page.invitation, meeting=page.meeting,
                                        slots=page.slots, token=raw, errors={}, done=done, zone=page.zone,
                                        agenda_html=agenda, holder=page.holder)
        assert from_rows == from_models
