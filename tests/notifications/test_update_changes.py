"""Updates say what changed since each person's last copy: old → new time in their zone, their
place, their slot, and agenda items added, moved or removed, in their language; the calendar's
description leads with the same lines."""

from __future__ import annotations

import pytest

from meetings.extensions import db
from meetings.scheduling import agenda, services as scheduling, sites
from tests import factories
from tests.factories import future_day, wall
from tests.notifications.test_invites import by_recipient, calendar_part


def body_text(message) -> str:
    return next(p for p in message.walk() if p.get_content_type() == "text/plain").get_content()


def body_html(message) -> str:
    return next(p for p in message.walk() if p.get_content_type() == "text/html").get_content()


@pytest.fixture()
def meeting(api):
    meeting = factories.meeting(api.user, title="Mid-year operation meeting")  # 09:00–12:00 Shanghai
    speaker = factories.person("Pieter de Vries", email="speaker@example.com", timezone="Europe/Amsterdam")
    agenda.add_item(meeting, {"title": "Speeches", "title_zh": "发言", "start": wall(future_day(), 10),
                              "duration_minutes": 30,
                              "speakers": [{"email": speaker.email, "topic": "Roof systems", "minutes": 20}]})
    db.session.commit()
    factories.invite(meeting, factories.person("李明", email="li@example.com", language="zh_Hans"))
    factories.invite(meeting, factories.person("Ann", email="ann@example.com"))
    factories.publish(meeting)
    factories.deliver()
    return meeting


def test_an_update_leads_with_the_old_and_new_time_in_each_readers_zone_and_language(meeting, smtp):
    smtp.mailbox.clear()
    scheduling.update_meeting(meeting, {"start": wall(future_day(), 14)})
    db.session.commit()
    factories.deliver(later_minutes=2)
    received = by_recipient(smtp.mailbox.wait_for(3))
    ann = body_text(received["ann@example.com"].message).splitlines()
    assert ann[2] == "What changed in Mid-year operation meeting since your last copy:"
    assert "Time: " in ann[3] and "09:00–12:00 GMT+8 → " in ann[3] and "14:00–17:00 GMT+8" in ann[3]
    li = body_text(received["li@example.com"].message).splitlines()
    assert li[3].startswith("- 时间：") and "09:00–12:00" in li[3] and "→" in li[3] and "14:00–17:00" in li[3]
    # The speaker, in Amsterdam (summer: UTC+2), reads it in their zone, and their own slot.
    speaker = body_text(received["speaker@example.com"].message)
    assert "03:00–06:00 CEST → " in speaker and "08:00–11:00 CEST" in speaker
    assert 'Your speaking slot in "Speeches": 04:00–04:20 → 09:00–09:20' in speaker
    # Only moved with the meeting: the agenda item is not listed again.
    assert "Agenda item" not in speaker
    description = calendar_part(received["ann@example.com"].message).vevent.description.value
    assert description.startswith("Changed since your last copy:\n- Time: ")
    html = body_html(received["ann@example.com"].message)
    assert '<ul id="changes">' in html and "→" in html


def test_an_update_names_the_new_place_and_agenda_items_added_and_removed(meeting, smtp):
    smtp.mailbox.clear()
    main = meeting.main_site
    sites.update_site(meeting, main, {"location": "HQ 3F <Hall B>"})
    agenda.add_item(meeting, {"title": "Q&A", "start": wall(future_day(), 11), "duration_minutes": 30})
    db.session.commit()
    factories.deliver(later_minutes=2)
    received = by_recipient(smtp.mailbox.wait_for(3))
    text = body_text(received["ann@example.com"].message)
    assert "- Place: Main hall, HQ 12F → Main hall, HQ 3F <Hall B>" in text
    assert '- Added to the agenda: "Q&A", 11:00–11:30' in text
    html = body_html(received["ann@example.com"].message)
    changes = html[html.index('<ul id="changes">'):html.index("</ul>")]
    assert "HQ 3F &lt;Hall B&gt;" in changes and "<Hall B>" not in changes
    # The next update compares with this copy: nothing repeated.
    smtp.mailbox.clear()
    [item] = [i for i in meeting.agenda_items if i.title == "Q&A"]
    agenda.remove_item(meeting, item)
    db.session.commit()
    factories.deliver(later_minutes=2)
    text = body_text(by_recipient(smtp.mailbox.wait_for(3))["ann@example.com"].message)
    assert '- Removed from the agenda: "Q&A"' in text and "Place:" not in text
