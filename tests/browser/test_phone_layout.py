"""An admin's pages on a phone (390 px, a mobile browser), in Chinese and in English: the top menu
wraps between its links, never inside one (a Chinese link one character a line), and the
invitation list fits: each row's tick box sits beside the name, its role and site pickers wrap
inside the row, and an answer's badge stays on one line. A site host's roll call, opened by link
on a phone, keeps each tick box beside its person. The answers' count tables keep their captions on
one line and label each number."""

from __future__ import annotations

import pytest

from meetings.accounts.services import create_user
from meetings.extensions import db
from meetings.scheduling import sites
from tests import factories
from tests.conferencing.helpers import remote_meeting, site_token

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
LONG_SITE = "渤海汽车 Bohai Automotive Parts Co., Ltd. Yantai plant remote room"


def _signed_in_phone(live_server, new_page, locale):
    create_user("admin@example.com", "admin", "admin password", name="Admin")
    db.session.commit()
    page = new_page(locale=locale, **PHONE)
    page.goto(f"{live_server}/login")
    page.fill("input[name=email]", "admin@example.com")
    page.fill("input[name=password]", "admin password")
    page.click("form button[type=submit]")
    page.wait_for_url(f"{live_server}/")
    return page


def _lines(element) -> int:
    """How many lines an element's text takes: its content height (padding aside) in line heights."""
    return element.evaluate("e => { const s = getComputedStyle(e);"
                            " const content = e.getBoundingClientRect().height - parseFloat(s.paddingTop)"
                            " - parseFloat(s.paddingBottom) - parseFloat(s.borderTopWidth)"
                            " - parseFloat(s.borderBottomWidth);"
                            " return Math.round(content / parseFloat(s.lineHeight)); }")


def _page_width(page) -> int:
    # A mobile browser widens its layout to fit what overflows: the page's width, not the window's.
    return page.evaluate("document.documentElement.scrollWidth")


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_the_top_menu_wraps_between_its_links_on_a_phone(live_server, new_page, console, locale):
    page = _signed_in_phone(live_server, new_page, locale)
    assert _page_width(page) <= 390
    links = page.locator("header.topbar nav a")
    assert links.count() >= 6  # the admin's menu, audit log included
    for index in range(links.count()):
        link = links.nth(index)
        lines = _lines(link)
        assert lines == 1, f"the menu's link {link.inner_text()!r} is broken over {lines} lines"
    assert not console.errors, console.errors


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_the_invitation_list_fits_a_phone(live_server, new_page, console, locale):
    page = _signed_in_phone(live_server, new_page, locale)
    owner = create_user("owner@example.com", "organizer", "owner password", name="赵敏")
    meeting = factories.meeting(owner, title="Mid-year operation meeting of the group and its enterprises")
    sites.add_site(meeting, {"name": LONG_SITE, "kind": "remote", "timezone": "Asia/Shanghai",
                             "location": "烟台市经济技术开发区长江路 300 号"})
    db.session.commit()
    site_id = meeting.sites[-1].id
    person = factories.person("Pieter de Vries-van den Heuvel", email="pieter.de.vries-van.den.heuvel@venray.example.nl",
                              unit="Venray Roof Systems Manufacturing BV")
    invitation = factories.invite(meeting, person, site_id=site_id, mode="remote_site")

    page.goto(f"{live_server}/meetings/{meeting.id}/invitations")
    assert _page_width(page) <= 390
    row = page.locator(f"#invitation-{invitation.id}")
    box = row.locator("input[type=checkbox]").bounding_box()
    name = row.locator("td > label").evaluate(  # the box of the name's own text, beside the tick box
        "label => { const range = document.createRange();"
        " range.selectNodeContents([...label.childNodes].find(n => n.nodeType === 3 && n.textContent.trim()));"
        " const r = range.getBoundingClientRect(); return {y: r.y, height: r.height}; }")
    assert box is not None and name is not None
    assert box["width"] < 40, "the tick box is as wide as the row"
    assert box["y"] < name["y"] + name["height"] and name["y"] < box["y"] + box["height"], \
        "the tick box is not on the name's line"
    for control in ("select[name=role]", "select[name=site_id]", "button[type=submit]"):
        edge = row.locator(f"form.inline-form {control}").bounding_box()
        assert edge is not None and edge["x"] + edge["width"] <= 390, f"{control} runs off the screen"
    badge = row.locator(".status")
    assert _lines(badge) == 1, "the answer's badge wraps"
    assert not console.errors, console.errors


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_the_roll_calls_boxes_sit_beside_their_people_on_a_phone(live_server, new_page, console, locale):
    owner = create_user("owner@example.com", "organizer", "owner password", name="赵敏")
    _meeting, rooms, people = remote_meeting(owner)
    people["ams_guest"].title = "Dispatched deputy director of operations 派驻副总经理"  # a name that wraps
    db.session.commit()
    page = new_page(locale=locale, **PHONE)
    page.goto(f"{live_server}/join/{site_token(rooms['rotterdam'])}/roll-call")
    assert _page_width(page) <= 390
    rows = page.locator("ul.checklist li")
    assert rows.count() >= 2
    for index in range(rows.count()):
        row = rows.nth(index)
        box = row.locator("input[type=checkbox]").bounding_box()
        label = row.locator("label").bounding_box()
        assert box is not None and label is not None
        assert box["x"] + box["width"] <= label["x"], f"row {index}: the box is not beside its person"
        assert label["y"] <= box["y"] + box["height"] / 2 <= label["y"] + label["height"], \
            f"row {index}: the box is not on its person's lines"
    assert not console.errors, console.errors


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_the_answers_count_tables_read_on_a_phone(live_server, new_page, console, locale):
    page = _signed_in_phone(live_server, new_page, locale)
    owner = create_user("owner@example.com", "organizer", "owner password", name="赵敏")
    meeting = factories.meeting(owner)
    factories.invite(meeting, factories.person("Guest"))
    page.goto(f"{live_server}/meetings/{meeting.id}/board")
    assert _page_width(page) <= 390
    for caption in page.locator("table.counts-table caption").all():
        lines = _lines(caption)
        assert lines == 1, f"the caption {caption.inner_text()!r} is squeezed over {lines} lines"
    # Each number shows what it counts (the head is hidden on a phone).
    for cell in page.locator("table.counts-table td").all():
        before = cell.evaluate("td => getComputedStyle(td, '::before').content")
        assert before not in ("none", "normal", '""'), cell.inner_html()
    assert not console.errors, console.errors
