"""Preview as a person: the organizer picks anyone invited and sees exactly the email and the
calendar entry that person then receives, in their language and zone."""

from __future__ import annotations

import html as htmllib
import re

from meetings.extensions import db
from meetings.outbox.models import OutboxMessage
from meetings.scheduling import agenda, services as scheduling, sites
from tests import factories
from tests.factories import future_day, wall
from tests.notifications.test_update_changes import body_html

TOKEN = re.compile(r"/(rsvp|join|checkin|feeds)/[A-Za-z0-9_-]+")
IMAGE = re.compile(r'src="(cid:[^"]+|data:image/png;base64,[^"]+)"')


def normalized(html: str) -> str:
    """The HTML with each link's token and the QR image's bytes set aside: they are fresh in
    every email; everything else must be the same."""
    html = html.replace("\r\n", "\n")
    return IMAGE.sub('src="IMAGE"', TOKEN.sub(r"/\1/TOKEN", html)).strip()


def preview_html(browser, meeting_id: int, **args) -> str:
    query = "&".join(f"{k}={v}" for k, v in args.items())
    page = browser.get(f"/meetings/{meeting_id}/preview?{query}")
    assert page.status_code == 200
    return htmllib.unescape(re.search(r'id="preview-html"[^>]*srcdoc="([^"]*)"', page.text).group(1)), page.text


def setup_meeting(browser):
    meeting = factories.meeting(browser.user, title="Mid-year operation meeting")
    speaker = factories.person("Pieter de Vries", email="pieter@example.com", timezone="Europe/Amsterdam",
                               unit="Venray BV")
    venray = sites.add_site(meeting, {"name": "Venray", "kind": "remote", "timezone": "Europe/Amsterdam",
                                      "location": "Plant 2", "host_email": speaker.email})
    sites.add_site(meeting, {"name": "Bohai", "kind": "remote", "timezone": "Asia/Shanghai", "location": "3F"})
    agenda.add_item(meeting, {"title": "Speeches", "start": wall(future_day(), 10), "duration_minutes": 30,
                              "speakers": [{"email": speaker.email, "topic": "Roof systems", "minutes": 20}]})
    db.session.commit()
    li = factories.invite(meeting, factories.person("李明", email="li@example.com", language="zh_Hans"))
    return meeting, venray, speaker, li


def test_a_chosen_persons_preview_is_the_email_they_then_receive(client, smtp):
    from tests.manage.conftest import sign_in

    browser = sign_in(client, "office@example.com")
    meeting, venray, speaker, li = setup_meeting(browser)
    from meetings.invitations.services import invitations_of

    host = next(i for i in invitations_of(meeting) if i.person_id == speaker.id)
    before = db.session.query(OutboxMessage).count()
    shown = {}
    for invitation in (host, li):
        shown[invitation.person.email], page = preview_html(browser, meeting.id, invitation=invitation.id)
    assert db.session.query(OutboxMessage).count() == before  # a preview writes nothing
    assert "CEST" in shown["pieter@example.com"] and "Venray" in shown["pieter@example.com"]
    assert "北京时间" in shown["li@example.com"]
    factories.publish(db.session.get(type(meeting), meeting.id))
    factories.deliver()
    received = {mail.rcpt_tos[0]: mail.message for mail in smtp.mailbox.wait_for(2)}
    for email, html in shown.items():
        assert normalized(html) == normalized(body_html(received[email])), email
    # Pieter speaks (his role) and hosts Venray (his other part): his copy carries the site's links.
    assert host.role == "speaker"
    assert "/roll-call" in body_html(received["pieter@example.com"]) and "/join/" in shown["pieter@example.com"]


def test_after_publishing_a_persons_preview_is_their_next_update_with_what_changed(client, smtp):
    from tests.manage.conftest import sign_in

    browser = sign_in(client, "office@example.com")
    meeting, venray, speaker, li = setup_meeting(browser)
    factories.publish(meeting)
    factories.deliver()
    smtp.mailbox.clear()
    scheduling.update_meeting(meeting, {"start": wall(future_day(), 14)})
    db.session.commit()
    html, page = preview_html(browser, meeting.id, invitation=li.id)
    assert "时间：" in html and "→" in html and "next update" in page
    factories.deliver(later_minutes=2)
    received = {mail.rcpt_tos[0]: mail.message for mail in smtp.mailbox.wait_for(2)}
    assert normalized(html) == normalized(body_html(received["li@example.com"]))


def test_a_site_hosts_preview_describes_the_site_chosen(client):
    from tests.manage.conftest import sign_in

    browser = sign_in(client, "office@example.com")
    meeting, venray, speaker, li = setup_meeting(browser)
    main = meeting.main_site
    html, page = preview_html(browser, meeting.id, role="site_host", site=main.id)
    assert "Main hall" in html and "Venray" not in html.split("Agenda")[0]
    html, page = preview_html(browser, meeting.id, role="site_host", site=venray.id)
    assert "As the host of Venray" in html
    assert 'id="preview-calendar"' in page and "Plant 2" in page
