"""The attendance exports in the language of whoever exports: their own choice, else their
browser's. Headers, sheet names and the words of the role, mode, answer and check-in columns,
in CSV and in XLSX (read back with openpyxl)."""

from __future__ import annotations

import csv
import io
import re

import openpyxl
import pytest

from meetings.attendance import services as attendance
from meetings.extensions import db
from meetings.invitations import answers
from tests.conferencing.helpers import invitation_of, remote_meeting

# The fixtures record QR check-ins and roll calls for a meeting next year.
pytestmark = pytest.mark.usefixtures("checkin_open")

HEADER_ZH = ["姓名", "电子邮箱", "单位", "职务", "参会身份", "会场", "参会方式", "回复", "回复时间（UTC）", "回复时间（当地时间）", "受托参会人",
             "签到时间（当地时间）", "当地时区", "签到时间（UTC）", "签到方式"]
HEADER_EN = ["Name", "Email", "Unit", "Title", "Role", "Site", "Mode", "Response", "Responded at (UTC)",
             "Responded at (local time)", "Delegated to", "Checked in at (local time)", "Local time zone", "Checked in at (UTC)", "How"]
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


@pytest.fixture()
def exported(api):
    meeting, sites, people = remote_meeting(api.user)
    guest = invitation_of(meeting, people["ams_guest"])
    answers.record_response(guest, "accepted")
    attendance.check_in(guest, "roll_call", site=sites["rotterdam"])
    answers.record_response(invitation_of(meeting, people["online"]), "tentative")
    db.session.commit()
    return meeting


def csv_rows(api, meeting, **headers):
    response = api.get(f"/api/meetings/{meeting.id}/attendance.csv", headers=headers)
    assert response.status_code == 200, response.text
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"), newline="")))


def workbook(api, meeting, **headers):
    response = api.get(f"/api/meetings/{meeting.id}/attendance.xlsx", headers=headers)
    assert response.status_code == 200, response.text
    return openpyxl.load_workbook(io.BytesIO(response.data))


def by_email(table):
    return {row[1]: row for row in table[1:]}


def test_an_admin_whose_browser_reads_chinese_gets_a_chinese_export(api, exported):
    table = csv_rows(api, exported, **{"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"})
    assert table[0] == HEADER_ZH
    rows = by_email(table)
    sanne = rows["sanne@roof.example.nl"]
    assert sanne[4:8] == ["参会人员", "Rotterdam room", "分会场参会", "接受"] and sanne[14] == "点名签到"
    pieter = rows["pieter@example.nl"]
    assert pieter[4] == "参会人员" and pieter[6] == "线上参会" and pieter[7] == "暂定"
    speaker = rows["zhang@example.com"]
    assert speaker[4] == "发言人" and speaker[6] == "现场参会" and speaker[7] == "待回复"
    host = rows["daan@roof.example.nl"]
    assert host[4] == "会场负责人"

    book = workbook(api, exported, **{"Accept-Language": "zh-CN"})
    assert book.sheetnames == ["参会情况", "汇总"]
    sheet = [[cell.value or "" for cell in row] for row in book["参会情况"].iter_rows()]
    assert sheet[0] == HEADER_ZH
    assert by_email(sheet)["sanne@roof.example.nl"][4:8] == sanne[4:8]
    summary = [[cell.value for cell in row] for row in book["汇总"].iter_rows()]
    assert summary[0][0] == "按会场统计"
    assert summary[1] == ["会场", "应到人数", "接受人数", "实到人数", "其他到场人数（清点）", "到场总人数"]
    labels = [row[0] for row in summary if row[0]]
    assert "线上（无会场）" in labels and "合计" in labels and "按单位统计" in labels


def test_a_signed_in_admins_own_language_wins_over_the_browsers(app, api, exported):
    from tests.accounts.helpers import Browser, log_in, make_user

    admin = make_user("admin.zh@example.com", role="admin")
    admin.language = "zh_Hans"
    db.session.commit()
    browser = Browser(app)
    assert log_in(browser, "admin.zh@example.com").status_code == 302
    url = f"/meetings/{exported.id}/attendance.csv"
    response = browser.get(url, headers={"Accept-Language": "en-GB"})
    assert response.status_code == 200, response.text
    assert next(csv.reader(io.StringIO(response.data.decode("utf-8-sig")))) == HEADER_ZH
    admin.language = "en"
    db.session.commit()
    response = browser.get(url, headers={"Accept-Language": "zh-CN"})
    assert next(csv.reader(io.StringIO(response.data.decode("utf-8-sig")))) == HEADER_EN


def test_an_english_export_has_no_chinese_but_what_people_typed(api, exported):
    table = csv_rows(api, exported, **{"Accept-Language": "en"})
    assert table[0] == HEADER_EN
    typed = {"孙磊", "林晓", "精工齿轮", "副总经理", "张建国"}
    for row in table:
        for cell in row:
            if cell not in typed:
                assert not CJK.search(cell), cell
    sanne = by_email(table)["sanne@roof.example.nl"]
    assert sanne[4:8] == ["participant", "Rotterdam room", "remote site", "accepted"] and sanne[14] == "roll call"
    book = workbook(api, exported, **{"Accept-Language": "en"})
    assert book.sheetnames == ["Attendance", "Summary"]
    assert [cell.value for cell in next(book["Attendance"].iter_rows())] == HEADER_EN
