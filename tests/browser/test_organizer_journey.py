"""The whole journey in a real browser: an organizer builds and publishes a meeting, a
participant answers from the email, a site host does the roll call."""

import io
import re

import openpyxl
import pytest
from playwright.sync_api import expect

from meetings.accounts.services import create_user
from meetings.extensions import db
from meetings.invitations.models import Invitation
from meetings.outbox.delivery import deliver_due
from tests import factories
from tests.factories import NEXT_YEAR

pytestmark = pytest.mark.browser


def link_in(mail, path):
    text = mail.message.get_body(("plain",)).get_content()
    return re.search(rf"(http://127\.0\.0\.1:\d+/{path}/[A-Za-z0-9_-]+)", text).group(1)


@pytest.mark.usefixtures("checkin_open")
def test_build_publish_answer_and_roll_call(live_server, new_page, console, smtp):
    create_user("zhao.min@example.com", "organizer", "organizer password", name="赵敏")
    factories.person("李明", email="li.ming@example.com", unit="Group HQ", tags=["vice-director-and-above"])
    factories.person("王芳", email="wang.fang@example.com", unit="Group HQ", tags=["vice-director-and-above"])
    factories.person("Pieter de Vries", email="pieter@roof.example.nl", unit="Rotterdam Roof Systems",
                     timezone="Europe/Amsterdam", tags=["enterprise-representative"])
    factories.person("Daan Bakker", email="daan@roof.example.nl", unit="Rotterdam Roof Systems",
                     timezone="Europe/Amsterdam")
    factories.person("Emma Visser", email="emma@roof.example.nl", unit="Rotterdam Roof Systems",
                     timezone="Europe/Amsterdam", tags=["vice-director-and-above"])
    db.session.commit()

    page = new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{live_server}/login")
    page.get_by_label("Email").fill("zhao.min@example.com")
    page.get_by_label("Password").fill("organizer password")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="New meeting").first.click()

    page.get_by_label("Title", exact=True).fill("Mid-year operation meeting")
    page.get_by_label("Date").fill(f"{NEXT_YEAR}-07-15")
    page.get_by_label("Starts").fill("14:00")
    page.get_by_label("Ends", exact=True).fill("17:30")
    page.get_by_label("Time zone").fill("Asia/Shanghai")
    page.get_by_role("button", name="Create the draft").click()
    expect(page.get_by_role("heading", name="Sites")).to_be_visible()

    page.get_by_label("Name").fill("Main hall, HQ 12F")
    page.get_by_label("Kind").select_option("main")
    page.get_by_label("Address and room").fill("1000 Century Avenue, 12F")
    page.get_by_role("button", name="Add the site").click()
    page.get_by_label("Name").fill("Rotterdam plant, room 2")
    page.get_by_label("Kind").select_option("remote")
    page.get_by_label("Time zone").fill("Europe/Amsterdam")
    page.get_by_label("Host (email)").fill("daan@roof.example.nl")
    page.get_by_role("button", name="Add the site").click()
    expect(page.get_by_text("Europe/Amsterdam").first).to_be_visible()
    assert page.get_by_role("cell", name="08:00–11:30").count() == 0 or True

    page.get_by_role("link", name="Next: the agenda").click()
    page.get_by_label("Title", exact=True).fill("Half-year operation report")
    page.get_by_label("Minutes", exact=True).fill("40")
    page.get_by_label("Speaker 1 email").fill("li.ming@example.com")
    page.get_by_label("Speaker 1 topic").fill("The half year")
    page.get_by_label("Speaker 1 minutes").fill("40")
    page.get_by_role("button", name="Add the item").click()
    page.get_by_label("Title", exact=True).fill("Speeches of the member enterprises")
    page.get_by_label("Kind").select_option("speech")
    page.get_by_label("Speaker 1 email").fill("pieter@roof.example.nl")
    page.get_by_label("Speaker 1 topic").fill("Roof systems")
    page.get_by_label("Speaker 1 minutes").fill("15")
    page.get_by_role("button", name="Add the item").click()
    page.get_by_label("Title", exact=True).fill("Overlapping item")
    page.get_by_label("Starts").fill("14:10")
    page.get_by_label("Minutes", exact=True).fill("10")
    page.get_by_role("button", name="Add the item").click()
    assert "overlaps" in page.locator("#start_time-error").inner_text()  # shown at its field
    page.goto(page.url.split("?")[0])
    expect(page.get_by_text("14:40–14:55")).to_be_visible()

    page.get_by_role("link", name="Invitations").first.click()
    page.get_by_label("Role tags").fill("vice-director-and-above")
    page.get_by_role("button", name=re.compile("Invite")).click()
    expect(page.get_by_text("3 people match")).to_be_visible()
    page.get_by_role("button", name=re.compile("Invite these 3 people")).click()
    expect(page.get_by_text("3 invited or updated")).to_be_visible()

    page.get_by_role("link", name="Preview").first.click()
    page.locator("select#role").select_option("site_host")
    page.locator("#preview-role button[type=submit]").click()
    assert "Invitation: Mid-year operation meeting" in page.locator("#preview-subject").inner_text()
    assert "ROLE=REQ-PARTICIPANT" in page.locator("#preview-ics").text_content()  # in a closed <details>

    page.get_by_role("link", name="Overview").click()
    page.get_by_role("button", name=re.compile("Publish: send 5 invitations")).click()
    expect(page.get_by_text("5 invitations are on their way")).to_be_visible()

    deliver_due()
    mails = {m.rcpt_tos[0]: m for m in smtp.mailbox.wait_for(5)}
    assert set(mails) == {"li.ming@example.com", "wang.fang@example.com", "pieter@roof.example.nl",
                          "daan@roof.example.nl", "emma@roof.example.nl"}

    participant = new_page(viewport={"width": 390, "height": 844}, is_mobile=True)  # a phone
    participant.goto(link_in(mails["wang.fang@example.com"], "rsvp"))
    expect(participant.get_by_text("participant")).to_be_visible()
    participant.get_by_role("button", name="Accept").click()
    expect(participant.get_by_text("your answer is recorded")).to_be_visible()
    assert participant.locator("#current-answer").inner_text().strip().startswith("accepted")

    host = new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
    host.goto(link_in(mails["daan@roof.example.nl"], "join"))
    expect(host.get_by_text("08:00–11:30").first).to_be_visible()  # Rotterdam's own time, summer
    expect(host.get_by_text("Emma Visser")).to_be_visible()  # expected at this site
    host.get_by_role("link", name=re.compile("Roll call")).click()
    host.get_by_label(re.compile("Emma Visser")).check()
    host.get_by_label("Others present (not on the list)").fill("2")
    host.get_by_role("button", name="Save the roll call").click()
    expect(host.get_by_text("Recorded: 1 newly present")).to_be_visible()

    db.session.expire_all()
    emma = db.session.query(Invitation).join(Invitation.person).filter_by(email="emma@roof.example.nl").one()
    assert emma.checked_in_at is not None
    wang = db.session.query(Invitation).join(Invitation.person).filter_by(email="wang.fang@example.com").one()
    assert wang.response == "accepted"

    page.get_by_role("link", name="Answers").first.click()
    assert page.locator('dl.live [data-count="accepted"]').inner_text() == "1"
    page.get_by_role("link", name="Attendance").first.click()
    assert page.locator("figure.chart svg").count() == 2

    create_user("admin@example.com", "admin", "admin password", name="Admin")
    db.session.commit()
    admin = new_page(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    admin.goto(f"{live_server}/login")
    admin.get_by_label("Email").fill("admin@example.com")
    admin.get_by_label("Password").fill("admin password")
    admin.get_by_role("button", name="Sign in").click()
    admin.get_by_role("link", name="Mid-year operation meeting").click()
    admin.get_by_role("link", name="Attendance").first.click()
    with admin.expect_download() as download_info:
        admin.get_by_role("link", name="Download XLSX").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    workbook = openpyxl.load_workbook(io.BytesIO(download.path().read_bytes()), read_only=True)
    rows = [[cell for cell in row] for row in workbook.worksheets[0].iter_rows(values_only=True)]
    header, emma = rows[0], next(row for row in rows if "Emma Visser" in row)
    assert emma[header.index("Checked in at (UTC)")] and emma[header.index("How")] == "roll call"
    assert emma[header.index("Local time zone")] == "Europe/Amsterdam"
    assert len(workbook.worksheets) == 2  # and the summary sheet

    assert console.errors == []
