"""What is sent follows its recipient's language: the same meeting's invites, updates,
cancellations, confirmations, reminders and site links, and their calendar copies (parsed back
with vobject), for readers of Chinese and of English, with no words of the other language left
over from the interface. Titles are given in both languages, so that is checkable: anything of
the other script that remains is data people typed (names, places, topics), which is taken out
before looking."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
import vobject

from meetings.conferencing import services as conferencing
from meetings.extensions import db
from meetings.invitations import answers, links, services as invitations
from meetings.invitations.models import LinkPurpose
from meetings.scheduling import agenda, services as scheduling, sites
from tests import factories
from tests.factories import NEXT_YEAR, future_day, wall

TITLE, TITLE_ZH = f"{NEXT_YEAR} Mid-year Operation Meeting", f"{NEXT_YEAR}年年中经营会议"
#: What people typed, in one language only: taken out of a text before looking for leftovers.
DATA = ["李明", "赵敏", "王芳", "Pieter de Vries", "Emma Visser", "总部主会场", "世纪大道1000号", "北京分公司视频会议室",
        "Rotterdam room", "Waalhaven 12", "Roof systems"]
#: 09:00–12:00 in Shanghai on 10 June: 01:00 UTC, 03:00 in Amsterdam (CEST).
START = datetime(NEXT_YEAR, 6, 10, 1, 0, tzinfo=timezone.utc)

CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


def leftovers(text: str, language: str) -> list[str]:
    """Words of the other language in ``text`` once links, addresses, markup and typed data are
    taken out: English words in a Chinese text, Chinese characters in an English one."""
    text = re.sub(r"<[^>]*>|&#?\w+;", " ", text)
    text = re.sub(r"https?://\S+|mailto:\S+|[\w.+-]+@[\w.-]+", " ", text)
    for value in sorted(DATA, key=len, reverse=True):
        text = text.replace(value, " ")
    return LATIN_WORD.findall(text) if language == "zh_Hans" else CJK.findall(text)


def parts(message) -> dict:
    """Subject, text, HTML and the calendar (parsed by vobject, None without one) of a message."""
    html = message.get_body(("html",))
    calendar = next((p for p in message.walk() if p.get_content_type() == "text/calendar"), None)
    return {"subject": str(message["Subject"]), "text": message.get_body(("plain",)).get_content(),
            "html": html.get_content() if html is not None else "",
            "calendar": vobject.readOne(calendar.get_content()) if calendar is not None else None}


def calendar_texts(calendar) -> list[str]:
    """Every text of a calendar copy that people read: summary, description, location, alarms,
    the join link's label."""
    event = calendar.vevent
    texts = [event.summary.value]
    texts += [event.contents[name][0].value for name in ("description", "location") if name in event.contents]
    texts += [alarm.description.value for alarm in event.contents.get("valarm", [])]
    texts += [label for conference in event.contents.get("conference", [])
              for label in conference.params.get("LABEL", [])]
    return texts


def assert_all_in_language(message, language: str) -> dict:
    """Every part of ``message`` is in ``language``; returns the parts."""
    got = parts(message)
    for name in ("subject", "text", "html"):
        assert leftovers(got[name], language) == [], (name, got[name])
    if got["calendar"] is not None:
        for text in calendar_texts(got["calendar"]):
            assert leftovers(text, language) == [], text
    return got


@pytest.fixture()
def cast(app):
    return {
        "chair": factories.person("李明", email="li.ming@example.com", language="zh_Hans"),
        "online_zh": factories.person("赵敏", email="zhao.min@example.com", language="zh_Hans"),
        "host_zh": factories.person("王芳", email="wang.fang@example.com", language="zh_Hans"),
        "speaker": factories.person("Pieter de Vries", email="pieter@example.com", language="en",
                                    timezone="Europe/Amsterdam"),
        "host_en": factories.person("Emma Visser", email="emma@example.com", language="en",
                                    timezone="Europe/Amsterdam"),
    }


@pytest.fixture()
def meeting(api, cast):
    """A meeting titled in both languages, with an agenda titled in both; a main venue and a
    remote site with Chinese names, one with an English name; readers of both languages."""
    meeting = factories.meeting(api.user, main_site=False)
    scheduling.update_meeting(meeting, {"title": TITLE, "title_zh": TITLE_ZH})
    sites.add_site(meeting, {"name": "总部主会场", "kind": "main", "location": "世纪大道1000号"})
    sites.add_site(meeting, {"name": "北京分公司视频会议室", "timezone": "Asia/Shanghai",
                             "host_email": cast["host_zh"].email})
    sites.add_site(meeting, {"name": "Rotterdam room", "timezone": "Europe/Amsterdam", "location": "Waalhaven 12",
                             "host_email": cast["host_en"].email})
    agenda.add_item(meeting, {"title": "The president's operation report", "title_zh": "总裁经营报告",
                              "start": wall(future_day(), 10), "duration_minutes": 30,
                              "speakers": [{"email": cast["speaker"].email, "topic": "Roof systems", "minutes": 20}]})
    agenda.add_item(meeting, {"title": "The chairman's speech", "title_zh": "董事长讲话", "duration_minutes": 30})
    db.session.commit()
    factories.invite(meeting, cast["chair"], "chair")
    factories.invite(meeting, cast["online_zh"], "observer", mode="online")
    factories.invite(meeting, cast["speaker"], "speaker", mode="online")
    return meeting


def published(meeting, smtp) -> dict:
    """Publish, deliver, and return the invites by recipient."""
    factories.publish(meeting)
    factories.deliver()
    received = {mail.rcpt_tos[0]: mail.message for mail in smtp.mailbox.wait_for(5)}
    assert len(received) == 5
    smtp.mailbox.clear()
    return received


def test_the_same_invite_reads_right_in_chinese_and_in_english(meeting, cast, smtp):
    received = published(meeting, smtp)
    for person in cast.values():
        assert_all_in_language(received[person.email], person.language)

    chair = parts(received[cast["chair"].email])
    assert chair["subject"] == f"会议邀请：{TITLE_ZH}，{NEXT_YEAR}年6月10日 09:00 (北京时间)"
    text = chair["text"]
    assert text.startswith("尊敬的李明：") and f"诚邀您参加{TITLE_ZH}。" in text
    assert f"时间：{NEXT_YEAR}年6月10日 09:00–12:00 (北京时间)" in text
    assert "您的身份：主持人" in text and "地点：总部主会场，世纪大道1000号" in text
    assert "会议议程（北京时间）：" in text and "10:00–10:30  总裁经营报告" in text and "董事长讲话" in text
    assert f"<strong>{TITLE_ZH}</strong>" in chair["html"] and "总裁经营报告" in chair["html"]
    event = chair["calendar"].vevent
    assert event.summary.value == TITLE_ZH
    assert event.location.value == "总部主会场，世纪大道1000号"
    assert "您的身份：主持人" in event.description.value and "总裁经营报告" in event.description.value
    assert {alarm.description.value for alarm in event.contents["valarm"]} == {TITLE_ZH}

    online = parts(received[cast["online_zh"].email])["calendar"].vevent
    assert online.location.value == "线上（视频会议）"
    assert online.conference.params["LABEL"] == ["加入视频会议"]

    speaker = parts(received[cast["speaker"].email])
    assert speaker["subject"] == f"Invitation: {TITLE}, 10 Jun {NEXT_YEAR}, 03:00 CEST"
    text = speaker["text"]
    assert text.startswith("Dear Pieter de Vries,") and f"You are invited to {TITLE}." in text
    assert f"When: 10 Jun {NEXT_YEAR}, 03:00–06:00 CEST" in text
    assert "Your role: speaker" in text and "Where: online, by videoconference" in text
    assert 'Your speaking slot: 04:00–04:20 (20 minutes), on "Roof systems"' in text
    assert "Agenda (CEST):" in text and "04:00–04:30  The president's operation report" in text
    event = speaker["calendar"].vevent
    assert event.summary.value == TITLE and event.location.value == "Online (videoconference)"
    assert event.conference.params["LABEL"] == ["Join the videoconference"]
    assert "Your role: speaker" in event.description.value
    assert {alarm.description.value for alarm in event.contents["valarm"]} == {f"Your talk at {TITLE}"}

    host = parts(received[cast["host_en"].email])["text"]
    assert "03:00–06:00 local time at Rotterdam room" not in host  # their zone is the site's
    assert "Where: Rotterdam room, Waalhaven 12" in host and "Your role: site host" in host


def test_updates_and_cancellations_follow_each_recipient(meeting, cast, smtp):
    published(meeting, smtp)
    scheduling.update_meeting(meeting, {"start": wall(future_day(), 10)})
    db.session.commit()
    assert factories.deliver(later_minutes=2).sent == 5
    updates = {mail.rcpt_tos[0]: mail.message for mail in smtp.mailbox.wait_for(5)}
    for person in cast.values():
        assert_all_in_language(updates[person.email], person.language)
    chair = parts(updates[cast["chair"].email])
    assert chair["subject"] == f"会议变更：{TITLE_ZH}，{NEXT_YEAR}年6月10日 10:00 (北京时间)"
    assert f"{TITLE_ZH}自您上次收到的通知以来的变化：\n- 时间：{NEXT_YEAR}年6月10日 09:00–12:00 (北京时间) → " \
        f"{NEXT_YEAR}年6月10日 10:00–13:00 (北京时间)" in chair["text"]
    assert "目前的安排如下：" in chair["text"] and "您目前的回复：待回复。" in chair["text"]
    speaker = parts(updates[cast["speaker"].email])
    assert speaker["subject"] == f"Updated: {TITLE}, 10 Jun {NEXT_YEAR}, 04:00 CEST"
    assert "Your answer so far: no answer yet." in speaker["text"]
    smtp.mailbox.clear()

    scheduling.cancel_meeting(meeting)
    db.session.commit()
    assert factories.deliver().sent == 5
    cancels = {mail.rcpt_tos[0]: mail.message for mail in smtp.mailbox.wait_for(5)}
    for person in cast.values():
        assert_all_in_language(cancels[person.email], person.language)
    chair = parts(cancels[cast["chair"].email])
    assert chair["subject"].startswith(f"会议取消：{TITLE_ZH}，")
    assert f"原定于{NEXT_YEAR}年6月10日 10:00–13:00 (北京时间)召开的{TITLE_ZH}已取消。" in chair["text"]
    assert chair["calendar"].vevent.summary.value == f"【已取消】{TITLE_ZH}"
    speaker = parts(cancels[cast["speaker"].email])
    assert speaker["subject"].startswith(f"Cancelled: {TITLE}, ")
    assert speaker["calendar"].vevent.summary.value == f"Cancelled: {TITLE}"


def test_someone_taken_off_the_list_is_told_in_their_language(meeting, cast, smtp):
    published(meeting, smtp)
    for person in (cast["online_zh"], cast["speaker"]):
        invitation = next(i for i in invitations.invitations_of(meeting) if i.person_id == person.id)
        invitations.remove_invitation(meeting, invitation)
    db.session.commit()
    factories.deliver()
    received = {mail.rcpt_tos[0]: mail.message for mail in smtp.mailbox.wait_for(2)}
    zh = assert_all_in_language(received[cast["online_zh"].email], "zh_Hans")
    assert zh["subject"].startswith(f"参会邀请已撤销：{TITLE_ZH}，")
    en = assert_all_in_language(received[cast["speaker"].email], "en")
    assert en["subject"].startswith(f"No longer invited: {TITLE}, ")


def test_answers_are_confirmed_in_the_language_of_who_answered(meeting, cast, smtp):
    published(meeting, smtp)
    for person in (cast["chair"], cast["speaker"]):
        invitation = next(i for i in invitations.invitations_of(meeting) if i.person_id == person.id)
        answers.record_response(invitation, "accepted")
    db.session.commit()
    factories.deliver(later_minutes=1)  # past CONFIRMATION_DELAY_SECONDS
    received = {mail.rcpt_tos[0]: mail.message for mail in smtp.mailbox.wait_for(2)}
    zh = assert_all_in_language(received[cast["chair"].email], "zh_Hans")
    assert zh["subject"] == f"您的回复：接受 – {TITLE_ZH}"
    assert f"您对{TITLE_ZH}的回复已记录：接受。" in zh["text"]
    en = assert_all_in_language(received[cast["speaker"].email], "en")
    assert en["subject"] == f"Your answer: accepted – {TITLE}"


def test_a_new_site_link_reaches_each_host_in_their_language(meeting, cast, smtp):
    published(meeting, smtp)
    by_name = {site.name: site for site in meeting.sites}
    conferencing.rotate_site_link(by_name["北京分公司视频会议室"])
    conferencing.rotate_site_link(by_name["Rotterdam room"])
    db.session.commit()
    assert factories.deliver().sent == 2
    received = {mail.rcpt_tos[0]: mail.message for mail in smtp.mailbox.wait_for(2)}
    zh = assert_all_in_language(received[cast["host_zh"].email], "zh_Hans")
    assert zh["subject"] == f"北京分公司视频会议室入会链接已更换：{TITLE_ZH}"
    assert "原链接已失效" in zh["text"] and "北京分公司视频会议室点名签到：https://" in zh["text"]
    en = assert_all_in_language(received[cast["host_en"].email], "en")
    assert en["subject"] == f"New join link for Rotterdam room: {TITLE}"
    assert "the earlier link no longer works" in en["text"]


def test_reminders_follow_each_recipient(meeting, cast, smtp):
    published(meeting, smtp)
    # The speaker's first reminder: three days before their slot (10:00 in Shanghai).
    factories.deliver(at=START + timedelta(hours=1) - timedelta(days=3))
    [mail] = smtp.mailbox.wait_for(1)
    speaker = assert_all_in_language(mail.message, "en")
    assert speaker["subject"] == f"Reminder: {TITLE}, your talk at 10 Jun {NEXT_YEAR}, 04:00 CEST"
    assert "prepare your talk" in speaker["text"]
    smtp.mailbox.clear()
    factories.deliver(at=START - timedelta(days=1))
    day_before = {mail.rcpt_tos[0]: mail.message for mail in smtp.mailbox.wait_for(3)}
    assert set(day_before) == {cast["chair"].email, cast["host_zh"].email, cast["host_en"].email}
    chair = assert_all_in_language(day_before[cast["chair"].email], "zh_Hans")
    assert chair["subject"] == f"会议提醒：{TITLE_ZH}，{NEXT_YEAR}年6月10日 09:00 (北京时间)"
    assert f"温馨提醒：{TITLE_ZH}将于{NEXT_YEAR}年6月10日 09:00 (北京时间)召开。" in chair["text"]
    assert "会议议程（北京时间）：" in chair["text"] and "总裁经营报告" in chair["text"]
    assert chair["calendar"] is None  # a reminder is no invite
    host_zh = assert_all_in_language(day_before[cast["host_zh"].email], "zh_Hans")
    assert host_zh["subject"] == f"会议提醒：{TITLE_ZH}，请于{NEXT_YEAR}年6月10日 09:00 (北京时间)前完成音视频调试"
    host_en = assert_all_in_language(day_before[cast["host_en"].email], "en")
    assert host_en["subject"] == f"Reminder: {TITLE}, sound and picture check before 10 Jun {NEXT_YEAR}, 03:00 CEST"


def test_a_title_in_one_language_only_is_shown_to_readers_of_the_other(api, cast, smtp):
    meeting = factories.meeting(api.user)
    scheduling.update_meeting(meeting, {"title": "", "title_zh": "仅有中文标题的会议"})
    agenda.add_item(meeting, {"title": "English only item", "duration_minutes": 30})
    agenda.add_item(meeting, {"title": "", "title_zh": "仅有中文的议程", "duration_minutes": 30})
    db.session.commit()
    factories.invite(meeting, cast["chair"], "chair")
    factories.invite(meeting, cast["speaker"], "participant")
    factories.publish(meeting)
    factories.deliver()
    received = {mail.rcpt_tos[0]: parts(mail.message) for mail in smtp.mailbox.wait_for(2)}
    english = received[cast["speaker"].email]
    assert english["subject"].startswith("Invitation: 仅有中文标题的会议, ")
    assert english["calendar"].vevent.summary.value == "仅有中文标题的会议"
    assert "English only item" in english["text"] and "仅有中文的议程" in english["text"]
    chinese = received[cast["chair"].email]
    assert chinese["subject"].startswith("会议邀请：仅有中文标题的会议，")
    assert "English only item" in chinese["text"] and "仅有中文的议程" in chinese["text"]
    assert "English only item" in chinese["calendar"].vevent.description.value


def test_a_persons_feed_is_in_their_language(meeting, cast, client):
    factories.publish(meeting)
    for person, title, name in ((cast["chair"], TITLE_ZH, "李明的会议日程"),
                                (cast["speaker"], TITLE, "Meetings: Pieter de Vries")):
        token = links.mint(LinkPurpose.FEED, person_id=person.id)
        db.session.commit()
        # The feed follows its person, whatever the language of the calendar app that fetches it.
        response = client.get(f"/feeds/{token}.ics", headers={"Accept-Language": "de-DE, fr"})
        assert response.status_code == 200
        calendar = vobject.readOne(response.get_data(as_text=True))
        assert calendar.vevent.summary.value == title
        assert calendar.contents["x-wr-calname"][0].value == name
        for text in calendar_texts(calendar):
            assert leftovers(text, person.language) == [], text


def test_changing_the_chinese_title_is_a_change_participants_see_like_the_title(meeting, cast, api, smtp):
    published(meeting, smtp)
    before = meeting.sequence
    response = api.patch(f"/api/meetings/{meeting.id}", json={"title_zh": f"{NEXT_YEAR}年年中经营工作会议"})
    assert response.status_code == 200 and response.json["title_zh"] == f"{NEXT_YEAR}年年中经营工作会议"
    after_zh = response.json["sequence"]
    assert factories.deliver(later_minutes=2).sent == 5
    updates = {mail.rcpt_tos[0]: parts(mail.message) for mail in smtp.mailbox.wait_for(5)}
    assert updates[cast["chair"].email]["subject"].startswith(f"会议变更：{NEXT_YEAR}年年中经营工作会议，")
    assert updates[cast["speaker"].email]["subject"].startswith(f"Updated: {TITLE}, ")
    smtp.mailbox.clear()
    response = api.patch(f"/api/meetings/{meeting.id}", json={"title": "Mid-year Operation Work Meeting"})
    assert response.status_code == 200
    # The same rule for both titles: both send the update, and SEQUENCE moves (or not) alike.
    assert after_zh - before == response.json["sequence"] - after_zh
    assert factories.deliver(later_minutes=2).sent == 5


def test_a_preview_for_no_one_in_particular_reads_in_the_language_of_the_page(meeting, cast):
    from meetings.core.i18n import in_language
    from meetings.notifications.emails import preview_invite

    with in_language("zh_Hans"):
        chinese = preview_invite(meeting, "participant")
    assert chinese.subject.startswith(f"会议邀请：{TITLE_ZH}，") and leftovers(chinese.text, "zh_Hans") == []
    with in_language("en"):
        english = preview_invite(meeting, "participant")
        # Someone's own copy is in their language, whatever the page's.
        theirs = preview_invite(meeting, "chair", cast["chair"])
    assert english.subject.startswith(f"Invitation: {TITLE}, ") and leftovers(english.text, "en") == []
    assert theirs.subject.startswith(f"会议邀请：{TITLE_ZH}，")
