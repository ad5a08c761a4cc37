"""A speaker uploads their report from the link in their emailed invite, on a phone; the chair
and the remote site's host then see it on their own link pages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from meetings.extensions import db
from tests.factories import deliver
from tests.materials import samples
from tests.materials.helpers import cast  # noqa: F401 (the fixture)

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "device_scale_factor": 2}
SCREENS = Path(__file__).resolve().parents[2] / "build" / "screens"


def _link_in(mail) -> str:
    text = mail.message.get_body(("plain",)).get_content()
    return re.search(r"(http://127\.0\.0\.1:\d+/rsvp/[A-Za-z0-9_-]+)", text).group(1)


def test_a_speaker_uploads_from_the_emailed_link_on_a_phone(live_server, new_page, console, cast, smtp, tmp_path):
    deliver()  # the invites, with links to the live server
    invite = next(mail for mail in smtp.messages if mail.rcpt_tos == ["wang@example.com"])
    rsvp = _link_in(invite)
    report = tmp_path / "上半年经营报告.pdf"
    report.write_bytes(samples.pdf(200_000, seed=b"Shanghai branch"))

    phone = new_page(**PHONE)
    phone.goto(rsvp)
    phone.get_by_role("link", name="Your materials: upload or replace").click()
    expect(phone.get_by_role("heading", name="Your materials")).to_be_visible()
    assert phone.locator("#due").inner_text().startswith("Please upload by")
    expect(phone.get_by_text("Nothing uploaded yet.")).to_be_visible()
    phone.get_by_label("Your file").set_input_files(str(report))
    phone.get_by_role("button", name="Upload").click()
    expect(phone.locator("#uploaded")).to_be_visible()
    assert "上半年经营报告.pdf" in phone.locator(".uploaded").inner_text()
    expect(phone.get_by_role("button", name="Replace", exact=True)).to_be_visible()
    # Fits the phone: nothing wider than the screen.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    SCREENS.mkdir(parents=True, exist_ok=True)
    phone.screenshot(path=str(SCREENS / "materials-speaker-phone.png"), full_page=True)

    # The chair and the remote site's host see it on their own pages.
    db.session.expire_all()
    chair = new_page(**PHONE)
    chair.goto(f"{live_server}/rsvp/{cast.rsvp_token(cast.chair)}")
    expect(chair.locator("#materials").get_by_text("Shanghai branch")).to_be_visible()
    host = new_page(viewport={"width": 1280, "height": 800})
    host.goto(f"{live_server}/join/{cast.site_token()}")
    expect(host.get_by_role("heading", name="What Rotterdam shows")).to_be_visible()
    with host.expect_download() as download:
        host.locator("#materials").get_by_role("link", name="Shanghai branch").click()
    assert download.value.suggested_filename == "上半年经营报告.pdf"
    assert console.errors == []
