"""The rest of a meeting's pages in a real browser, in Chinese and in English, each at 1,366 px and
390 px: sites, agenda, reminders, the people directory, materials, minutes and the action list,
built with long Chinese and English names. No page scrolls sideways or shows a raw enum value
(`Looker` of the organizer's day); screenshots go to build/screens/."""

from __future__ import annotations

import pytest

from meetings.accounts.services import create_user
from meetings.extensions import db
from meetings.materials import services as materials
from meetings.minutes import services as minutes
from meetings.scheduling import sites
from tests import factories
from tests.browser.test_organizers_day import Looker
from tests.factories import wall

pytestmark = pytest.mark.browser

LONG_SITE = "渤汽车 Bohai Automotive Parts Co., Ltd. Yantai plant remote room"


def _meeting(owner):
    day = factories.future_day()
    meeting = factories.meeting(owner, title="Mid-year operation meeting of the group and its enterprises", day=day)
    meeting.title_zh = "集团及所属企业年中经营工作会议"
    host = factories.person("Pieter de Vries-van den Heuvel", email="pieter.de.vries-van.den.heuvel@venray.example.nl",
                            unit="Venray Roof Systems Manufacturing BV", timezone="Europe/Amsterdam",
                            title="Plant manager and head of operations", tags=["enterprise-representative"])
    speaker = factories.person("张建国", email="zhang.jianguo@bohai-automotive.example.com",
                               unit="渤海汽车零部件股份有限公司烟台分公司", title="党委书记、董事长", language="zh_Hans",
                               tags=["party-committee", "vice-director-and-above"])
    bohai = sites.add_site(meeting, {"name": LONG_SITE, "kind": "remote", "timezone": "Asia/Shanghai",
                                     "location": "烟台市经济技术开发区长江路 300 号 综合楼 5 楼大会议室",
                                     "host_email": speaker.email})
    sites.add_site(meeting, {"name": "Venray", "kind": "remote", "timezone": "Europe/Amsterdam",
                             "location": "Plant 2, meeting room Maas", "host_email": host.email})
    db.session.commit()
    report = factories.agenda_item(meeting, title="Half-year operating results and the measures for the second half",
                                   start=wall(day, 9, 30), minutes=60, kind="speech",
                                   speakers=[{"email": speaker.email, "topic": "渤海汽车上半年经营情况及下半年重点工作安排",
                                              "minutes": 25}])
    factories.invite(meeting, factories.person("Guest", email="guest@example.com"), site_id=bohai.id,
                     mode="remote_site")
    factories.publish(meeting)
    materials.upload(meeting, b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n",
                     "渤海汽车上半年经营情况汇报材料（终稿）-very-long-file-name-for-the-report.pdf",
                     agenda_item_id=report.id, user=owner)
    record = minutes.minutes_of(meeting)
    minutes.save_content(record, {
        "notes": [{"agenda_item_id": report.id, "text": "上半年营业收入同比增长 8%。\n- Rotterdam on target"}],
        "decisions": [{"text": "年底前关闭老生产线，并将设备转移至烟台分公司。", "agenda_item_id": report.id}],
        "actions": [{"title": "Plan for closing the old production line and moving its equipment",
                     "owner_email": host.email, "due": factories.future_day(7, 1).isoformat(),
                     "agenda_item_id": report.id}]}, author=owner.email)
    db.session.commit()
    return meeting


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_the_meetings_other_pages_fit_and_speak_the_readers_language(live_server, new_page, console, locale):
    owner = create_user("walk@example.com", "organizer", "organizer password", name="赵敏")
    db.session.commit()
    meeting = _meeting(owner)
    page = new_page(viewport={"width": 1366, "height": 900}, locale=locale)
    looker = Looker(page, locale)
    looker.step = 40  # after the organizer's day's screenshots
    page.goto(f"{live_server}/login")
    page.fill("input[name=email]", "walk@example.com")
    page.fill("input[name=password]", "organizer password")
    page.click("form button[type=submit]")
    page.wait_for_url(f"{live_server}/")

    base = f"{live_server}/meetings/{meeting.id}"
    for path, name in ((f"{base}/sites", "sites"), (f"{base}/agenda", "agenda"), (f"{base}/reminders", "reminders"),
                       (f"{live_server}/people", "people"), (f"{base}/materials", "materials"),
                       (f"{base}/minutes", "minutes"), (f"{live_server}/actions", "actions"),
                       (f"{base}/attendance", "attendance-long-names")):
        answer = page.goto(path)
        assert answer.status == 200, path
        looker.look(name)
    assert not console.errors, console.errors
