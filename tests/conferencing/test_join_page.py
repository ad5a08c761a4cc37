"""The join page behind /join/TOKEN: local times by site and season, the agenda, who is expected,
the Join button (check-in, then 303 to the conference), and the roll call of a site's host."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from meetings.attendance.models import CheckIn
from meetings.extensions import db
from meetings.invitations import answers
from meetings.scheduling import services as scheduling
from tests.conferencing.helpers import (
    counted_statements,
    invitation_of,
    personal_token,
    remote_meeting,
    row_counts,
    site_token,
    text_of,
)
from tests.factories import NEXT_YEAR


@pytest.fixture()
def summer(api):
    return remote_meeting(api.user, date(NEXT_YEAR, 6, 10))


@pytest.fixture()
def winter(api):
    return remote_meeting(api.user, date(NEXT_YEAR, 1, 14))


@pytest.mark.parametrize("season, site, when, zone, label, agenda", [
    # 09:00–12:00 in Shanghai is 01:00–04:00 UTC: Amsterdam is UTC+2 in summer, UTC+1 in winter.
    ("summer", "rotterdam", "06-10 03:00–06:00", "CEST", "Europe/Amsterdam, UTC+02:00",
     "04:00–04:30 Half-year report 04:00 张建国: Results"),
    ("winter", "rotterdam", "01-14 02:00–05:00", "CET", "Europe/Amsterdam, UTC+01:00",
     "03:00–03:30 Half-year report 03:00 张建国: Results"),
    ("summer", "plant", "06-10 09:00–12:00", "GMT+8", "Asia/Shanghai, UTC+08:00",
     "10:00–10:30 Half-year report 10:00 张建国: Results"),
    ("winter", "plant", "01-14 09:00–12:00", "GMT+8", "Asia/Shanghai, UTC+08:00",
     "10:00–10:30 Half-year report 10:00 张建国: Results"),
])
def test_a_site_link_shows_the_meeting_and_agenda_in_the_sites_local_time(request, client, season, site, when,
                                                                          zone, label, agenda):
    meeting, sites, _ = request.getfixturevalue(season)
    page = client.get(f"/join/{site_token(sites[site])}")
    assert page.status_code == 200
    assert page.headers["Referrer-Policy"] == "no-referrer"
    shown = text_of(page.text, "site-time")
    day = date(NEXT_YEAR, int(when[:2]), int(when[3:5]))
    # Written for the reader (no Accept-Language: English, the British way): "10 Jun 2027, 03:00–06:00".
    assert f"{day.day} {day:%b} {NEXT_YEAR}, {when[6:]}" in shown and label in shown
    # The zone named once, in the reader's words, then its id and offset: not "CEST ... CEST", and
    # not Shanghai's "CST" (Central Standard Time to an American reader).
    assert shown.count(zone) == 1 and "CST" not in shown
    assert text_of(page.text, "agenda") == agenda
    assert 'id="your-time"' not in page.text  # the room reads its own local time; the device shows its own


def test_a_personal_link_shows_the_persons_time_too_and_nobody_else(summer, client):
    meeting, sites, people = summer
    online = invitation_of(meeting, people["online"])
    page = client.get(f"/join/{personal_token(online)}")
    assert page.status_code == 200
    assert "Joining as</dt><dd>Pieter de Vries" in page.text
    # No site of their own: the main venue's time (Shanghai), and theirs (Amsterdam, summer).
    assert "09:00–12:00" in text_of(page.text, "site-time")
    assert "03:00–06:00" in text_of(page.text, "your-time")
    assert "Europe/Amsterdam, UTC+02:00" in text_of(page.text, "your-time")
    assert text_of(page.text, "your-time").count("CEST") == 1
    assert 'id="expected"' not in page.text
    for name in ("Sanne Visser", "林晓", "Daan Bakker"):
        assert name not in page.text


def test_a_site_link_lists_only_the_people_of_its_own_site(summer, client):
    meeting, sites, people = summer
    page = client.get(f"/join/{site_token(sites['rotterdam'])}")
    expected = text_of(page.text, "expected")
    assert "Daan Bakker" in expected and "Sanne Visser" in expected and "Engineer" in expected
    for name in ("林晓", "孙磊", "Pieter de Vries"):
        assert name not in page.text
    assert "Roll call for Rotterdam room" in page.text


def test_a_site_page_is_kept_whole_yet_shows_each_new_answer_and_its_own_link(summer, client, app):
    meeting, sites, people = summer
    token = site_token(sites["rotterdam"])
    first = client.get(f"/join/{token}")
    assert "Sanne Visser, Engineer no answer yet" in text_of(first.text, "expected")
    assert client.get(f"/join/{token}").text == first.text  # kept, and the same
    # Sanne declines: who is expected is read on every request, so the next view shows it.
    answers.record_response(invitation_of(meeting, people["ams_guest"]), "declined")
    db.session.commit()
    again = client.get(f"/join/{token}")
    assert "Sanne Visser, Engineer declined" in text_of(again.text, "expected")
    # Another link of the same site (a second room system) is given the same page with its own
    # token in its links, not the first one's.
    other = site_token(sites["rotterdam"])
    second = client.get(f"/join/{other}")
    assert text_of(second.text, "expected") == text_of(again.text, "expected")
    assert f"/join/{other}/roll-call" in second.text and token not in second.text


def test_the_join_page_is_one_or_two_sql_statements_and_the_meeting_once_per_version(summer, client):
    """One statement for the link, its meeting's id and version (a site link: one more for who
    is expected, whose answers change at any time); the meeting with its sites and agenda once
    per version, then kept."""
    meeting, sites, people = summer
    # The meeting's materials are kept with the agenda (`materials.links.materials_for_link`).
    for token, count in ((site_token(sites["rotterdam"]), 2),  # plus who is expected at the site
                         (personal_token(invitation_of(meeting, people["online"])), 1)):
        with counted_statements() as statements:
            first = client.get(f"/join/{token}")
        assert first.status_code == 200
        assert "content_version" in statements[0], statements
        with counted_statements() as statements:
            again = client.get(f"/join/{token}")
        assert again.text == first.text
        assert len(statements) == count, statements
        assert "meetings.title" not in statements[0] and "sites.name" not in statements[0], statements


def test_looking_at_pages_changes_nothing(summer, client):
    meeting, sites, people = summer
    site = site_token(sites["rotterdam"])
    personal = personal_token(invitation_of(meeting, people["online"]))
    before = row_counts()
    for url in (f"/join/{site}", f"/join/{personal}", f"/join/{site}/roll-call", f"/join/{site}/roll-call?saved=1"):
        for _ in range(2):
            assert client.get(url).status_code == 200
        assert client.head(url).status_code == 200
    assert row_counts() == before


def test_joining_by_a_personal_link_checks_the_person_in_and_goes_to_the_conference(summer, client):
    meeting, sites, people = summer
    online = invitation_of(meeting, people["online"])
    token = personal_token(online)
    form = {}
    response = client.post(f"/join/{token}", data=form)
    assert response.status_code == 303
    assert response.headers["Location"] == f"https://meet.jit.si/{meeting.vc_room.lower()}"
    again = client.post(f"/join/{token}", data=form)
    assert again.status_code == 303
    rows = db.session.scalars(sa.select(CheckIn).where(CheckIn.invitation_id == online.id)).all()
    assert [(row.method, row.counted) for row in rows] == [("join_link", True), ("join_link", False)]
    db.session.refresh(online)
    assert online.checked_in_at is not None


def test_joining_by_a_site_link_records_the_room_and_goes_to_the_same_conference(summer, client):
    meeting, sites, people = summer
    token = site_token(sites["plant"])
    response = client.post(f"/join/{token}", data={})
    assert response.status_code == 303
    assert response.headers["Location"] == f"https://meet.jit.si/{meeting.vc_room.lower()}"
    [row] = db.session.scalars(sa.select(CheckIn).where(CheckIn.meeting_id == meeting.id)).all()
    assert (row.site_id, row.invitation_id, row.method) == (sites["plant"].id, None, "join_link")


def test_a_provider_that_fails_shows_our_own_words_and_records_nothing(summer, client, app, monkeypatch):
    meeting, sites, _ = summer
    monkeypatch.setitem(app.config, "VC_PROVIDER", "bbb")  # BBB_URL is not set
    token = site_token(sites["plant"])
    response = client.post(f"/join/{token}", data={})
    assert response.status_code == 503
    assert "cannot be reached right now" in text_of(response.text, "join-error")
    assert "BBB_SECRET" not in response.text and "BBB_URL" not in response.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CheckIn)) == 0


def test_a_cancelled_meeting_has_no_join_button(summer, client):
    meeting, sites, _ = summer
    token = site_token(sites["rotterdam"])
    form = {}
    scheduling.cancel_meeting(meeting)
    db.session.commit()
    page = client.get(f"/join/{token}")
    assert "This meeting was cancelled." in page.text and "Join the videoconference" not in page.text
    assert client.post(f"/join/{token}", data=form).status_code == 409


@pytest.mark.usefixtures("checkin_open")
def test_the_roll_call_ticks_people_of_its_site_and_counts_the_others(summer, client):
    meeting, sites, people = summer
    token = site_token(sites["rotterdam"])
    page = client.get(f"/join/{token}/roll-call")
    assert "Sanne Visser" in page.text and "林晓" not in page.text
    guest = invitation_of(meeting, people["ams_guest"])
    other_site = invitation_of(meeting, people["sh_guest"])
    form = {"present": [str(guest.id)], "head_count": "3"}
    response = client.post(f"/join/{token}/roll-call", data=form)
    assert response.status_code == 303
    shown = client.get(response.headers["Location"])
    assert "Recorded: 1 newly present. Others present: 3." in text_of(shown.text, "roll-call-saved")
    assert "present since" in shown.text and 'value="3"' in shown.text
    again = client.post(f"/join/{token}/roll-call", data={**form, "head_count": "4"})
    assert "Recorded: 0 newly present. Others present: 4." in client.get(again.headers["Location"]).text
    forged = client.post(f"/join/{token}/roll-call", data={**form, "present": [str(other_site.id)]})
    assert forged.status_code == 404
    db.session.refresh(other_site)
    assert other_site.checked_in_at is None
    bad = client.post(f"/join/{token}/roll-call", data={**form, "present": [], "head_count": "many"})
    assert bad.status_code == 200 and "whole number" in bad.text  # shown at the field, see FORM_ERROR_STATUS


def test_a_personal_link_has_no_roll_call(summer, client):
    meeting, sites, people = summer
    token = personal_token(invitation_of(meeting, people["online"]))
    assert client.get(f"/join/{token}/roll-call").status_code == 404
    form = {"head_count": "1"}
    assert client.post(f"/join/{token}/roll-call", data=form).status_code == 404


def test_link_pages_set_no_cookie_and_need_no_form_token(summer, client):
    """The token in the URL authorises the POST; room systems and shared phones keep no cookies."""
    meeting, sites, people = summer
    token = site_token(sites["plant"])
    for url in (f"/join/{token}", f"/join/{token}/roll-call"):
        page = client.get(url)
        assert "Set-Cookie" not in page.headers and "csrf_token" not in page.text
        assert page.headers["Cache-Control"] == "no-store"
    assert client.post(f"/join/{token}").status_code == 303


def test_the_roll_call_before_its_window_is_refused_and_says_when_it_opens(summer, client):
    meeting, sites, people = summer
    token = site_token(sites["rotterdam"])
    page = client.get(f"/join/{token}/roll-call")
    assert "Check-in opens at" in text_of(page.text, "roll-call-error")
    guest = invitation_of(meeting, people["ams_guest"])
    refused = client.post(f"/join/{token}/roll-call", data={"present": [str(guest.id)]})
    assert refused.status_code == 409 and "Check-in opens at" in refused.text
    db.session.refresh(guest)
    assert guest.checked_in_at is None


@pytest.mark.usefixtures("checkin_open")
def test_a_roll_call_tick_can_be_taken_back(summer, client):
    meeting, sites, people = summer
    token = site_token(sites["rotterdam"])
    guest = invitation_of(meeting, people["ams_guest"])
    client.post(f"/join/{token}/roll-call", data={"present": [str(guest.id)]})
    page = client.get(f"/join/{token}/roll-call")
    assert f'name="ticked" value="{guest.id}"' in page.text
    undone = client.post(f"/join/{token}/roll-call", data={"ticked": [str(guest.id)]})
    assert "Taken back: 1." in text_of(client.get(undone.headers["Location"]).text, "roll-call-saved")
    db.session.refresh(guest)
    assert guest.checked_in_at is None
    again = client.post(f"/join/{token}/roll-call", data={"present": [str(guest.id)]})
    assert "Recorded: 1 newly present." in client.get(again.headers["Location"]).text
    rows = db.session.scalars(sa.select(CheckIn).where(CheckIn.invitation_id == guest.id).order_by(CheckIn.id))
    assert [row.counted for row in rows] == [False, True]
