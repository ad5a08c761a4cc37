"""The whole mission, as deployed, over HTTP through nginx only.

On PostgreSQL: nginx in front of two gunicorn app hosts, Redis for the shared counters and two
schedulers. On SQLite (the embedded default): one app host and one scheduler. Both: a real SMTP
server, an IMAP organizer mailbox that calendar replies are mailed to, clients from different loopback addresses, and no traceback in any server's log.
"""

from __future__ import annotations

import csv
import io
import os
import re
import time
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import requests

from tests.processes import eventually
from tests.system import flows
from tests.system import mission as m
from tests.system.flows import ok, wait_for_mail
from tests.system.stack import client_from, deployment, mail_to_mailbox

pytestmark = [pytest.mark.system, pytest.mark.slow]

#: How many invitations the big exports carry (SYSTEM_ASSEMBLY=1000 for a quicker run by hand).
ASSEMBLY = int(os.environ.get("SYSTEM_ASSEMBLY", "10000"))
#: Rows per roster file of the assembly: all of them in one file, as the meeting office sends it.
IMPORT_ROWS = 10_000
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(params=[pytest.param(("sqlite", 1, 1), id="sqlite-1-host"),
                        pytest.param(("postgresql", 2, 2), id="postgresql-2-hosts")])
def system(request, tmp_path):
    database, hosts, schedulers = request.param
    with deployment(database, tmp_path, hosts=hosts, schedulers=schedulers) as deployed:
        yield deployed
    timings = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in deployed.timings.items())
    with request.config.pluginmanager.get_plugin("capturemanager").global_and_fixture_disabled():
        print(f"\nsystem suite on {database}: {timings}", flush=True)


class Clock:
    """Times the steps of the mission into the deployment's timings."""

    def __init__(self, timings):
        self.timings, self.last = timings, time.monotonic()

    def lap(self, name: str) -> None:
        now = time.monotonic()
        self.timings[name] = now - self.last
        self.last = now


def signed_in(system, address: str) -> requests.Session:
    """A browser session of the organizer, signed in through the sign-in page."""
    browser = client_from(address)
    page = ok(browser.get(f"{system.url}/login"))
    ok(browser.post(f"{system.url}/login", data={"email": m.ORGANIZER, "password": m.PASSWORD,
                                                 "csrf_token": m.csrf_token(page.text)}))
    return browser


def test_the_mission_as_deployed(system, tmp_path):
    clock = Clock(system.timings)
    url = system.url
    system.flask(tmp_path, "users", "create", m.ORGANIZER, "--role", "organizer", "--password", m.PASSWORD,
                 "--name", "赵敏")
    token = system.flask(tmp_path, "users", "token", m.ORGANIZER).strip().splitlines()[-1]
    api = client_from("127.0.0.2", token)
    clock.lap("accounts")

    # Rosters: CSV as the body, XLSX as a form upload.
    imported = ok(api.post(f"{url}/api/people/import", data=m.roster_csv(m.CSV_PEOPLE),
                           headers={"Content-Type": "text/csv"})).json()
    assert imported["created"] == len(m.CSV_PEOPLE)
    imported = ok(api.post(f"{url}/api/people/import", files={"file": (
        "roster.xlsx", m.roster_xlsx(m.XLSX_HEADER, m.XLSX_PEOPLE),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")})).json()
    assert imported["created"] == len(m.XLSX_PEOPLE)

    # The meeting: it starts within the hour, so check-in is open; a main venue and three remote
    # sites in two zones; an agenda with speaker slots.
    start = (datetime.now(SHANGHAI) + timedelta(minutes=50)).replace(second=0, microsecond=0)
    meeting = ok(api.post(f"{url}/api/meetings", json={
        "title": "Mid-year operation meeting", "title_zh": "年中经营会", "timezone": "Asia/Shanghai",
        "start": start.strftime("%Y-%m-%dT%H:%M"), "end": (start + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"),
    }), 201).json()
    mid = meeting["id"]
    sites = {}
    for site in ({"name": "Main hall, HQ 12F", "kind": "main", "location": "1000 Century Avenue, 12F"},
                 {"name": "Rotterdam room", "kind": "remote", "timezone": "Europe/Amsterdam",
                  "location": "Waalhaven 12", "host_email": "daan@roof.example.nl"},
                 {"name": "Eindhoven office", "kind": "remote", "timezone": "Europe/Amsterdam",
                  "location": "Strijp-S", "host_email": "joost@drives.example.nl"},
                 {"name": "成都工厂", "kind": "remote", "timezone": "Asia/Shanghai", "location": "3号楼",
                  "host_email": "sun.lei@gears.example.cn"}):
        sites[site["name"]] = ok(api.post(f"{url}/api/meetings/{mid}/sites", json=site), 201).json()["id"]
    report = ok(api.post(f"{url}/api/meetings/{mid}/agenda", json={
        "title": "Half-year report", "kind": "speech", "start": start.strftime("%Y-%m-%dT%H:%M"),
        "duration_minutes": 40, "speakers": [
            {"email": "li.ming@hq.example.com", "topic": "The half year", "minutes": 25},
            {"email": "pieter@roof.example.nl", "topic": "Roof systems", "minutes": 15}]}), 201).json()
    discussion = ok(api.post(f"{url}/api/meetings/{mid}/agenda", json={
        "title": "Discussion", "kind": "discussion",
        "start": (start + timedelta(minutes=40)).strftime("%Y-%m-%dT%H:%M"), "duration_minutes": 30}), 201).json()
    clock.lap("rosters, meeting, sites, agenda")

    # Invitations by role, groups by tag (each placed at their enterprise's site).
    ok(api.post(f"{url}/api/meetings/{mid}/invitations", json={"email": m.ORGANIZER, "role": "chair"}), 201)
    ok(api.post(f"{url}/api/meetings/{mid}/invitations",
                json={"tags": ["enterprise-representative"], "role": "participant"}), 201)
    ok(api.post(f"{url}/api/meetings/{mid}/invitations", json={"tags": ["hq-staff"], "role": "observer"}), 201)
    ok(api.post(f"{url}/api/meetings/{mid}/invitations",
                json={"email": "lotte@roof.example.nl", "role": "participant", "mode": "online"}), 201)
    invitations = {i["person"]["email"]: i for i in ok(api.get(f"{url}/api/meetings/{mid}/invitations")).json()}
    assert invitations["sanne@roof.example.nl"]["site_id"] == sites["Rotterdam room"]
    assert invitations["lin.xiao@gears.example.cn"]["site_id"] == sites["成都工厂"]
    assert invitations["daan@roof.example.nl"]["role"] == "site_host"
    assert invitations["li.ming@hq.example.com"]["role"] == "speaker"

    # Materials before publishing: the organizer's uploads by the API (Pieter's slot has none).
    uploads = flows.organizer_uploads(api, url, mid, report, discussion)

    # Preview, in the organizer's browser, then publish.
    browser = signed_in(system, "127.0.0.3")
    preview = ok(browser.get(f"{url}/meetings/{mid}/preview"))
    assert "Mid-year operation meeting" in preview.text and "BEGIN:VCALENDAR" in preview.text
    ok(api.post(f"{url}/api/meetings/{mid}/publish"))
    clock.lap("invitations, preview, publish")

    # A roster through the import page: checked on one host, confirmed on the other.
    flows.roster_page_flow(system, browser, api)
    clock.lap("roster by the import page, on each host")

    # Every invite arrives, once, and reads as a calendar client reads it.
    invites = wait_for_mail(system, lambda mail: m.calendar_key(mail) == (mail.recipient, "REQUEST", 0),
                            len(invitations), "invites")
    by_person = {mail.recipient: mail for mail in invites}
    assert set(by_person) == set(invitations)
    roles = {"chair": "CHAIR", "speaker": "REQ-PARTICIPANT", "participant": "REQ-PARTICIPANT",
             "observer": "OPT-PARTICIPANT", "site_host": "REQ-PARTICIPANT"}
    for email, mail in by_person.items():
        calendar = mail.calendar()
        event = calendar.vevent
        assert calendar.method.value == "REQUEST" and event.uid.value == meeting["uid"]
        assert event.dtstart.value == start and event.dtstart.value.utcoffset() == timedelta(hours=8)
        [attendee] = [a for a in event.attendee_list if a.value.lower() == f"mailto:{email}"]
        assert attendee.params["ROLE"] == [roles[invitations[email]["role"]]]
    clock.lap("invites delivered and read")

    flows.materials_flow(system, api, mid, by_person, uploads)
    clock.lap("materials: reminder, speaker's upload, link pages, ZIP, access log")

    # Answers from the emailed links, each person from their own address.
    sanne = client_from("127.0.0.4")
    rsvp = by_person["sanne@roof.example.nl"].link("rsvp")
    assert rsvp.startswith(url)
    assert "Mid-year operation meeting" in ok(sanne.get(rsvp)).text
    ok(sanne.post(rsvp, data={"response": "accepted"}))
    lin = client_from("127.0.0.5")
    ok(lin.post(by_person["lin.xiao@gears.example.cn"].link("rsvp"),
                data={"delegate_email": "deputy.lin@gears.example.cn", "delegate_name": "林副"}))
    [deputy] = wait_for_mail(system, lambda mail: mail.recipient == "deputy.lin@gears.example.cn", 1, "the delegate's invite")
    assert deputy.calendar().vevent.uid.value == meeting["uid"]
    # A calendar client's REPLY by mail: Emma declines from Outlook; it reaches the organizer
    # mailbox, which the schedulers read over IMAP. One forged from another address is kept for
    # the organizer, not applied.
    decline = m.reply_calendar(meeting["uid"], 0, "emma@drives.example.nl", "Emma de Boer", "DECLINED",
                               "meetings@example.com")
    mail_to_mailbox(system.imap_port, m.reply_mail("emma@drives.example.nl", decline))
    forged = m.reply_calendar(meeting["uid"], 0, "sanne@roof.example.nl", "Sanne", "DECLINED", "meetings@example.com")
    mail_to_mailbox(system.imap_port, m.reply_mail("mallory@elsewhere.example", forged))

    def answers():
        return {i["person"]["email"]: i["response"] for i in ok(api.get(f"{url}/api/meetings/{mid}/invitations")).json()}

    eventually(lambda: answers()["emma@drives.example.nl"] == "declined", 60, "Emma's mailed REPLY to be applied")
    unapplied = eventually(lambda: ok(api.get(f"{url}/api/meetings/{mid}/replies/unapplied")).json(), 60,
                           "the forged REPLY to be listed")
    assert [reply["attendee"] for reply in unapplied] == ["sanne@roof.example.nl"], unapplied
    assert answers()["sanne@roof.example.nl"] == "accepted"
    clock.lap("RSVP, delegation, REPLY")

    # A site host joins and calls the roll; an online participant joins; the door checks in by QR.
    daan = client_from("127.0.0.6")
    join = by_person["daan@roof.example.nl"].link("join")
    assert "Rotterdam room" in ok(daan.get(join)).text
    joined = daan.post(join, allow_redirects=False)
    assert joined.status_code == 303 and joined.headers["Location"].startswith("https://")
    roll_call = ok(daan.get(f"{join}/roll-call")).text
    present = re.findall(r'name="present" value="(\d+)"', roll_call)
    assert str(invitations["sanne@roof.example.nl"]["id"]) in present
    done = ok(daan.post(f"{join}/roll-call", data={"present": [invitations["sanne@roof.example.nl"]["id"]],
                                                   "head_count": "2"}))
    assert "Recorded: 1 newly present" in done.text
    lotte = client_from("127.0.0.7")
    assert lotte.post(by_person["lotte@roof.example.nl"].link("join"), allow_redirects=False).status_code == 303
    checkin = by_person["wang.fang@hq.example.com"].link("checkin")
    door = ok(browser.get(checkin)).text
    ok(browser.post(checkin, data={"csrf_token": m.csrf_token(door)}))
    after = {i["person"]["email"]: i for i in ok(api.get(f"{url}/api/meetings/{mid}/invitations")).json()}
    for email in ("sanne@roof.example.nl", "lotte@roof.example.nl", "wang.fang@hq.example.com"):
        assert after[email]["checked_in_at"], email
    assert after["sanne@roof.example.nl"]["response"] == "accepted"
    assert after["lin.xiao@gears.example.cn"]["response"] == "delegated"
    clock.lap("join, roll call, QR check-in")

    # Per-client limits as deployed: one address guessing links is paused, the others are not.
    guesser = client_from("127.0.0.9")
    statuses = [guesser.get(f"{url}/rsvp/{uuid.uuid4().hex}{uuid.uuid4().hex[:11]}").status_code for _ in range(32)]
    assert statuses[:30] == [404] * 30 and statuses[-1] == 429, statuses
    ok(sanne.get(rsvp))
    ok(client_from("127.0.0.10").get(rsvp))
    # And one address failing sign-ins is paused, while the organizer signs in from another.
    intruder = client_from("127.0.0.11")
    token_field = m.csrf_token(ok(intruder.get(f"{url}/login")).text)
    statuses = [intruder.post(f"{url}/login", data={"email": f"nobody{n}@example.com", "password": "wrong guess",
                                                    "csrf_token": token_field}).status_code for n in range(31)]
    assert statuses[:30] == [401] * 30 and statuses[30] == 429, statuses
    signed_in(system, "127.0.0.12")

    # What one app host shows, every host shows.
    for host in system.hosts:
        seen = {i["person"]["email"]: i for i in ok(requests.get(f"{host}/api/meetings/{mid}/invitations",
                                                                 headers=api.headers)).json()}
        assert {email: (i["response"], bool(i["checked_in_at"])) for email, i in seen.items()} == \
            {email: (i["response"], bool(i["checked_in_at"])) for email, i in after.items()}
    clock.lap("limits, hosts agree")

    # The attendance, exported through nginx.
    rows = list(csv.reader(io.StringIO(ok(api.get(f"{url}/api/meetings/{mid}/attendance.csv")).content
                                       .decode("utf-8-sig"))))
    by_email = {row[1]: row for row in rows[1:]}
    assert set(by_email) == set(after)
    assert by_email["sanne@roof.example.nl"][5] == "Rotterdam room" and by_email["sanne@roof.example.nl"][12]
    workbook = openpyxl.load_workbook(io.BytesIO(ok(api.get(f"{url}/api/meetings/{mid}/attendance.xlsx")).content))
    assert workbook.sheetnames[0] == "Attendance" and workbook.worksheets[0].max_row == len(after) + 1
    clock.lap("exports")

    # The annual assembly: 10,000 invitations, exported as CSV and XLSX, streamed through nginx.
    # In files of IMPORT_ROWS (one file of 10,000: the import writes in set-based statements, well
    # within gunicorn's timeout).
    for first in range(0, ASSEMBLY, IMPORT_ROWS):
        ok(api.post(f"{url}/api/people/import", data=m.assembly_roster(first, min(ASSEMBLY, first + IMPORT_ROWS), first // IMPORT_ROWS),
                    headers={"Content-Type": "text/csv"}, timeout=600))
    clock.lap(f"import {ASSEMBLY} people")
    assembly = ok(api.post(f"{url}/api/meetings", json={
        "title": "Annual assembly", "timezone": "Asia/Shanghai",
        "start": (start + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M"),
        "end": (start + timedelta(days=30, hours=4)).strftime("%Y-%m-%dT%H:%M")}), 201).json()
    # One group invitation per roster file (one for all 10,000).
    for group in range(0, ASSEMBLY, IMPORT_ROWS):
        ok(api.post(f"{url}/api/meetings/{assembly['id']}/invitations",
                    json={"tags": [f"assembly-{group // IMPORT_ROWS}"]}, timeout=600), 201)
    clock.lap(f"invite {ASSEMBLY}")
    exported = ok(api.get(f"{url}/api/meetings/{assembly['id']}/attendance.csv", timeout=600))
    assert exported.headers.get("Transfer-Encoding") == "chunked" or "Content-Length" not in exported.headers
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert len(rows) == ASSEMBLY + 1
    assert {row[1] for row in rows[1:]} == {f"delegate{n:05d}@assembly.example.com" for n in range(ASSEMBLY)}
    clock.lap(f"CSV of {ASSEMBLY}")
    content = ok(api.get(f"{url}/api/meetings/{assembly['id']}/attendance.xlsx", timeout=600)).content
    workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    emails = {row[1] for row in workbook["Attendance"].iter_rows(min_row=2, values_only=True)}
    assert emails == {f"delegate{n:05d}@assembly.example.com" for n in range(ASSEMBLY)}
    workbook.close()
    clock.lap(f"XLSX of {ASSEMBLY}")

    # An update: the meeting moves 15 minutes; everyone still coming gets SEQUENCE 1, once; every
    # host shows the new time at once, in its API and on the join page it kept.
    def rotterdam_hours(at):
        # The day is written once when the meeting ends on the day it starts there, else the end
        # has its own ("7 Dec 2026, 22:17–8 Dec 2026, 01:17" in an evening run).
        local, end = at.astimezone(ZoneInfo("Europe/Amsterdam")), (at + timedelta(hours=3)).astimezone(
            ZoneInfo("Europe/Amsterdam"))
        until = f"{end:%H:%M}" if end.date() == local.date() else f"{end.day} {end:%b %Y, %H:%M}"
        return f"{local:%H:%M}–{until}"

    site_page = join.replace(url, "")
    for host in system.hosts:
        assert rotterdam_hours(start) in ok(requests.get(host + site_page)).text
    moved = start + timedelta(minutes=15)
    ok(api.patch(f"{url}/api/meetings/{mid}", json={"start": moved.strftime("%Y-%m-%dT%H:%M"),
                                                    "timezone": "Asia/Shanghai"}))
    for host in system.hosts:
        shown = ok(requests.get(f"{host}/api/meetings/{mid}", headers=api.headers)).json()
        assert datetime.fromisoformat(shown["start"]) == moved and shown["sequence"] == 1
        assert rotterdam_hours(moved) in ok(requests.get(host + site_page)).text
    coming = {email for email, i in after.items() if i["response"] not in ("declined", "delegated")}
    updates = wait_for_mail(system, lambda mail: (mail.calendar() is not None and mail.calendar().method.value == "REQUEST"
                                                  and int(mail.calendar().vevent.sequence.value) == 1),
                            len(coming), "updates")
    assert {mail.recipient for mail in updates} == coming
    assert all(mail.calendar().vevent.dtstart.value == moved for mail in updates)
    clock.lap("update")

    flows.minutes_flow(system, api, mid, [report, discussion], moved)
    clock.lap("minutes, action by link, the next meeting")

    # The cancellation reaches everyone on the list.
    ok(api.post(f"{url}/api/meetings/{mid}/cancel"))
    # (Counted per recipient of this meeting: the delegator's own CANCEL, sent at delegation, is
    # not one of these, and counting it let the wait end before the last one arrived.)
    cancels = wait_for_mail(system, lambda mail: (mail.recipient in coming and mail.calendar() is not None
                                                  and mail.calendar().method.value == "CANCEL"
                                                  and mail.calendar().vevent.uid.value == meeting["uid"]),
                            len(coming), "cancellations")
    assert {mail.recipient for mail in cancels} == coming
    time.sleep(3)  # a few more polls of both schedulers: nothing goes out twice
    assert m.duplicates(m.read(system.mailbox)) == {}
    flows.reminded_once(system)
    clock.lap("cancellation")

    # The servers' logs hold no traceback.
    for log in system.logs:
        text = log.read_text(errors="replace") if log.exists() else ""
        assert "Traceback" not in text, f"{log}:\n{text[-4000:]}"
        assert not re.search(r"\[(error|crit|alert|emerg)\]", text), f"{log}:\n{text[-4000:]}"
