"""Pages in both languages: the signed-in user's choice first, then the browser's Accept-Language,
then English; link pages switch with ?lang=; titles and times follow the reader."""

import html
import re

import pytest

from meetings.accounts.models import User
from meetings.extensions import db
from meetings.invitations import links
from meetings.invitations.models import LinkPurpose
from meetings.scheduling.models import AgendaItem, Meeting
from tests import factories
from tests.conferencing.helpers import remote_meeting, site_token, text_of
from tests.factories import NEXT_YEAR, last_sunday
from tests.manage.conftest import sign_in

CHINESE = {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"}


def error_of(page, field_id):
    match = re.search(rf'id="{field_id}-error">([^<]+)<', page.text)
    return html.unescape(match.group(1)) if match else None


def meeting_form(**overrides):
    data = {"title": "Mid-year operation meeting", "title_zh": "年中经营工作会", "description": "",
            "kind": "operation", "date": f"{NEXT_YEAR}-06-10", "start_time": "14:00", "end_time": "17:30",
            "timezone": "Asia/Shanghai"}
    data.update(overrides)
    return data


@pytest.fixture()
def browser(client):
    return sign_in(client, "organizer.zh@example.com")


def test_a_browser_that_asks_for_chinese_gets_the_dashboard_in_chinese(browser):
    factories.meeting(browser.user, title="Mid-year operation meeting")
    meeting = db.session.query(Meeting).one()
    meeting.title_zh = "年中经营工作会"
    db.session.commit()
    page = browser.get("/", headers=CHINESE)
    assert page.status_code == 200
    assert '<html lang="zh-Hans">' in page.text
    for words in ("新建会议", "即将召开", "已邀请", "未回复", "年中经营工作会", "草稿", "退出登录"):
        assert words in page.text, words
    assert "Mid-year operation meeting" not in page.text and "Upcoming" not in page.text
    # The same page without Accept-Language (every other test): English, the English title.
    english = browser.get("/")
    assert '<html lang="en">' in english.text and "Upcoming" in english.text
    assert "Mid-year operation meeting" in english.text and "年中经营工作会" not in english.text


def test_the_meeting_page_in_chinese_names_the_time_zone_and_the_agenda_in_chinese(browser):
    meeting = factories.meeting(browser.user, title="Mid-year operation meeting")
    factories.agenda_item(meeting, title="Half-year report", kind="report", minutes=45)
    item = db.session.query(AgendaItem).one()
    item.title_zh = "半年工作报告"
    db.session.commit()
    page = browser.get(f"/meetings/{meeting.id}", headers=CHINESE)
    assert page.status_code == 200
    when = text_of(page.text, "meeting-time")
    assert re.search(rf"{NEXT_YEAR}年\d+月\d+日 09:00–12:00 \(北京时间\)", when), when
    # Then the zone's id and offset: not its abbreviation again ("CST" reads as US Central).
    assert "Asia/Shanghai, UTC+08:00" in when and "CST" not in when, when
    for words in ("会场", "议程", "半年工作报告", "报告，45 分钟", "主会场", "删除草稿"):  # a draft is deleted, not cancelled
        assert words in page.text, words
    # No Chinese title for the meeting: Chinese readers see the English one rather than nothing.
    assert "Mid-year operation meeting" in page.text


def test_an_agenda_items_kind_and_length_are_punctuated_in_the_readers_language(browser):
    meeting = factories.meeting(browser.user, title="Mid-year operation meeting")
    factories.agenda_item(meeting, title="Half-year report", kind="report", minutes=45)
    for path in (f"/meetings/{meeting.id}", f"/meetings/{meeting.id}/agenda"):
        assert "报告，45 分钟" in browser.get(path, headers=CHINESE).text, path
        assert "report, 45 min" in browser.get(path).text, path


def test_the_roll_call_names_the_meeting_and_its_time_punctuated_in_the_readers_language(api, client):
    meeting, sites, _ = remote_meeting(api.user)
    meeting.title_zh = "年中经营工作会"
    db.session.commit()
    token = site_token(sites["plant"])
    chinese = client.get(f"/join/{token}/roll-call", headers=CHINESE).text
    assert re.search(rf'<p class="meta">年中经营工作会，{NEXT_YEAR}年\d+月\d+日 09:00 \(北京时间\)</p>', chinese)
    english = client.get(f"/join/{token}/roll-call").text
    assert re.search(r'<p class="meta">Mid-year operation meeting, \d+ \w+ \d{4}, 09:00 GMT\+8</p>', english)


def test_an_organizer_enters_the_chinese_titles_next_to_the_titles(browser):
    response = browser.post("/meetings/new", meeting_form())
    assert response.status_code == 302
    meeting = db.session.query(Meeting).one()
    assert (meeting.title, meeting.title_zh) == ("Mid-year operation meeting", "年中经营工作会")
    details = browser.get(f"/meetings/{meeting.id}/details")
    assert "Title in Chinese / 中文标题" in details.text and 'value="年中经营工作会"' in details.text
    browser.post(f"/meetings/{meeting.id}/sites", {"name": "Main hall", "kind": "main", "timezone": "Asia/Shanghai"})
    added = browser.post(f"/meetings/{meeting.id}/agenda", {"title": "Half-year report", "title_zh": "半年工作报告",
                                                            "kind": "report", "duration_minutes": "30"})
    assert added.status_code == 302
    item = db.session.query(AgendaItem).one()
    assert (item.title, item.title_zh) == ("Half-year report", "半年工作报告")
    assert "半年工作报告" in browser.get(f"/meetings/{meeting.id}/agenda", headers=CHINESE).text


@pytest.mark.parametrize("overrides, field, words", [
    ({"end_time": "13:00"}, "end_time", "结束时间必须晚于开始时间"),
    ({"title": "", "title_zh": ""}, "title", "不能为空（请填写英文标题、中文标题"),
    ({"title": "x" * 201}, "title", "最多 200 个字符"),
    ({"timezone": "Asia/Beijing"}, "timezone", "不是已知的 IANA 时区"),
    ({"date": "not a date"}, "date", "日期"),  # WTForms' own message, in its own catalog
])
def test_form_errors_are_in_the_readers_language(browser, overrides, field, words):
    page = browser.post("/meetings/new", meeting_form(**overrides), headers=CHINESE)
    assert page.status_code == 200
    assert words in (error_of(page, field) or ""), error_of(page, field)


def test_the_dst_gap_and_an_overlap_are_explained_in_chinese(browser):
    day = last_sunday(NEXT_YEAR, 3)
    page = browser.post("/meetings/new", meeting_form(date=day.isoformat(), start_time="02:30", end_time="04:00",
                                                      timezone="Europe/Amsterdam"), headers=CHINESE)
    assert "夏令时开始时时钟会跳过这一小时" in error_of(page, "start_time")
    meeting = factories.meeting(browser.user)
    factories.agenda_item(meeting, title="Opening", start=factories.wall(meeting.start_at.date(), 9), minutes=60)
    page = browser.post(f"/meetings/{meeting.id}/agenda", {"title": "Second", "kind": "other",
                                                           "start_time": "09:30", "duration_minutes": "30"},
                        headers=CHINESE)
    assert "时间重叠" in error_of(page, "start_time")


def test_the_sign_in_page_switches_language_before_anyone_has_an_account_choice(client):
    from meetings.accounts.services import create_user

    create_user("someone@example.com", "organizer", "a long password")
    db.session.commit()
    # A Chinese reader on an English browser: the sign-in page offers the other language, keeping
    # where they were going.
    page = client.get("/login?next=/people").text
    switch = re.search(r'<a href="([^"]+)"\s+hreflang="zh-Hans" lang="zh-Hans" id="language-switch">中文</a>', page)
    assert switch is not None, "no switch to Chinese on the sign-in page"
    chinese = client.get(html.unescape(switch.group(1)))
    assert "<h1>登录</h1>" in chinese.text and 'id="language-switch">English</a>' in chinese.text
    # The form posts back to the same address: a mistake is explained in the chosen language.
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', chinese.text).group(1)
    wrong = client.post(html.unescape(switch.group(1)),
                        data={"email": "someone@example.com", "password": "wrong password", "csrf_token": token})
    assert wrong.status_code == 401 and "邮箱或密码错误。" in wrong.text
    signed_in = client.post(html.unescape(switch.group(1)),
                            data={"email": "someone@example.com", "password": "a long password", "csrf_token": token})
    assert signed_in.status_code == 302 and signed_in.headers["Location"].endswith("/people")
    # Signed in, the account's own choice rules (the account page): no switch in the menu.
    assert 'id="language-switch"' not in client.get("/people").text


def test_a_user_who_chose_english_gets_english_whatever_the_browser_asks(client):
    browser = sign_in(client, "english@example.com")
    browser.user.language = "en"
    db.session.commit()
    page = browser.get("/", headers=CHINESE)
    assert '<html lang="en">' in page.text and "New meeting" in page.text and "新建会议" not in page.text


def test_the_language_choice_is_saved_on_the_account_page(browser):
    page = browser.get("/account/password")
    assert "Follow my browser" in page.text and "中文" in page.text and "English" in page.text
    saved = browser.post("/account/language", {"language": "zh_Hans"}, form_page="/account/password",
                         follow_redirects=True)
    assert saved.status_code == 200 and "页面语言已保存" in saved.text
    assert db.session.get(User, browser.user.id).language == "zh_Hans"
    assert "新建会议" in browser.get("/").text  # no Accept-Language at all: the choice rules
    back = browser.post("/account/language", {"language": ""}, form_page="/account/password")
    assert back.status_code == 302 and db.session.get(User, browser.user.id).language is None
    assert "New meeting" in browser.get("/").text
    wrong = browser.post("/account/language", {"language": "fr"}, form_page="/account/password")
    assert wrong.status_code == 200 and db.session.get(User, browser.user.id).language is None


def test_the_rsvp_page_in_chinese(api, client):
    meeting = factories.meeting(api.user, title="Operation meeting")
    meeting.title_zh = "经营工作会"
    person = factories.person("李明", email="li.ming@example.com")
    invitation = factories.invite(meeting, person, "participant")
    factories.publish(meeting)
    token = links.mint(LinkPurpose.RSVP, meeting_id=meeting.id, invitation_id=invitation.id)
    db.session.commit()
    page = client.get(f"/rsvp/{token}", headers=CHINESE)
    assert page.status_code == 200 and '<html lang="zh-Hans">' in page.text
    for words in ("经营工作会", "参会人", "待回复", "您是否参会？", "接受", "暂定", "谢绝", "委托他人参会", "(北京时间)"):
        assert words in page.text, words
    # The time names its zone once, in brackets, then the zone's id and offset (no second brackets).
    when = text_of(page.text, "meeting-time")
    assert re.search(r"\d{2}:\d{2} \(北京时间\) · Asia/Shanghai, UTC\+08:00$", when), when
    answered = client.post(f"/rsvp/{token}", data={"response": "declined"}, headers=CHINESE)
    shown = client.get(answered.headers["Location"], headers=CHINESE)
    assert "谢谢，您的回复已记录。" in shown.text and "谢绝" in text_of(shown.text, "current-answer")
    # A reader without Chinese in the browser switches with ?lang=, which the answer keeps.
    english = client.get(f"/rsvp/{token}?lang=en", headers=CHINESE)
    assert "Will you attend?" in english.text
    switched = client.get(f"/rsvp/{token}?lang=zh_Hans")
    assert "您是否参会？" in switched.text
    kept = client.post(f"/rsvp/{token}?lang=zh_Hans", data={"response": "accepted"})
    assert "lang=zh_Hans" in kept.headers["Location"]


@pytest.mark.parametrize("header, language", [
    ("zh-CN,zh;q=0.9,en;q=0.5", "zh-Hans"),
    ("en;q=0.4, zh-CN;q=0.8", "zh-Hans"),  # by quality, not by order
    ("fr-FR,fr;q=0.9,en-GB;q=0.8,zh;q=0.7", "en"),  # the first of ours the reader reads
    ("fr-FR,de;q=0.9", "en"),  # none of ours: the default
    ("de;q=0.9," * 40 + "zh-CN;q=0.95", "zh-Hans"),  # a header longer than any kept is read too
])
def test_a_link_page_follows_the_best_language_of_ours_the_browser_offers(api, client, header, language):
    meeting = factories.meeting(api.user, title="Operation meeting")
    invitation = factories.invite(meeting, factories.person("李明", email="li.ming@example.com"), "participant")
    token = links.mint(LinkPurpose.RSVP, meeting_id=meeting.id, invitation_id=invitation.id)
    db.session.commit()
    for _ in range(2):  # read, then known for that header
        page = client.get(f"/rsvp/{token}", headers={"Accept-Language": header})
        assert page.status_code == 200 and f'<html lang="{language}">' in page.text


def test_the_join_page_in_chinese_shows_the_sites_time_and_names_its_zone(api, client):
    meeting, sites, _ = remote_meeting(api.user)
    plant, rotterdam = site_token(sites["plant"]), site_token(sites["rotterdam"])
    page = client.get(f"/join/{plant}", headers=CHINESE)
    assert page.status_code == 200
    shown = text_of(page.text, "site-time")
    assert re.search(rf"{NEXT_YEAR}年\d+月\d+日 09:00–12:00 \(北京时间\)", shown), shown
    for words in ("加入视频会议", "议程", "应到人员", "待回复"):
        assert words in page.text, words
    abroad = text_of(client.get(f"/join/{rotterdam}", headers=CHINESE).text, "site-time")
    assert "03:00–06:00 (中欧夏令时间)" in abroad
    english = text_of(client.get(f"/join/{rotterdam}").text, "site-time")
    assert "03:00–06:00 CEST" in english


def test_reminders_are_written_and_read_in_chinese_units(browser):
    meeting = factories.meeting(browser.user)
    page = browser.get(f"/meetings/{meeting.id}/reminders", headers=CHINESE)
    assert 'value="1 天, 1 小时"' in page.text  # the chair's defaults
    saved = browser.post(f"/meetings/{meeting.id}/reminders", {"chair": "2 天，3 小时", "participant": "1 day, 15 分钟"},
                         headers=CHINESE)
    assert saved.status_code == 302
    page = browser.get(f"/meetings/{meeting.id}/reminders", headers=CHINESE)
    assert 'value="2 天, 3 小时"' in page.text and 'value="1 天, 15 分钟"' in page.text
    assert 'value="1 day, 15 min"' in browser.get(f"/meetings/{meeting.id}/reminders").text
    wrong = browser.post(f"/meetings/{meeting.id}/reminders", {"chair": "2 周"}, headers=CHINESE)
    assert "不是会前的时间" in wrong.text


def test_the_api_answers_in_english_unless_the_client_asks_for_chinese(api):
    bad = {"title": "Operation meeting", "start": f"{NEXT_YEAR}-06-10T14:00", "end": f"{NEXT_YEAR}-06-10T13:00",
           "timezone": "Asia/Shanghai"}
    english = api.post("/api/meetings", json=bad)
    assert english.status_code == 422
    assert english.json["error"]["fields"]["end"] == ["The end must be after the start."]
    chinese = api.post("/api/meetings", json=bad, headers=CHINESE)
    assert chinese.status_code == 422
    assert chinese.json["error"]["fields"]["end"] == ["结束时间必须晚于开始时间。"]
    assert api.get("/api/meetings/999999", headers=CHINESE).json["error"]["message"] == "没有编号为 999999 的会议。"


def test_a_roster_with_errors_is_explained_in_chinese(browser):
    import io

    roster = "name,email\n李明,li.ming@example.com\n王芳,LI.MING@example.com\n".encode()
    page = browser.post("/people/import", {"file": (io.BytesIO(roster), "roster.csv")}, headers=CHINESE,
                        content_type="multipart/form-data", form_page="/people/import")
    assert page.status_code == 200
    assert "有 1 行存在错误" in page.text and "在第 2 行也出现过" in page.text


def test_a_token_users_own_language_wins_over_their_clients(api):
    api.user.language = "zh_Hans"
    db.session.commit()
    missing = api.get("/api/meetings/999999", headers={"Accept-Language": "en"})
    assert missing.json["error"]["message"] == "没有编号为 999999 的会议。"
    api.user.language = None  # follows the client again
    db.session.commit()
    assert api.get("/api/meetings/999999", headers=CHINESE).json["error"]["message"] == "没有编号为 999999 的会议。"
    assert api.get("/api/meetings/999999").json["error"]["message"] == "No meeting with id 999999."
