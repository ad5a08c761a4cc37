"""The attendance page shows what the XLSX's summary shows: each site's head count of people not
on the list beside those checked in; and the chart writes long site names whole, on lines."""

from __future__ import annotations

import re

from meetings.attendance import services as attendance
from meetings.extensions import db
from meetings.manage.board import wrap_label
from meetings.scheduling import sites
from tests import factories

LONG = "渤汽车 Bohai Automotive Parts Co., Ltd. remote room"


def test_head_counts_and_whole_site_names(browser):
    meeting = factories.meeting(browser.user)
    bohai = sites.add_site(meeting, {"name": LONG, "kind": "remote", "timezone": "Asia/Shanghai"})
    guest = factories.invite(meeting, factories.person("Guest", email="guest@example.com"), site_id=bohai.id,
                             mode="remote_site")
    factories.publish(meeting)
    attendance.check_in(guest, "manual", user=browser.user)
    attendance.record_head_count(bohai, 7)
    attendance.record_head_count(bohai, 9)  # the latest counts
    db.session.commit()

    page = browser.get(f"/meetings/{meeting.id}/attendance").text
    row = re.search(r'<tr data-site="渤汽车 Bohai[^"]*">(.*?)</tr>', page, re.S).group(1)
    assert re.search(r'data-count="others"[^>]*>9<', row) and re.search(r'data-count="present"[^>]*>10<', row)
    assert re.search(r'data-count="present-total"[^>]*>10<', page)
    # The chart's label: every word of the name, on lines, and no "…".
    label = re.search(r'<text [^>]*class="label"><title>渤汽车 Bohai.*?</text>', page, re.S).group(0)
    shown = " ".join(re.findall(r"<tspan[^>]*>([^<]*)</tspan>", label))
    assert shown == LONG and "…" not in label
    chinese = browser.get(f"/meetings/{meeting.id}/attendance", headers={"Accept-Language": "zh-CN"}).text
    assert "名单外到会（人数）" in chinese and "各会场到会" in chinese


def test_wrap_label_counts_chinese_characters_as_two_columns():
    assert wrap_label("Main hall") == ["Main hall"]
    assert wrap_label("渤海汽车零部件有限公司第二分会场远程会议室") == ["渤海汽车零部件有限公司第二", "分会场远程会议室"]
    assert wrap_label("word " * 40)[-1].endswith("…") and len(wrap_label("word " * 40)) == 3
