"""The pages in Chinese in a real browser whose language is Chinese (zh-CN): an organizer starts a
meeting, a participant answers on a phone, a site host does the roll call; and the link pages
switch language for a reader whose browser asks for the other one."""

import re

import pytest
from playwright.sync_api import expect

from meetings.accounts.services import create_user
from meetings.extensions import db
from meetings.invitations import links
from meetings.invitations.models import Invitation, LinkPurpose
from meetings.scheduling.models import Meeting
from tests.conferencing.helpers import invitation_of, remote_meeting, site_token
from tests.factories import NEXT_YEAR

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "locale": "zh-CN"}


def test_an_organizer_works_in_chinese(live_server, new_page, console):
    create_user("zhao.min@example.com", "organizer", "organizer password", name="赵敏")
    db.session.commit()
    page = new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page.goto(f"{live_server}/login")
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    page.get_by_label("邮箱").fill("zhao.min@example.com")
    page.get_by_label("密码").fill("organizer password")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="即将召开")).to_be_visible()
    page.get_by_role("link", name="新建会议").first.click()

    page.get_by_label("标题", exact=True).fill("Mid-year operation meeting")
    page.get_by_label("中文标题").fill("年中经营工作会")
    page.get_by_label("日期", exact=True).fill(f"{NEXT_YEAR}-07-15")
    page.get_by_label("开始时间", exact=True).fill("14:00")
    page.get_by_label("结束时间", exact=True).fill("13:00")
    page.get_by_label("时区", exact=True).fill("Asia/Shanghai")
    page.get_by_role("button", name="创建草稿").click()
    assert "结束时间必须晚于开始时间" in page.locator("#end_time-error").inner_text()  # at its field, in Chinese
    page.get_by_label("结束时间", exact=True).fill("17:30")
    page.get_by_role("button", name="创建草稿").click()
    expect(page.get_by_role("heading", name="会场", exact=True)).to_be_visible()
    expect(page.get_by_text("会议已创建为草稿")).to_be_visible()
    expect(page.locator(".meeting-line").get_by_text("年中经营工作会")).to_be_visible()
    assert f"{NEXT_YEAR}年7月15日 14:00–17:30 (北京时间)" in page.locator(".meeting-line").inner_text()
    assert db.session.query(Meeting).one().title_zh == "年中经营工作会"
    assert console.errors == []


@pytest.mark.usefixtures("checkin_open")
def test_a_participant_answers_and_a_site_host_calls_the_roll_in_chinese(api, live_server, new_page, console):
    meeting, sites, people = remote_meeting(api.user)
    meeting.title_zh = "年中经营工作会"
    guest = invitation_of(meeting, people["ams_guest"])
    rsvp = links.mint(LinkPurpose.RSVP, meeting_id=meeting.id, invitation_id=guest.id)
    db.session.commit()

    participant = new_page(**PHONE)
    participant.goto(f"{live_server}/rsvp/{rsvp}")
    assert participant.locator("html").get_attribute("lang") == "zh-Hans"
    expect(participant.get_by_role("heading", name="年中经营工作会")).to_be_visible()
    expect(participant.get_by_text("您是否参会？")).to_be_visible()
    assert "(中欧夏令时间)" in participant.locator("#meeting-time").inner_text()  # Sanne lives in Amsterdam
    participant.get_by_role("button", name="接受").click()
    expect(participant.get_by_text("谢谢，您的回复已记录。")).to_be_visible()
    assert participant.locator("#current-answer").inner_text().strip().startswith("接受")

    host = new_page(**PHONE)
    host.goto(f"{live_server}/join/{site_token(sites['rotterdam'])}")
    expect(host.get_by_role("button", name="加入视频会议")).to_be_visible()
    assert "03:00–06:00 (中欧夏令时间)" in host.locator("#site-time").inner_text()
    assert "年" in host.locator("time.local-time").inner_text()  # the device's time, in the page's language
    expect(host.get_by_text("Sanne Visser")).to_be_visible()
    host.get_by_role("link", name=re.compile("点名")).click()
    host.get_by_label(re.compile("Sanne Visser")).check()
    host.get_by_label("名单外到会人数").fill("2")
    host.get_by_role("button", name="保存点名结果").click()
    expect(host.get_by_text("已记录：新到 1 人。")).to_be_visible()
    expect(host.get_by_text("名单外到会 2 人。")).to_be_visible()

    db.session.expire_all()
    sanne = db.session.get(Invitation, guest.id)
    assert sanne.response == "accepted" and sanne.checked_in_at is not None
    assert console.errors == []


def test_a_reader_switches_a_link_page_to_the_other_language(api, live_server, new_page, console):
    meeting, sites, people = remote_meeting(api.user)
    guest = invitation_of(meeting, people["sh_guest"])
    rsvp = links.mint(LinkPurpose.RSVP, meeting_id=meeting.id, invitation_id=guest.id)
    db.session.commit()
    page = new_page(viewport={"width": 390, "height": 844}, is_mobile=True, locale="en-GB")
    page.goto(f"{live_server}/rsvp/{rsvp}")
    expect(page.get_by_text("Will you attend?")).to_be_visible()
    page.get_by_role("link", name="中文").click()
    expect(page.get_by_text("您是否参会？")).to_be_visible()
    page.get_by_role("button", name="暂定").click()  # the answer keeps the page in Chinese
    expect(page.get_by_text("谢谢，您的回复已记录。")).to_be_visible()
    page.get_by_role("link", name="English").click()
    assert page.locator("#current-answer").inner_text().strip().startswith("maybe")
    assert console.errors == []
