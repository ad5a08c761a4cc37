"""The join page's "This device" line, written by the browser in the device's zone, reads like the
times the server wrote on the same page: in English the British 24-hour day-month form (not the
12-hour month-day form of plain "en"), in Chinese the Chinese form, whatever the device's own
language."""

from __future__ import annotations

import re

import pytest

from tests.conferencing.helpers import remote_meeting, site_token

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(("locale", "query", "shown"), [
    ("en-US", "", r"^\w{3}, \d{1,2} \w{3} \d{4}, \d{2}:\d{2}–\d{2}:\d{2} \(Europe/London\)$"),
    ("en-US", "?lang=zh_Hans", r"^\d{4}年\d{1,2}月\d{1,2}日周\w \d{2}:\d{2}–\d{2}:\d{2} \(Europe/London\)$"),
])
def test_the_devices_time_is_written_as_the_page_writes_times(api, live_server, new_page, console, locale, query,
                                                               shown):
    _meeting, rooms, _people = remote_meeting(api.user)
    page = new_page(locale=locale, timezone_id="Europe/London")
    page.goto(f"{live_server}/join/{site_token(rooms['rotterdam'])}{query}")
    device = page.locator("time.local-time").inner_text()
    assert re.match(shown, device), device
    assert not re.search(r"\b[AP]M\b", device), device
    assert not console.errors, console.errors
