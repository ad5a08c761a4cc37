"""What the system suite reads and writes from outside: rosters, emails, calendars, links."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage

import openpyxl
import vobject

ORGANIZER = "zhao.min@hq.example.com"
ADMIN = "admin@hq.example.com"
PASSWORD = "a long organizer password 7"
HEADER = ["name", "email", "unit", "title", "tags", "timezone", "language"]

#: The group's people, as the CSV roster brings them: the chair, two speakers, three remote sites'
#: hosts and participants (two zones), headquarters staff at the main venue.
CSV_PEOPLE = [
    ["赵敏", ORGANIZER, "Group HQ", "Chairwoman", "chair", "Asia/Shanghai", "zh_Hans"],
    ["李明", "li.ming@hq.example.com", "Group HQ", "Vice director", "vice-director-and-above", "Asia/Shanghai", "zh_Hans"],
    ["王芳", "wang.fang@hq.example.com", "Group HQ", "Finance", "hq-staff", "Asia/Shanghai", "zh_Hans"],
    ["Daan Bakker", "daan@roof.example.nl", "Rotterdam Roof Systems", "Plant manager", "", "Europe/Amsterdam", "en"],
    ["Sanne Visser", "sanne@roof.example.nl", "Rotterdam Roof Systems", "Engineer", "enterprise-representative",
     "Europe/Amsterdam", "en"],
    ["Pieter de Vries", "pieter@roof.example.nl", "Rotterdam Roof Systems", "Director",
     "enterprise-representative;vice-director-and-above", "Europe/Amsterdam", "en"],
    ["Joost Smit", "joost@drives.example.nl", "Eindhoven Drives", "AV technician", "", "Europe/Amsterdam", "en"],
    ["Emma de Boer", "emma@drives.example.nl", "Eindhoven Drives", "Sales", "enterprise-representative",
     "Europe/Amsterdam", "en"],
    ["孙磊", "sun.lei@gears.example.cn", "成都精工", "AV engineer", "", "Asia/Shanghai", "zh_Hans"],
    ["林晓", "lin.xiao@gears.example.cn", "成都精工", "副总经理", "enterprise-representative", "Asia/Shanghai", "zh_Hans"],
]
#: And the XLSX roster (Chinese headers): an observer and an online participant.
XLSX_HEADER = ["姓名", "邮箱", "单位", "职务", "标签", "时区", "语言"]
XLSX_PEOPLE = [
    ["陈静", "chen.jing@hq.example.com", "Group HQ", "Secretary", "hq-staff", "Asia/Shanghai", "zh_Hans"],
    ["Lotte Jansen", "lotte@roof.example.nl", "Rotterdam Roof Systems", "Analyst", "remote-analyst",
     "Europe/Amsterdam", "en"],
]


def roster_csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def roster_xlsx(header: list[str], rows: list[list[str]]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def assembly_roster(first: int, end: int, group: int) -> bytes:
    """Delegates ``first`` to ``end - 1`` of the annual assembly (tags ``assembly`` and
    ``assembly-GROUP``)."""
    return roster_csv([[f"Delegate {n:05d}", f"delegate{n:05d}@assembly.example.com", "Assembly delegates", "",
                        f"assembly;assembly-{group}", "Asia/Shanghai", "en"] for n in range(first, end)])


# --- emails -------------------------------------------------------------------------------------

class Mail:
    """One received email, read as a mail client would."""

    def __init__(self, received):
        self.recipient = received.rcpt_tos[0]
        self.message: EmailMessage = message_from_bytes(received.raw, policy=policy.default)
        self.subject = str(self.message["Subject"])

    @property
    def text(self) -> str:
        return self.message.get_body(("plain",)).get_content()

    @property
    def html(self) -> str:
        body = self.message.get_body(("html",))
        return body.get_content() if body is not None else ""

    def calendar(self):
        """The text/calendar part, parsed by vobject (a second parser beside the app's icalendar),
        or None (reminders have none)."""
        for part in self.message.walk():
            if part.get_content_type() == "text/calendar":
                return vobject.readOne(part.get_content())
        return None

    def link(self, path: str) -> str | None:
        """The first ``/path/TOKEN`` link in the text or HTML part."""
        for body in (self.text, self.html):
            found = re.search(rf"(https?://[^\s\"'<>]+/{path}/[A-Za-z0-9_-]+)", body)
            if found:
                return found.group(1)
        return None


def read(mailbox) -> list[Mail]:
    return [Mail(received) for received in list(mailbox.received)]


def calendar_key(mail: Mail) -> tuple[str, str, int] | None:
    """(recipient, METHOD, SEQUENCE) of an email with a calendar: what must arrive once."""
    calendar = mail.calendar()
    if calendar is None:
        return None
    return mail.recipient, calendar.method.value, int(calendar.vevent.sequence.value)


def duplicates(mails: list[Mail]) -> dict:
    """Emails that arrived more than once: the same subject to the same person, with the same
    calendar method and sequence (an RSVP's confirmation repeats the invite's calendar under
    another subject)."""
    sent = Counter((mail.recipient, mail.subject, calendar_key(mail)) for mail in mails)
    return {key: n for key, n in sent.items() if n > 1}


def reply_calendar(uid: str, sequence: int, attendee: str, name: str, partstat: str, organizer: str) -> bytes:
    """A METHOD:REPLY as a calendar client writes it (by hand here, not with the app's builder)."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//System suite//Mail client 1.0//EN", "METHOD:REPLY",
             "BEGIN:VEVENT", f"UID:{uid}", f"SEQUENCE:{sequence}",
             "DTSTAMP:" + datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ"),
             f"ORGANIZER:mailto:{organizer}",
             f'ATTENDEE;CN="{name}";PARTSTAT={partstat}:mailto:{attendee}', "END:VEVENT", "END:VCALENDAR", ""]
    return "\r\n".join(lines).encode("utf-8")


def reply_mail(sender: str, calendar: bytes) -> bytes:
    """The email a calendar client sends to the organizer with a REPLY: a short text and the
    calendar as a ``text/calendar; method=REPLY`` alternative."""
    message = EmailMessage()
    message["From"], message["To"] = sender, "meetings@example.com"
    message["Subject"] = "Declined: Mid-year operation meeting"
    message.set_content("Declined.")
    message.add_alternative(calendar.decode("utf-8"), subtype="calendar", params={"method": "REPLY"})
    return message.as_bytes()


def csrf_token(html: str) -> str:
    found = re.search(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"', html)
    assert found, "no CSRF token in the page:\n" + html[:3000]
    return found.group(1)
