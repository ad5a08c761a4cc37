"""What users type reaches every HTML email part escaped: invites, updates, confirmations,
site links, reminders and cancellations, delivered through the real SMTP server."""

from datetime import timedelta

from meetings.conferencing.services import rotate_site_link
from meetings.core.db import utcnow
from meetings.extensions import db
from meetings.invitations import answers, services as invitations
from meetings.scheduling import agenda, services as scheduling, sites
from tests import factories
from tests.factories import future_day, wall

EVIL = "<img src=x onerror=alert(1)>"
ESCAPED = "&lt;img src=x onerror=alert(1)&gt;"


def html_parts(message):
    return [part.get_content() for part in message.walk() if part.get_content_type() == "text/html"]


def test_every_field_a_user_types_is_escaped_in_every_html_part(api, smtp):
    names = {role: factories.person(f"{role} {EVIL}", email=f"{role}@example.com", unit=f"Unit {EVIL}",
                                    title=EVIL)
             for role in ("chair", "speaker", "host", "participant", "online", "delegate")}
    meeting = factories.meeting(api.user, title=f"Budget {EVIL}", main_site=False)
    scheduling.update_meeting(meeting, {"description": f"About {EVIL}"})
    sites.add_site(meeting, {"name": f"Hall {EVIL}", "kind": "main", "location": f"Floor {EVIL}"})
    remote = sites.add_site(meeting, {"name": f"Remote {EVIL}", "timezone": "Europe/Amsterdam",
                                      "location": f"Dock {EVIL}", "host_email": names["host"].email})
    agenda.add_item(meeting, {"title": f"Speeches {EVIL}", "start": wall(future_day(), 10), "duration_minutes": 30,
                              "speakers": [{"email": names["speaker"].email, "topic": f"Topic {EVIL}",
                                            "minutes": 20}]})
    db.session.commit()
    factories.invite(meeting, names["chair"], "chair")
    participant = factories.invite(meeting, names["participant"], "participant")
    online = factories.invite(meeting, names["online"], "participant", mode="online")
    factories.publish(meeting)
    factories.deliver()

    answers.record_response(participant, "accepted")  # a confirmation
    invitations.delegate(online, names["delegate"].email)  # a confirmation naming the delegate, an invite
    rotate_site_link(remote)  # the host's new site link
    scheduling.update_meeting(meeting, {"title": f"Budget, moved {EVIL}"})  # updates
    db.session.commit()
    factories.deliver(later_minutes=5)
    until_start = (meeting.start_at - utcnow()) // timedelta(minutes=1)
    factories.deliver(later_minutes=until_start - 20)  # the reminders
    scheduling.cancel_meeting(meeting)
    db.session.commit()
    factories.deliver(later_minutes=until_start - 10)

    received = smtp.mailbox.received
    first_words = {mail.message["Subject"].split(":")[0].split(" ")[0] for mail in received}
    # invite, update, reminder, cancel, the two confirmations, the new site link
    assert first_words >= {"Invitation", "Updated", "Reminder", "Cancelled", "Your", "Delegated", "New"}
    seen = 0
    for mail in received:
        for html in html_parts(mail.message):
            assert "<img src=x" not in html, (mail.message["Subject"], html)
            seen += html.count(ESCAPED)
    assert seen > 0
    assert len(received) > 10
