"""The organizer's day in a real browser, in Chinese and in English, each page looked at 1,366 px
and 390 px wide: a past date refused, a meeting built, a chosen person's preview that equals the
email they then receive, an update whose first lines name the old and new times, a roll call
refused before its window, and the check-in QR in the development mailbox. On every page: no
sideways scrolling and no raw enum value. Screenshots of each step go to build/screens/."""

from __future__ import annotations

import os
import re
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from config import Config
from meetings.accounts.services import create_user
from meetings.core.db import utcnow
from meetings.extensions import db
from meetings.invitations import links
from meetings.invitations.models import LinkPurpose
from meetings.invitations.services import invitations_of
from meetings.scheduling import agenda, sites
from meetings.scheduling.models import Meeting
from tests import factories
from tests.conftest import _free_port
from tests.factories import NEXT_YEAR
from tests.manage.test_preview_person import normalized

pytestmark = pytest.mark.browser

SCREENS = Path(__file__).resolve().parents[2] / "build" / "screens"
WIDTHS = ((1366, 900), (390, 844))
#: Values of the domain's enums as the API and the database write them: never shown on a page.
RAW_VALUES = re.compile(r"\b(needs-action|site_host|in_person|remote_site|join_link|roll_call|needs action)\b")
#: English words of the enums that a Chinese page must show translated.
ENGLISH_WORDS = re.compile(r"\b(participant|speaker|chair|observer|site host|accepted|declined|tentative|"
                           r"delegated|draft|scheduled|cancelled|finished|online|in person)\b", re.I)
WORDS = {
    "en": {"past": "in the past", "opens": "Check-in opens at", "time": "Time: "},
    "zh-CN": {"past": "已经过去", "opens": "签到于", "time": "时间："},
}


class Looker:
    """Looks at each page at both widths: screenshots, no sideways scroll, no raw values."""

    def __init__(self, page, locale: str):
        self.page, self.locale, self.step = page, locale, 0
        SCREENS.mkdir(parents=True, exist_ok=True)

    def look(self, name: str, *, full_page: bool = True) -> None:
        self.step += 1
        for width, height in WIDTHS:
            self.page.set_viewport_size({"width": width, "height": height})
            self.page.wait_for_timeout(50)
            scroll, inner = self.page.evaluate(
                "[document.scrollingElement.scrollWidth, window.innerWidth]")
            path = SCREENS / f"{self.locale}-{self.step:02d}-{name}-{width}.png"
            self.page.screenshot(path=str(path), full_page=full_page)
            assert scroll <= inner, f"{name} scrolls sideways at {width}px ({scroll} > {inner}): {path}"
            # The page's own words; a preview's copy of someone's email is in their language.
            text = self.page.evaluate(
                "() => { const body = document.body.cloneNode(true);"
                " body.querySelectorAll('[data-copy], script, style').forEach(e => e.remove());"
                " return body.textContent; }")
            raw = RAW_VALUES.findall(text)
            assert not raw, f"{name} shows raw values {raw} ({path})"
            if self.locale == "zh-CN":
                english = ENGLISH_WORDS.findall(text)
                assert not english, f"{name} shows English enum words {english} in Chinese ({path})"
        self.page.set_viewport_size({"width": 1366, "height": 900})


def serve(app):
    port = _free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{port}"


def text_of(message) -> str:
    return message.get_body(("plain",)).get_content()


def html_of(message) -> str:
    return next(p for p in message.walk() if p.get_content_type() == "text/html").get_content()


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_the_organizers_day(live_server, new_page, console, smtp, locale, tmp_path):
    words = WORDS[locale]
    create_user("office@example.com", "organizer", "organizer password", name="赵敏")
    li = factories.person("李明", email="li.ming@example.com", unit="集团总部", language="zh_Hans",
                          title="副总经理")
    pieter = factories.person("Pieter de Vries", email="pieter@venray.example.nl", unit="Venray BV",
                              timezone="Europe/Amsterdam", title="Plant manager")
    db.session.commit()

    page = new_page(viewport={"width": 1366, "height": 900}, locale=locale)
    looker = Looker(page, locale)
    page.goto(f"{live_server}/login")
    page.fill("input[name=email]", "office@example.com")
    page.fill("input[name=password]", "organizer password")
    page.click("form button[type=submit]")

    # A meeting five years ago is refused at creation, with a message at the date.
    page.goto(f"{live_server}/meetings/new")
    past = (utcnow() - timedelta(days=5 * 365)).date()
    page.fill("input[name=title]", "Mid-year operation meeting")
    page.fill("input[name=title_zh]", "年中经营会议")
    page.fill("input[name=date]", past.isoformat())
    page.fill("input[name=start_time]", "14:00")
    page.fill("input[name=end_time]", "17:30")
    page.fill("input[name=timezone]", "Asia/Shanghai")
    page.click("main form button[type=submit]")
    # The answer's page may still be loading when the click returns: wait for its text.
    expect(page.locator("body")).to_contain_text(words["past"])
    looker.look("past-date-refused")
    assert db.session.query(Meeting).count() == 0
    db.session.commit()  # the server's writes are seen from a new transaction (SQLite's snapshot)

    page.fill("input[name=date]", f"{NEXT_YEAR}-07-15")
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r".*/meetings/\d+/.*"))
    meeting_id = int(re.search(r"/meetings/(\d+)/", page.url).group(1))
    meeting = db.session.get(Meeting, meeting_id)
    sites.add_site(meeting, {"name": "Main hall", "kind": "main", "location": "HQ 12F"})
    venray = sites.add_site(meeting, {"name": "Venray", "kind": "remote", "timezone": "Europe/Amsterdam",
                                      "location": "Plant 2", "host_email": pieter.email})
    agenda.add_item(meeting, {"title": "Half-year report", "title_zh": "半年工作报告",
                              "start": f"{NEXT_YEAR}-07-15T14:30", "duration_minutes": 60,
                              "speakers": [{"email": pieter.email, "topic": "Roof systems", "minutes": 20}]})
    factories.invite(meeting, li)
    db.session.commit()
    page.goto(f"{live_server}/meetings/{meeting_id}")
    looker.look("meeting-draft")

    # The preview of a chosen person: Pieter, the English speaker hosting Venray, in CEST.
    host = next(i for i in invitations_of(meeting) if i.person_id == pieter.id)
    page.goto(f"{live_server}/meetings/{meeting_id}/preview")
    page.select_option("select#invitation", str(host.id))
    page.click("#preview-person button[type=submit]")
    previewed = page.locator("#preview-html").get_attribute("srcdoc")
    assert "CEST" in previewed and "Venray" in previewed
    looker.look("preview-of-a-person")

    page.goto(f"{live_server}/meetings/{meeting_id}")
    page.click("form[action$='/publish'] button")
    db.session.commit()
    factories.deliver()
    received = {mail.rcpt_tos[0]: mail for mail in smtp.mailbox.wait_for(2)}
    assert normalized(previewed) == normalized(html_of(received[pieter.email].message))
    looker.look("published")

    # Only the start changed in the form: the end and the agenda move with it, and the update's
    # first lines name the old and the new times.
    smtp.mailbox.clear()
    page.goto(f"{live_server}/meetings/{meeting_id}/details")
    page.fill("input[name=start_time]", "15:00")
    page.click("main form button[type=submit]")
    looker.look("moved")
    db.session.commit()
    factories.deliver(later_minutes=2)
    updates = {mail.rcpt_tos[0]: mail for mail in smtp.mailbox.wait_for(2)}
    first_lines = text_of(updates[li.email].message).splitlines()[:4]
    change = next(line for line in first_lines if "时间：" in line)
    assert "14:00–17:30" in change and "→" in change and "15:00–18:30" in change

    # Roll call before its window: the page says when it opens; saving is refused.
    token = links.mint(LinkPurpose.SITE, meeting_id=meeting_id, site_id=venray.id)
    db.session.commit()
    page.goto(f"{live_server}/join/{token}/roll-call")
    assert words["opens"] in page.locator("#roll-call-error").inner_text()
    looker.look("roll-call-refused")
    page.goto(f"{live_server}/join/{token}")
    looker.look("join-page-open")

    for path, name in (("", "dashboard"), (f"/meetings/{meeting_id}/board", "answers"),
                       (f"/meetings/{meeting_id}/attendance", "attendance"),
                       (f"/meetings/{meeting_id}/invitations", "invitations")):
        page.goto(f"{live_server}{path}")
        looker.look(name)

    # The development mailbox shows the in-person invite's QR code (an inline image).
    li_invite = received[li.email]
    assert "cid:" in html_of(li_invite.message)
    mailbox = tmp_path / "instance"
    (mailbox / "dev-mail").mkdir(parents=True)
    (mailbox / "dev-mail" / "1000-0000abcd.eml").write_bytes(li_invite.raw)
    dev_app = _development_app(str(mailbox), tmp_path)
    server, base = serve(dev_app)
    try:
        page.goto(f"{base}/dev/mail/1000-0000abcd.eml")
        frame = page.frame_locator("iframe.email-preview")
        image = frame.locator("img[alt]").first
        image.wait_for()
        assert image.evaluate("img => img.complete && img.naturalWidth > 0")
        looker.look("dev-mailbox-qr")
    finally:
        server.shutdown()
    assert not console.errors, console.errors


def _development_app(instance_path: str, tmp_path):
    """The app as `make run` serves it (development: the mailbox pages), on its own SQLite."""
    from meetings import create_app

    environment = {"MAIL_SERVER": None, "FLASK_DEBUG": "1"}
    saved = {name: os.environ.pop(name, None) for name in environment}
    try:
        config = Config(DEBUG=True, SECRET_KEY="development", SCHEDULER_ENABLED=False,
                        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/development.db",
                        TRUSTED_HOSTS=["127.0.0.1", "localhost"])
        # (Rate limits stay on: the limiter is one object per process, and an app made with them
        # off turned them off for every test after this one.)
        return create_app(config, instance_path=instance_path)
    finally:
        for name, value in saved.items():
            if value is not None:
                os.environ[name] = value
