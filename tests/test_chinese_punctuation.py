"""Chinese pages and emails punctuate in Chinese and name China's time as people say it: no
English full stop right after Chinese text (it ends with 。), and the meeting's time in 北京时间,
never 时间（Asia/Shanghai）. Every organizer page of a built meeting, its link pages and the
emails it sends are rendered in Chinese and scanned."""

from __future__ import annotations

import html
import re
from datetime import timedelta

from meetings.extensions import db
from meetings.invitations import links
from meetings.invitations.models import LinkPurpose
from meetings.scheduling import services as scheduling
from tests import factories
from tests.conferencing.helpers import invitation_of, remote_meeting, site_token
from tests.manage.conftest import sign_in

CHINESE = {"Accept-Language": "zh-CN,zh;q=0.9"}
#: A Chinese character or full-width punctuation, then an English full stop that ends a sentence
#: (not a decimal point or a file name: nothing but space, a tag's end or the end follows).
FULL_STOP = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]\.(?=\s|$)")
RAW_ZONE = re.compile(r"[（(]\s*(?:Asia|Europe|America|Africa|Australia|Pacific)/[A-Za-z_]+\s*[）)]")


def visible_text(page: str) -> str:
    """What a reader sees: no scripts, styles or tags (each tag a line break, so that text of two
    elements never joins), entities read."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", "\n", page))


def faults(where: str, text: str) -> list[str]:
    found = [f"{where}: {text[max(0, m.start() - 30):m.end()]!r}" for m in FULL_STOP.finditer(text)]
    found += [f"{where}: {m.group(0)!r}" for m in RAW_ZONE.finditer(text)]
    return found


def test_chinese_pages_and_emails_end_sentences_with_a_chinese_full_stop(client, smtp):
    browser = sign_in(client, "office.zh@example.com", "admin")  # the audit page too
    browser.user.language = "zh_Hans"
    meeting, places, people = remote_meeting(browser.user)
    meeting.title_zh = "年中经营工作会"
    for person in people.values():
        person.language = "zh_Hans"
    db.session.commit()
    chair = factories.person("李明", email="li.ming@example.com", language="zh_Hans", unit="集团总部")
    factories.invite(meeting, chair, role="chair")
    problems: list[str] = []

    base = f"/meetings/{meeting.id}"
    for path in ("/", base, f"{base}/details", f"{base}/sites", f"{base}/agenda", f"{base}/invitations",
                 f"{base}/reminders", f"{base}/preview", f"{base}/board", f"{base}/attendance", f"{base}/links",
                 f"{base}/materials", f"{base}/minutes", f"{base}/minutes/revisions", f"{base}/series", "/actions",
                 "/people", "/admin/audit"):
        page = browser.get(path, headers=CHINESE, follow_redirects=True)
        assert page.status_code == 200, path
        assert 'lang="zh-Hans"' in page.text, path
        problems += faults(path, visible_text(page.text))

    invitation = invitation_of(meeting, people["sh_guest"])
    tokens = {"rsvp": links.mint(LinkPurpose.RSVP, meeting_id=meeting.id, invitation_id=invitation.id),
              "join": links.mint(LinkPurpose.JOIN, meeting_id=meeting.id, invitation_id=invitation.id),
              "checkin": links.mint(LinkPurpose.CHECKIN, meeting_id=meeting.id, invitation_id=invitation.id)}
    db.session.commit()
    site = site_token(places["plant"])
    for path in (f"/rsvp/{tokens['rsvp']}", f"/join/{tokens['join']}", f"/checkin/{tokens['checkin']}",
                 f"/join/{site}", f"/join/{site}/roll-call"):
        page = client.get(path, headers=CHINESE)
        assert page.status_code in (200, 409), path
        problems += faults(path, visible_text(page.text))

    # The invites, an update that moves the meeting, and the reminders, all in Chinese.
    factories.deliver()
    scheduling.update_meeting(meeting, {"title_zh": "年中经营工作会（调整）"})
    db.session.commit()
    factories.deliver(later_minutes=2)
    # The scheduler's runs just before the start (every reminder but the speaker's last two) and 15
    # minutes before the speaker's slot, an hour in (a run later than the start skips what has begun).
    factories.deliver(at=meeting.start_at - timedelta(minutes=1))
    factories.deliver(at=meeting.start_at + timedelta(minutes=45))
    mails = smtp.mailbox.wait_for(8)
    assert len(mails) >= 8
    assert len([mail for mail in mails if str(mail.message["Subject"]).startswith("会议提醒")]) >= 8
    for mail in mails:
        message = mail.message
        for part in message.walk():
            if part.get_content_type() in ("text/plain", "text/html", "text/calendar"):
                text = part.get_content()
                if isinstance(text, bytes):
                    text = text.decode("utf-8")
                text = visible_text(text) if part.get_content_type() == "text/html" else text
                problems += faults(f"{message['Subject']} ({part.get_content_type()})", text)
        problems += faults(f"subject of {mail.rcpt_tos[0]}", str(message["Subject"]))
    assert not problems, "\n".join(sorted(set(problems)))
