"""The organizer's meeting pages: each step's form, its errors next to the fields, and the
actions that tell people (publish, cancel)."""

import html
import re

import pytest

from meetings.extensions import db
from meetings.invitations.models import Invitation
from meetings.outbox.models import OutboxMessage
from meetings.scheduling.models import AgendaItem, Meeting, Site
from tests import factories
from tests.factories import NEXT_YEAR, last_sunday


def meeting_form(**overrides):
    data = {"title": "Mid-year operation meeting", "description": "", "kind": "operation",
            "date": f"{NEXT_YEAR}-06-10", "start_time": "14:00", "end_time": "17:30", "timezone": "Asia/Shanghai"}
    data.update(overrides)
    return data


def error_of(page, field_id):
    match = re.search(rf'id="{field_id}-error">([^<]+)<', page.text)
    return html.unescape(match.group(1)) if match else None


def test_a_new_meeting_goes_to_the_sites_step(browser):
    response = browser.post("/meetings/new", meeting_form())
    assert response.status_code == 302
    meeting = db.session.query(Meeting).one()
    assert response.headers["Location"].endswith(f"/meetings/{meeting.id}/sites")
    assert meeting.start_at.hour == 6 and meeting.owner_id == browser.user.id


@pytest.mark.parametrize("overrides, field, words", [
    ({"end_time": "13:00"}, "end_time", "after the start"),
    ({"timezone": "Asia/Beijing"}, "timezone", "IANA"),
    ({"title": ""}, "title", "cannot be empty"),
    ({"date": f"{last_sunday(NEXT_YEAR, 3).isoformat()}", "start_time": "02:30", "end_time": "05:00",
      "timezone": "Europe/Amsterdam"}, "start_time", "does not exist"),
])
def test_meeting_rules_show_next_to_their_field(browser, overrides, field, words):
    response = browser.post("/meetings/new", meeting_form(**overrides), form_page="/meetings/new")
    assert response.status_code == 200
    assert words in error_of(response, field)
    assert f'aria-describedby="{field}-error' in response.text or f'aria-describedby="{field}-error"' in response.text
    assert db.session.query(Meeting).count() == 0


def test_a_form_without_its_csrf_token_is_refused(browser):
    response = browser.client.post("/meetings/new", data=meeting_form())
    assert response.status_code == 400
    assert db.session.query(Meeting).count() == 0


@pytest.fixture()
def meeting(browser):
    browser.post("/meetings/new", meeting_form())
    return db.session.query(Meeting).one()


def test_sites_main_venue_then_a_remote_one_and_the_one_main_rule(browser, meeting):
    host = factories.person("Daan Bakker", email="daan@example.nl", timezone="Europe/Amsterdam")
    url = f"/meetings/{meeting.id}/sites"
    assert browser.post(url, {"name": "Main hall", "kind": "main", "timezone": "Asia/Shanghai",
                              "location": "HQ 12F", "host_email": "", "provider": "", "vc_url": ""}).status_code == 302
    second_main = browser.post(url, {"name": "Other hall", "kind": "main", "timezone": "Asia/Shanghai",
                                     "location": "", "host_email": "", "provider": "", "vc_url": ""})
    assert second_main.status_code == 200 and "exactly one" in error_of(second_main, "kind")
    remote = browser.post(url, {"name": "Rotterdam", "kind": "remote", "timezone": "Europe/Amsterdam",
                                "location": "Room 2", "host_email": host.email, "provider": "url",
                                "vc_url": "https://zoom.example.com/j/1"})
    assert remote.status_code == 302
    page = browser.get(url).text
    assert "Rotterdam" in page and "08:00–11:30" in page and "Daan Bakker" in page
    site = db.session.query(Site).filter_by(name="Rotterdam").one()
    assert db.session.query(Invitation).filter_by(person_id=host.id).one().role == "site_host"
    # The videoconference in words: the system's name (the default's too), or "a fixed link",
    # and in Chinese on a Chinese reader's page; never the stored value ("url", "jitsi").
    systems = re.findall(r'data-label="Videoconference">([^<]*)', page)
    assert systems == ["Jitsi", "A fixed link"], systems
    chinese = browser.get(url, headers={"Accept-Language": "zh-CN,zh;q=0.9"}).text
    assert re.findall(r'data-label="视频会议">([^<]*)', chinese) == ["Jitsi", "固定链接"]
    bad_link = browser.post(f"{url}/{site.id}", {"name": "Rotterdam", "kind": "remote", "timezone": "Europe/Amsterdam",
                                                  "location": "", "host_email": "", "provider": "url",
                                                  "vc_url": "ftp://nope"})
    assert bad_link.status_code == 200 and "http(s)" in error_of(bad_link, "vc_url")


def test_agenda_builder_adds_items_with_speakers_and_shows_conflicts_inline(browser, meeting):
    speaker = factories.person("Pieter", email="pieter@example.nl")
    url = f"/meetings/{meeting.id}/agenda"
    first = browser.post(url, {"title": "Report", "kind": "report", "start_time": "", "duration_minutes": "40",
                               "description": "", "speakers-0-email": speaker.email, "speakers-0-topic": "Numbers",
                               "speakers-0-minutes": "30"})
    assert first.status_code == 302
    overlap = browser.post(url, {"title": "Clash", "kind": "speech", "start_time": "14:20", "duration_minutes": "30",
                                 "description": ""})
    assert overlap.status_code == 200 and "overlaps 'Report'" in error_of(overlap, "start_time")
    too_long = browser.post(url, {"title": "Speeches", "kind": "speech", "start_time": "", "duration_minutes": "10",
                                  "description": "", "speakers-0-email": speaker.email, "speakers-0-minutes": "20"})
    assert too_long.status_code == 200 and "need 20 minutes" in too_long.text
    page = browser.get(url).text
    assert "14:00–14:40" in page and "Pieter: Numbers" in page and "10 min left in this block" in page
    assert db.session.query(AgendaItem).count() == 1


def test_items_can_be_reordered(browser, meeting):
    url = f"/meetings/{meeting.id}/agenda"
    for title, minutes in (("First", "30"), ("Second", "20")):
        browser.post(url, {"title": title, "kind": "other", "start_time": "", "duration_minutes": minutes,
                           "description": ""})
    second = db.session.query(AgendaItem).filter_by(title="Second").one()
    assert browser.post(f"{url}/{second.id}/move", {"direction": "up"}, form_page=url).status_code == 302
    db.session.expire_all()
    items = sorted(db.session.query(AgendaItem).all(), key=lambda i: i.start_at)
    assert [i.title for i in items] == ["Second", "First"]
    assert (items[1].start_at - items[0].start_at).seconds == 20 * 60


def test_a_group_invitation_is_previewed_then_added(browser, meeting):
    browser.post(f"/meetings/{meeting.id}/sites", {"name": "Main hall", "kind": "main", "timezone": "Asia/Shanghai",
                                                   "location": "", "host_email": "", "provider": "", "vc_url": ""})
    for n in range(3):
        factories.person(f"Leader {n}", tags=["vice-director-and-above"])
    url = f"/meetings/{meeting.id}/invitations"
    form = {"email": "", "tags": "vice-director-and-above", "unit": "", "role": "participant", "site_id": "",
            "confirm": ""}
    preview = browser.post(url, form)
    assert preview.status_code == 200 and "3 people match" in preview.text
    assert db.session.query(Invitation).count() == 0
    done = browser.post(url, dict(form, confirm="yes"))
    assert done.status_code == 302
    assert db.session.query(Invitation).count() == 3
    nobody = browser.post(url, dict(form, tags="no-such-tag"))
    assert nobody.status_code == 200 and "No one in the directory" in nobody.text


def test_reminders_are_set_per_role_and_bad_values_refused(browser, meeting):
    url = f"/meetings/{meeting.id}/reminders"
    roles = {"chair": "1 day", "speaker": "3 days, 1 hour, 15 min", "site_host": "1 day, 30 min",
             "participant": "2 hours", "observer": ""}
    assert browser.post(url, roles).status_code == 302
    db.session.expire_all()
    assert {"role": "participant", "before_minutes": 120} in \
        __import__("meetings.scheduling.services", fromlist=["x"]).effective_reminders(db.session.get(Meeting, meeting.id))
    bad = browser.post(url, dict(roles, participant="-5 min"))
    assert bad.status_code == 200 and "cannot be negative" in bad.text
    unreadable = browser.post(url, dict(roles, participant="soonish"))
    assert unreadable.status_code == 200 and "not a time before the meeting" in unreadable.text


def test_the_preview_shows_each_roles_invite_without_writing_anything(browser, meeting):
    browser.post(f"/meetings/{meeting.id}/sites", {"name": "Main hall", "kind": "main", "timezone": "Asia/Shanghai",
                                                   "location": "HQ", "host_email": "", "provider": "", "vc_url": ""})
    before = db.session.query(OutboxMessage).count()
    for role in ("chair", "speaker", "site_host", "participant", "observer"):
        page = browser.get(f"/meetings/{meeting.id}/preview?role={role}")
        assert page.status_code == 200
        assert "Invitation: Mid-year operation meeting" in page.text
        assert "METHOD:REQUEST" in page.text and "ROLE=" in page.text
    assert db.session.query(OutboxMessage).count() == before


def test_publish_then_cancel_tells_how_many(browser, meeting, smtp):
    browser.post(f"/meetings/{meeting.id}/sites", {"name": "Main hall", "kind": "main", "timezone": "Asia/Shanghai",
                                                   "location": "", "host_email": "", "provider": "", "vc_url": ""})
    for n in range(2):
        factories.invite(db.session.get(Meeting, meeting.id), factories.person(f"Guest {n}"))
    page = f"/meetings/{meeting.id}"
    assert "send 2 invitations" in browser.get(page).text
    published = browser.post(f"{page}/publish", {}, form_page=page, follow_redirects=True)
    assert "2 invitations are on their way" in published.text
    assert db.session.query(OutboxMessage).filter_by(kind="invite").count() == 2
    assert "2 people will be told" in browser.get(page).text
    cancelled = browser.post(f"{page}/cancel", {}, form_page=page, follow_redirects=True)
    assert "Cancelled. 2 people are told." in cancelled.text


def test_other_organizers_get_404_on_every_page(client, meeting):
    from tests.manage.conftest import sign_in

    client.post("/logout")
    other = sign_in(client.application.test_client(), "stranger@example.com")
    for path in ("", "/details", "/sites", "/agenda", "/invitations", "/reminders", "/preview", "/board",
                 "/board.json", "/attendance"):
        assert other.get(f"/meetings/{meeting.id}{path}").status_code == 404, path


def test_the_dashboard_shows_counts(browser, meeting):
    m = db.session.get(Meeting, meeting.id)
    factories.invite(m, factories.person("One"))
    page = browser.get("/").text
    assert "Mid-year operation meeting" in page and 'data-label="Invited">1<' in page


def test_the_links_page_lists_and_revokes(browser, meeting, smtp):
    m = db.session.get(Meeting, meeting.id)
    browser.post(f"/meetings/{meeting.id}/sites", {"name": "Main hall", "kind": "main", "timezone": "Asia/Shanghai",
                                                   "location": "", "host_email": "", "provider": "", "vc_url": ""})
    invitation = factories.invite(m, factories.person("Revoked Person"))
    factories.publish(m)
    factories.deliver()
    page = f"/meetings/{meeting.id}/links"
    assert "Revoked Person" in browser.get(page).text
    done = browser.post(page, {"purpose": "rsvp", "invitation_id": str(invitation.id)}, follow_redirects=True)
    assert "Revoked 1 link" in done.text


def test_the_answers_count_tables_label_each_number(browser, meeting):
    m = db.session.get(Meeting, meeting.id)
    factories.invite(m, factories.person("One"), role="speaker")
    # A phone hides the head: each count says what it counts, in the reader's language.
    for headers, words in (({}, ["Invited", "accepted", "maybe", "declined", "no answer yet", "delegated",
                                 "Attended"]),
                           ({"Accept-Language": "zh-CN"}, ["已邀请", "接受", "暂定", "谢绝", "待回复", "已委托他人",
                                                           "已出席"])):
        page = browser.get(f"/meetings/{meeting.id}/board", headers=headers).text
        rows = re.findall(r'<tr data-name="[^"]*">(.*?)</tr>', page, re.S)
        assert len(rows) == 2, rows  # one by site, one by role
        for row in rows:
            assert re.findall(r'<td class="num" data-count="[^"]+" data-label="([^"]+)">\d+</td>', row) == words


def test_the_links_page_labels_its_cells_and_names_the_zone_of_its_times(browser, meeting, smtp):
    from meetings.scheduling import sites

    m = db.session.get(Meeting, meeting.id)
    sites.add_site(m, {"name": "Main hall", "kind": "main", "timezone": "Asia/Shanghai"})
    factories.invite(m, factories.person("Linked Person"))
    factories.publish(m)
    factories.deliver()
    # A phone hides the table's head: each cell says what it is, and a time says its zone.
    english = browser.get(f"/meetings/{meeting.id}/links").text
    for label in ("Kind", "Sent", "Working"):
        assert f'data-label="{label}">' in english, label
    assert re.search(r'data-label="Last sent">\d{1,2} \w{3} \d{4}, \d{2}:\d{2} GMT\+8</td>', english)
    assert re.search(rf'data-label="Expires">\d{{1,2}} \w{{3}} {NEXT_YEAR}, \d{{2}}:\d{{2}} GMT\+8</td>', english)
    chinese = browser.get(f"/meetings/{meeting.id}/links", headers={"Accept-Language": "zh-CN"}).text
    assert re.search(r'data-label="最近发送">\d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2} \(北京时间\)</td>', chinese)
    assert re.search(rf'data-label="到期时间">{NEXT_YEAR}年\d{{1,2}}月\d{{1,2}}日 \d{{2}}:\d{{2}} \(北京时间\)</td>',
                     chinese)


def test_a_group_preview_shows_where_each_person_attends_and_who_fell_back(browser, meeting):
    m = db.session.get(Meeting, meeting.id)
    from meetings.scheduling import sites

    host = factories.person("Host", unit="Bohai Auto", email="host@bohai.example.com")
    sites.add_site(m, {"name": "Main hall", "kind": "main", "timezone": "Asia/Shanghai"})
    sites.add_site(m, {"name": "Bohai room", "kind": "remote", "timezone": "Asia/Shanghai", "host_email": host.email})
    db.session.commit()
    factories.person("Bohai chairman", unit="Bohai Auto", tags=["chairman"])
    factories.person("Other chairman", unit="Venray BV", tags=["chairman"])
    url = f"/meetings/{meeting.id}/invitations"
    preview = browser.post(url, {"email": "", "tags": "chairman", "unit": "", "role": "participant", "site_id": "",
                                 "confirm": ""})
    rows = re.findall(r"<tr>(.*?)</tr>", preview.text.split('id="group-preview"')[1], re.S)
    bohai = next(r for r in rows if "Bohai chairman" in r)
    other = next(r for r in rows if "Other chairman" in r)
    assert "Bohai room" in bohai and "fell-back" not in bohai
    assert "Main hall" in other and "fell-back" in other
    assert 'id="fallback-note"' in preview.text
    assert "With role tags too" in browser.get(url).text


def test_the_role_and_place_of_selected_people_change_at_once(browser, meeting, client):
    from meetings.invitations.services import invitations_of
    from meetings.scheduling import sites

    m = db.session.get(Meeting, meeting.id)
    sites.add_site(m, {"name": "Main hall", "kind": "main", "timezone": "Asia/Shanghai"})
    room = sites.add_site(m, {"name": "Bohai room", "kind": "remote", "timezone": "Asia/Shanghai"})
    db.session.commit()
    people = [factories.invite(m, factories.person(f"Guest {n}")) for n in range(3)]
    url = f"/meetings/{meeting.id}/invitations/bulk"
    done = browser.post(url, {"selected": [str(people[0].id), str(people[1].id)], "role": "observer",
                              "site_id": str(room.id)}, form_page=f"/meetings/{meeting.id}/invitations",
                        follow_redirects=True)
    assert "Changed 2 people." in done.text
    db.session.expire_all()
    after = {i.id: i for i in invitations_of(db.session.get(Meeting, meeting.id))}
    assert [(after[p.id].role, after[p.id].site_id) for p in people[:2]] == [("observer", room.id)] * 2
    assert after[people[2].id].role == "participant" and after[people[2].id].site_id != room.id
    online = browser.post(url, {"selected": [str(people[2].id)], "site_id": "online"},
                          form_page=f"/meetings/{meeting.id}/invitations", follow_redirects=True)
    assert "Changed 1 person." in online.text
    nothing = browser.post(url, {"selected": [], "role": "chair"}, form_page=f"/meetings/{meeting.id}/invitations",
                           follow_redirects=True)
    assert "Tick the people" in nothing.text
    from tests.manage.conftest import sign_in

    other = sign_in(client.application.test_client(), "stranger@example.com")
    assert other.post(url, {"selected": [str(people[0].id)], "role": "chair"},
                      form_page="/").status_code == 404
