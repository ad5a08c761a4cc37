"""Kept parts are never stale: every change to what the join and RSVP pages share (the meeting,
its sites and agenda) moves the meeting's content version (`meetings.scheduling.versions`), so
the next visit renders them again; what belongs to one person (an answer, a removal, their unit
or zone) is read on every visit and moves no version.

Each change below is made the way the service makes it (API, link page, service, CLI-like ORM
edit), after the pages were opened and kept; the next visit must show it.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from meetings.directory.models import Unit
from meetings.extensions import db
from meetings.invitations import links
from meetings.invitations.models import LinkPurpose
from meetings.scheduling import agenda, services as scheduling
from meetings.scheduling.models import Meeting
from tests import factories
from tests.conferencing.helpers import invitation_of, personal_token, remote_meeting, site_token, text_of
from tests.factories import NEXT_YEAR, wall


@pytest.fixture()
def setting(api):
    meeting, sites, people = remote_meeting(api.user, date(NEXT_YEAR, 6, 10))
    guest = invitation_of(meeting, people["ams_guest"])
    rsvp = links.mint(LinkPurpose.RSVP, meeting_id=meeting.id, invitation_id=guest.id)
    db.session.commit()
    return {
        "api": api, "meeting": meeting, "sites": sites, "people": people,
        "pages": {"site": f"/join/{site_token(sites['rotterdam'])}",
                  "personal": f"/join/{personal_token(invitation_of(meeting, people['online']))}",
                  "rsvp": f"/rsvp/{rsvp}"},
    }


def version_of(meeting) -> int:
    return db.session.scalar(sa.select(Meeting.content_version).where(Meeting.id == meeting.id))


def _rename_meeting(s):
    assert s["api"].patch(f"/api/meetings/{s['meeting'].id}", json={"title": "Renamed meeting"}).status_code == 200


def _add_agenda_item(s):
    agenda.add_item(s["meeting"], {"title": "Closing remarks", "kind": "report",
                                   "start": wall(date(NEXT_YEAR, 6, 10), 11), "duration_minutes": 20})
    db.session.commit()


def _rename_speaker(s):
    speaker = s["people"]["speaker"]
    assert s["api"].patch(f"/api/people/{speaker.id}", json={"name": "张建国主席"}).status_code == 200


def _guest_accepts(s):
    assert s["api"].client.post(s["pages"]["rsvp"], data={"response": "accepted"}).status_code == 303


def _guest_removed(s):
    guest = invitation_of(s["meeting"], s["people"]["ams_guest"])
    url = f"/api/meetings/{s['meeting'].id}/invitations/{guest.id}"
    assert s["api"].delete(url).status_code in (200, 204)


def _site_moves(s):
    site = s["sites"]["rotterdam"]
    url = f"/api/meetings/{s['meeting'].id}/sites/{site.id}"
    assert s["api"].patch(url, json={"location": "Maasboulevard 1"}).status_code == 200


def _meeting_cancelled(s):
    assert s["api"].post(f"/api/meetings/{s['meeting'].id}/cancel").status_code == 200


def _unit_renamed(s):
    unit = db.session.scalar(sa.select(Unit).where(Unit.name == "Rotterdam Roof Systems"))
    unit.name = "Roof Systems Europe"
    db.session.commit()


def _online_person_moves_zone(s):
    person = s["people"]["online"]
    assert s["api"].patch(f"/api/people/{person.id}", json={"timezone": "Asia/Tokyo"}).status_code == 200


def _guest_delegates(s):
    form = {"delegate_email": "joost@roof.example.nl", "delegate_name": "Joost Smit"}
    assert s["api"].client.post(s["pages"]["rsvp"], data=form).status_code == 303


@pytest.mark.parametrize("change, page, before, after, moves", [
    (_rename_meeting, "site", "Mid-year operation meeting", "Renamed meeting", True),
    (_rename_meeting, "rsvp", "Mid-year operation meeting", "Renamed meeting", True),
    (_add_agenda_item, "personal", "Half-year report", "Closing remarks", True),
    (_add_agenda_item, "rsvp", "Half-year report", "Closing remarks", True),
    (_rename_speaker, "site", "张建国: Results", "张建国主席: Results", True),
    (_guest_accepts, "site", "status-needs-action", "status-accepted", False),
    (_guest_accepts, "rsvp", "<strong>no answer yet</strong>", "<strong>accepted</strong>", False),
    (_guest_removed, "site", "Sanne Visser", None, False),
    (_site_moves, "site", "Waalhaven 12", "Maasboulevard 1", True),
    (_site_moves, "rsvp", "Waalhaven 12", "Maasboulevard 1", True),
    (_meeting_cancelled, "site", "Join the videoconference", "This meeting was cancelled.", True),
    (_meeting_cancelled, "rsvp", "Will you attend?", None, True),
    (_unit_renamed, "rsvp", "Rotterdam Roof Systems", "Roof Systems Europe", False),
    (_online_person_moves_zone, "personal", "Europe/Amsterdam", "Asia/Tokyo", False),
    (_guest_delegates, "rsvp", "Will you attend?", "Joost Smit", False),
])
def test_a_kept_page_shows_each_change_at_the_next_visit(setting, client, change, page, before, after, moves):
    url = setting["pages"][page]
    for _ in range(2):  # rendered, then served with its kept parts
        shown = client.get(url)
        assert shown.status_code == 200 and before in shown.text
        if after:
            assert after not in shown.text
    version = version_of(setting["meeting"])
    change(setting)
    # Only what all the meeting's pages share moves its version: an answer (a removal, a
    # person's own unit or zone) neither locks the meeting's row nor discards what is kept.
    assert (version_of(setting["meeting"]) > version) == moves
    shown = client.get(url)
    if shown.status_code == 404:  # the guest removed: their own page is gone, as it should be
        assert page == "rsvp" and after is None
        return
    assert shown.status_code == 200
    if after is None:
        assert before not in shown.text
    else:
        assert after in shown.text


@pytest.mark.parametrize("page", ["site", "personal", "rsvp"])
def test_a_kept_page_of_a_revoked_link_is_a_404(setting, client, page):
    url = setting["pages"][page]
    assert client.get(url).status_code == 200
    assert client.get(url).status_code == 200
    meeting, people = setting["meeting"], setting["people"]
    whose = {"site": {"purpose": "site", "site_id": setting["sites"]["rotterdam"].id},
             "personal": {"purpose": "join", "invitation_id": invitation_of(meeting, people["online"]).id},
             "rsvp": {"purpose": "rsvp", "invitation_id": invitation_of(meeting, people["ams_guest"]).id}}[page]
    revoked = setting["api"].post(f"/api/meetings/{meeting.id}/links/revoke", json=whose)
    assert revoked.status_code == 200, revoked.text
    assert client.get(url).status_code == 404


def test_a_removed_persons_kept_pages_stop_offering_anything(setting, client):
    personal = personal_token(invitation_of(setting["meeting"], setting["people"]["ams_guest"]))
    rsvp = setting["pages"]["rsvp"]
    assert client.get(f"/join/{personal}").status_code == 200
    assert "Will you attend?" in client.get(rsvp).text
    _guest_removed(setting)
    assert client.get(f"/join/{personal}").status_code == 404
    shown = client.get(rsvp)
    assert shown.status_code == 200 and "Will you attend?" not in shown.text


def test_each_language_is_kept_apart(setting, client):
    url = setting["pages"]["site"]
    english = client.get(url, headers={"Accept-Language": "en"}).text
    chinese = client.get(url, headers={"Accept-Language": "zh-CN"}).text
    assert "Join the videoconference" in english and "Join the videoconference" not in chinese
    assert client.get(url, headers={"Accept-Language": "en"}).text == english
    assert client.get(url, headers={"Accept-Language": "zh-CN"}).text == chinese
    assert client.get(f"{url}?lang=en", headers={"Accept-Language": "zh-CN"}).text != chinese


def test_finishing_past_meetings_moves_their_versions(setting):
    meeting = setting["meeting"]
    version = version_of(meeting)
    assert scheduling.finish_past_meetings(now=meeting.end_at + timedelta(minutes=1)) == 1
    db.session.commit()
    assert version_of(meeting) == version + 1


def test_what_is_rolled_back_moves_nothing(setting):
    meeting = setting["meeting"]
    version = version_of(meeting)
    meeting.title = "Not kept"
    db.session.flush()
    db.session.rollback()
    assert version_of(meeting) == version
    db.session.commit()
    assert version_of(meeting) == version


def test_a_savepoint_rolled_back_keeps_what_the_transaction_changed_before(setting):
    meeting = setting["meeting"]
    version = version_of(meeting)
    meeting.title = "Kept"
    db.session.flush()
    with db.session.begin_nested() as savepoint:
        meeting.description = "Not kept"
        db.session.flush()
        savepoint.rollback()
    db.session.commit()
    assert version_of(meeting) > version


def test_a_person_moves_only_the_meetings_they_are_in(setting, api):
    meeting = setting["meeting"]
    other = factories.meeting(api.user, title="Another meeting")
    db.session.commit()
    versions = version_of(meeting), version_of(other)
    setting["people"]["speaker"].title = "Honorary chairman"  # speaks in one, invited to none
    db.session.commit()
    assert (version_of(meeting), version_of(other)) == (versions[0] + 1, versions[1])


def test_looking_changes_no_version(setting, client):
    version = version_of(setting["meeting"])
    for url in setting["pages"].values():
        assert client.get(url).status_code == 200
    assert version_of(setting["meeting"]) == version


def _tables_read(statement) -> set[str]:
    """The tables ``statement`` reads: its FROM objects (joins, aliases) and the subqueries of
    its conditions, walked down to their tables."""
    tables = set()
    for element in sa.sql.visitors.iterate(statement):
        if isinstance(element, sa.Table):
            tables.add(element.name)
    for source in statement.get_final_froms():
        for element in sa.sql.visitors.iterate(source):
            if isinstance(element, sa.Table):
                tables.add(element.name)
    return tables


def _kept_parts():
    """What is kept per content version: (its statement, the statements that read the version
    it is kept by on every request)."""
    from meetings.conferencing import joinpage
    from meetings.invitations import rsvppage
    from meetings.materials import links as materials_links
    from meetings.scheduling import contentview, services

    return {
        "meeting and sites": (contentview.HEAD, [rsvppage.PAGE, joinpage.PAGE]),
        "agenda": (contentview.AGENDA, [rsvppage.PAGE, joinpage.PAGE]),
        "materials": (materials_links.MEETING_MATERIALS, [rsvppage.PAGE, joinpage.PAGE]),
        "meeting JSON": (services._READ_MEETING, [services.MEETING_VERSION_WITH_CALLER]),
        "meeting JSON (organizer)": (services._READ_MEETING_FOR_ORGANIZER, [services.MEETING_VERSION_WITH_CALLER]),
    }


def _unwatched(statement, key_statements) -> set[str]:
    from meetings.scheduling import versions

    watched = {table.name for table in versions.watched_tables()}
    live = set().union(*(_tables_read(key) for key in key_statements))
    return _tables_read(statement) - watched - live


@pytest.mark.parametrize("part", ["meeting and sites", "agenda", "materials", "meeting JSON", "meeting JSON (organizer)"])
def test_every_table_a_kept_part_reads_moves_its_version_or_is_read_on_every_request(part):
    statement, keys = _kept_parts()[part]
    assert _tables_read(statement), "no table found: the walk is broken"
    assert _unwatched(statement, keys) == set(), f"{part} reads tables whose changes move no version"


def test_the_check_of_kept_parts_finds_a_table_nobody_registered():
    from meetings.attendance.models import CheckIn
    from meetings.invitations import rsvppage
    from meetings.scheduling import contentview

    reads_more = contentview.AGENDA.outerjoin(CheckIn, CheckIn.meeting_id == contentview.AgendaItem.meeting_id)
    assert _unwatched(reads_more, [rsvppage.PAGE]) == {"checkins"}


def test_a_statement_that_changes_a_watched_table_outside_the_orm_is_refused_unless_it_moved_versions(setting):
    from meetings.scheduling import versions
    from meetings.scheduling.models import Site

    meeting, site = setting["meeting"], setting["sites"]["rotterdam"]
    with pytest.raises(versions.UnseenContentChange, match="sites"):
        db.session.execute(sa.update(Site).where(Site.id == site.id).values(location="Elsewhere"))
    db.session.rollback()
    version = version_of(meeting)
    versions.changed(db.session, [meeting.id])
    db.session.execute(sa.update(Site).where(Site.id == site.id).values(location="Elsewhere")
                       .execution_options(**versions.MOVED))
    db.session.commit()
    assert version_of(meeting) == version + 1


def test_with_page_cache_report_each_link_page_says_whether_its_kept_part_was_kept(setting, database_url):
    """What the benchmarks count (``X-Kept-Page``): the first visit renders the page, every later
    one that shows the same (the same person through the link of another email too) finds it
    kept, until the meeting changes; another person's page (another site, zone) is its own."""
    from tests.conftest import make_test_app

    reporting = make_test_app(database_url, PAGE_CACHE_REPORT=True)
    client = reporting.test_client()
    guest = invitation_of(setting["meeting"], setting["people"]["ams_guest"])
    again = links.mint(LinkPurpose.RSVP, meeting_id=setting["meeting"].id, invitation_id=guest.id)
    other = links.mint(LinkPurpose.RSVP, meeting_id=setting["meeting"].id,
                       invitation_id=invitation_of(setting["meeting"], setting["people"]["online"]).id)
    db.session.commit()
    seen = [client.get(url).headers.get("X-Kept-Page")
            for url in (setting["pages"]["rsvp"], setting["pages"]["rsvp"], f"/rsvp/{again}", f"/rsvp/{other}",
                        f"/rsvp/{other}")]
    assert seen == ["miss", "hit", "hit", "miss", "hit"]
    _rename_meeting(setting)
    assert client.get(f"/rsvp/{other}").headers.get("X-Kept-Page") == "miss"
    assert client.get("/healthz").headers.get("X-Kept-Page") is None
