"""Invites by email, end to end: publish, deliver through a real SMTP server, read the MIME
parts, and parse each calendar copy back with a second parser (vobject)."""

from datetime import datetime, timedelta, timezone

import pytest
import vobject

from meetings.extensions import db
from meetings.invitations.models import CapabilityLink
from meetings.outbox.models import OutboxMessage
from meetings.scheduling import agenda, services as scheduling, sites
from tests import factories
from tests.factories import NEXT_YEAR, future_day, last_sunday, wall


def calendar_part(message, method="REQUEST"):
    """The text/calendar alternative of a received message, parsed by vobject."""
    alternative = next(p for p in message.walk() if p.get_content_type() == "multipart/alternative")
    parts = [p.get_content_type() for p in alternative.iter_parts()]
    # In-person attendees' HTML comes with its check-in code, as multipart/related.
    assert parts in (["text/plain", "text/html", "text/calendar"],
                     ["text/plain", "multipart/related", "text/calendar"])
    calendar = list(alternative.iter_parts())[-1]
    assert calendar.get_param("method") == method
    assert calendar.get_content_charset() == "utf-8"
    return vobject.readOne(calendar.get_content())


def by_recipient(received):
    return {mail.rcpt_tos[0]: mail for mail in received}


@pytest.fixture()
def organizer(api):
    return api.user


@pytest.fixture()
def cast():
    return {
        "chair": factories.person("张建国", email="chair@example.com", tags=["leader"]),
        "speaker": factories.person("Pieter de Vries", email="speaker@example.com", timezone="Europe/Amsterdam"),
        "host": factories.person("Daan Bakker", email="host@example.com", timezone="Europe/Amsterdam"),
        "participant": factories.person("李明", email="participant@example.com"),
        "observer": factories.person("Observer", email="observer@example.com"),
    }


@pytest.fixture()
def meeting(organizer, cast):
    meeting = factories.meeting(organizer, title="Mid-year operation meeting")
    sites.add_site(meeting, {"name": "Rotterdam room", "timezone": "Europe/Amsterdam", "location": "Waalhaven 12",
                             "host_email": cast["host"].email})
    agenda.add_item(meeting, {"title": "Speeches", "start": wall(future_day(), 10), "duration_minutes": 30,
                              "speakers": [{"email": cast["speaker"].email, "topic": "Roof systems", "minutes": 20}]})
    db.session.commit()
    factories.invite(meeting, cast["chair"], "chair")
    factories.invite(meeting, cast["participant"], "participant")
    factories.invite(meeting, cast["observer"], "observer")
    return meeting


def test_publishing_sends_each_person_their_own_invite(meeting, cast, smtp):
    factories.publish(meeting)
    stats = factories.deliver()
    assert stats.sent == 5 and stats.failed == 0
    received = by_recipient(smtp.mailbox.wait_for(5))
    assert set(received) == {p.email for p in cast.values()}
    expected_roles = {"chair": "CHAIR", "speaker": "REQ-PARTICIPANT", "host": "REQ-PARTICIPANT",
                      "participant": "REQ-PARTICIPANT", "observer": "OPT-PARTICIPANT"}
    for name, person in cast.items():
        message = received[person.email].message
        assert message["To"].addresses[0].addr_spec == person.email
        assert message["Subject"].startswith("Invitation: Mid-year operation meeting")
        event = calendar_part(message).vevent
        assert event.uid.value == meeting.uid
        assert int(event.sequence.value) == 0
        assert event.organizer.value.lower() == "mailto:meetings@example.com"
        [attendee] = event.contents["attendee"]
        assert attendee.value.lower() == f"mailto:{person.email}"
        assert attendee.params["ROLE"] == [expected_roles[name]]
        assert attendee.params["PARTSTAT"] == ["NEEDS-ACTION"]
        assert attendee.params["RSVP"] == ["TRUE"]
        assert attendee.params["CN"] == [person.name]
        assert event.dtstart.value.astimezone(timezone.utc) == datetime(NEXT_YEAR, 6, 10, 1, 0, tzinfo=timezone.utc)
        attachments = [p for p in message.iter_attachments() if p.get_filename() == "invite.ics"]
        assert len(attachments) == 1


def test_each_copy_says_where_and_how_to_join_for_that_role(meeting, cast, smtp):
    factories.publish(meeting)
    factories.deliver()
    received = by_recipient(smtp.mailbox.wait_for(5))
    host_mail = received[cast["host"].email].message
    host_event = calendar_part(host_mail).vevent
    assert host_event.location.value == "Rotterdam room, Waalhaven 12"
    join = host_event.contents["conference"][0].value
    assert join.startswith("https://meetings.example.com/join/")
    assert host_event.url.value == join
    assert join in host_event.description.value
    text = host_mail.get_body(("plain",)).get_content()
    assert "roll-call" in text and join in text
    assert "local time at Rotterdam room" not in text  # the host reads Rotterdam time already
    speaker_text = received[cast["speaker"].email].message.get_body(("plain",)).get_content()
    assert "Your speaking slot: 04:00–04:20 (20 minutes), on \"Roof systems\"" in speaker_text
    chair_event = calendar_part(received[cast["chair"].email].message).vevent
    assert chair_event.location.value == "Main hall, HQ 12F"
    assert "conference" not in chair_event.contents
    rsvp_links = [line for line in received[cast["chair"].email].message.get_body(("plain",)).get_content().splitlines()
                  if "/rsvp/" in line]
    assert rsvp_links and rsvp_links[0].startswith("https://meetings.example.com/rsvp/")


def test_alarms_follow_the_role(meeting, cast, smtp):
    factories.publish(meeting)
    factories.deliver()
    received = by_recipient(smtp.mailbox.wait_for(5))

    def triggers(person):
        event = calendar_part(received[person.email].message).vevent
        return sorted(alarm.trigger.value.total_seconds() / 60 for alarm in event.contents.get("valarm", []))

    assert triggers(cast["chair"]) == [-1440, -60]
    assert triggers(cast["observer"]) == [-60]
    assert triggers(cast["host"]) == [-1440, -30]
    # The speaker's slot starts an hour in: 3 days, 1 hour and 15 minutes before it.
    assert triggers(cast["speaker"]) == [-4320 + 60, 0, 45]


def test_publishing_twice_or_delivering_twice_sends_nothing_twice(meeting, smtp):
    factories.publish(meeting)
    factories.publish(meeting)
    assert factories.deliver().sent == 5
    assert factories.deliver().sent == 0
    assert len(smtp.mailbox.wait_for(5, timeout=1)) == 5
    assert db.session.query(OutboxMessage).filter_by(kind="invite").count() == 5


def test_only_link_hashes_are_stored(meeting, smtp):
    factories.publish(meeting)
    factories.deliver()
    raw = b"".join(m.raw for m in smtp.mailbox.wait_for(5))
    hashes = [link.token_hash for link in db.session.query(CapabilityLink)]
    assert hashes and not any(h.encode() in raw for h in hashes)


def test_updates_raise_the_sequence_and_cancellations_reach_everyone(meeting, cast, smtp):
    factories.publish(meeting)
    factories.deliver()
    smtp.mailbox.clear()
    scheduling.update_meeting(meeting, {"start": wall(future_day(), 10)})
    db.session.commit()
    assert factories.deliver().sent == 0  # updates wait a moment, to gather a burst of edits
    assert factories.deliver(later_minutes=2).sent == 5
    updates = by_recipient(smtp.mailbox.wait_for(5))
    event = calendar_part(updates[cast["chair"].email].message).vevent
    assert int(event.sequence.value) == 1
    assert event.dtstart.value.astimezone(timezone.utc).hour == 2
    assert updates[cast["chair"].email].message["Subject"].startswith("Updated:")
    smtp.mailbox.clear()
    scheduling.cancel_meeting(meeting)
    db.session.commit()
    assert factories.deliver().sent == 5
    cancels = by_recipient(smtp.mailbox.wait_for(5))
    cancel = calendar_part(cancels[cast["observer"].email].message, method="CANCEL")
    assert cancel.method.value == "CANCEL"
    assert cancel.vevent.status.value == "CANCELLED"
    assert int(cancel.vevent.sequence.value) == 2
    listed = {a.value.lower() for a in cancel.vevent.contents["attendee"]}
    assert listed == {f"mailto:{p.email}" for p in cast.values()}


def test_a_burst_of_changes_sends_one_update(meeting, smtp):
    factories.publish(meeting)
    factories.deliver()
    smtp.mailbox.clear()
    for hour in (10, 11, 12):
        scheduling.update_meeting(meeting, {"start": wall(future_day(), hour)})
        db.session.commit()
    assert factories.deliver(later_minutes=2).sent == 5
    received = smtp.mailbox.wait_for(5)
    for mail in received:
        event = calendar_part(mail.message).vevent
        assert int(event.sequence.value) == 3
        assert event.dtstart.value.astimezone(timezone.utc).hour == 4


def test_people_invited_after_publishing_get_their_invite_and_removed_people_a_cancel(meeting, cast, smtp):
    factories.publish(meeting)
    factories.deliver()
    smtp.mailbox.clear()
    late = factories.person("Late", email="late@example.com")
    factories.invite(meeting, late)
    from meetings.invitations import services

    observer = next(i for i in services.invitations_of(meeting) if i.person_id == cast["observer"].id)
    services.remove_invitation(meeting, observer)
    db.session.commit()
    assert factories.deliver().sent == 2
    received = by_recipient(smtp.mailbox.wait_for(2))
    assert received["late@example.com"].message["Subject"].startswith("Invitation:")
    cancel = calendar_part(received[cast["observer"].email].message, method="CANCEL")
    assert [a.value.lower() for a in cancel.vevent.contents["attendee"]] == [f"mailto:{cast['observer'].email}"]


def test_a_change_at_one_site_updates_only_its_people(meeting, cast, smtp):
    factories.publish(meeting)
    factories.deliver()
    smtp.mailbox.clear()
    rotterdam = next(s for s in meeting.sites if s.name == "Rotterdam room")
    sites.update_site(meeting, rotterdam, {"location": "Waalhaven 14, room 3"})
    db.session.commit()
    factories.deliver(later_minutes=2)
    received = by_recipient(smtp.mailbox.wait_for(1))
    assert set(received) == {cast["host"].email}
    assert calendar_part(received[cast["host"].email].message).vevent.location.value == \
        "Rotterdam room, Waalhaven 14, room 3"


@pytest.mark.parametrize("month, local", [(3, "03:00–06:00 CEST"), (10, "02:00–05:00 CET")])
def test_dst_a_site_in_amsterdam_reads_a_shanghai_meeting_right_the_day_after_each_change(organizer, smtp,
                                                                                          month, local):
    after = last_sunday(NEXT_YEAR, month) + timedelta(days=1)
    meeting = factories.meeting(organizer, day=after, title="After the change")
    host = factories.person("Host", email="ams-host@example.com", timezone="Europe/Amsterdam")
    sites.add_site(meeting, {"name": "Amsterdam", "timezone": "Europe/Amsterdam", "host_email": host.email})
    db.session.commit()
    factories.publish(meeting)
    factories.deliver()
    [mail] = smtp.mailbox.wait_for(1)
    event = calendar_part(mail.message).vevent
    assert event.dtstart.value.astimezone(timezone.utc) == datetime(after.year, after.month, after.day, 1, 0,
                                                                    tzinfo=timezone.utc)
    text = mail.message.get_body(("plain",)).get_content()
    assert f"{local}" in text  # UTC+2 after March's change, UTC+1 after October's


def test_nothing_a_user_types_can_add_a_property_a_component_or_a_header(organizer, smtp):
    evil_title = "Budget\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nSUMMARY:evil"
    meeting = factories.meeting(organizer)
    meeting.title = evil_title  # past the API's single-line rule, as if stored by an older version
    person = factories.person("Eve", email="eve@example.com")
    person.name = "Eve\r\nBcc: victim@example.com"  # likewise past the directory's rules
    db.session.commit()
    factories.invite(meeting, person)
    factories.publish(meeting)
    factories.deliver()
    [mail] = smtp.mailbox.wait_for(1)
    assert mail.rcpt_tos == ["eve@example.com"]
    assert "Bcc" not in mail.message
    assert [a.addr_spec for a in mail.message["To"].addresses] == ["eve@example.com"]
    calendar = calendar_part(mail.message)
    assert len(calendar.contents["vevent"]) == 1
    assert len(calendar.vevent.contents["summary"]) == 1


def test_in_person_attendees_get_their_own_check_in_code_and_others_none(meeting, cast, smtp, client):
    from meetings.attendance import qr

    factories.publish(meeting)
    factories.deliver()
    received = by_recipient(smtp.mailbox.wait_for(5))
    codes = {}
    for name in ("chair", "participant", "observer", "speaker"):  # at the main venue, in person
        message = received[cast[name].email].message
        related = next(p for p in message.walk() if p.get_content_type() == "multipart/related")
        html, image = related.iter_parts()
        assert image["Content-ID"] == "<checkin-code@meetings>"
        assert 'src="cid:checkin-code@meetings"' in html.get_content()
        text = message.get_body(("plain",)).get_content()
        url = next(line.split()[-1] for line in text.splitlines() if "/checkin/" in line)
        assert url.startswith("https://meetings.example.com/checkin/")
        assert image.get_payload(decode=True) == qr.png(url)  # the picture is the link in the text
        assert url in calendar_part(message).vevent.description.value
        codes[name] = url
        page = client.get(url.removeprefix("https://meetings.example.com"))
        assert page.status_code == 200 and cast[name].name in page.text
    assert len(set(codes.values())) == 4
    host = received[cast["host"].email].message  # at a remote site: joins by the site link instead
    assert not any(p.get_content_type().startswith("image/") for p in host.walk())
    assert "/checkin/" not in host.get_body(("plain",)).get_content()
