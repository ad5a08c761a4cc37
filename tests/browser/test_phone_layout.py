"""An admin's pages on a phone (390 px, a mobile browser), in Chinese and in English: the top menu
wraps between its links, never inside one (a Chinese link one character a line)."""

from __future__ import annotations

import pytest

from meetings.accounts.services import create_user
from meetings.extensions import db

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


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
        lines = link.evaluate("a => Math.round(a.getBoundingClientRect().height"
                              " / parseFloat(getComputedStyle(a).lineHeight))")
        assert lines == 1, f"the menu's link {link.inner_text()!r} is broken over {lines} lines"
    assert not console.errors, console.errors

