"""Reminders by role, end to end: publish, move the clock (time-machine), deliver through the real
SMTP server, and read what each person received, and when."""

import re
from datetime import datetime, timedelta, timezone

import pytest
import time_machine

from meetings.extensions import db
from meetings.invitations import services as invitations
from meetings.outbox.models import OutboxMessage
from meetings.scheduling import agenda, services as scheduling, sites
from tests import factories
from tests.factories import NEXT_YEAR, future_day, wall

#: The meeting: 09:00–12:00 in Shanghai on 10 June, 01:00 UTC; the speaker's slot an hour in.
START = datetime(NEXT_YEAR, 6, 10, 1, 0, tzinfo=timezone.utc)
SLOT = START + timedelta(hours=1)
DAY, HOUR, MINUTE = timedelta(days=1), timedelta(hours=1), timedelta(minutes=1)


@pytest.fixture()
def clock():
    """The time, frozen 3 weeks before the meeting; tests move it."""
    with time_machine.travel(START - 21 * DAY, tick=False) as traveller:
        yield traveller


@pytest.fixture()
def cast(app):
    return {
        "chair": factories.person("张建国", email="chair@example.com"),
        "speaker": factories.person("Pieter de Vries", email="speaker@example.com", timezone="Europe/Amsterdam"),
        "host": factories.person("Daan Bakker", email="host@example.com", timezone="Europe/Amsterdam"),
        "participant": factories.person("李明", email="participant@example.com"),
        "online": factories.person("Ann Online", email="online@example.com", timezone="America/New_York"),
        "observer": factories.person("Observer", email="observer@example.com"),
    }


@pytest.fixture()
def meeting(clock, api, cast):
    meeting = factories.meeting(api.user, title="Mid-year operation meeting")
    sites.add_site(meeting, {"name": "Rotterdam room", "timezone": "Europe/Amsterdam", "location": "Waalhaven 12",
                             "host_email": cast["host"].email})
    agenda.add_item(meeting, {"title": "Speeches", "start": wall(future_day(), 10), "duration_minutes": 30,
                              "speakers": [{"email": cast["speaker"].email, "topic": "Roof systems", "minutes": 20}]})
    db.session.commit()
    factories.invite(meeting, cast["chair"], "chair")
    factories.invite(meeting, cast["participant"], "participant")
    factories.invite(meeting, cast["online"], "participant", mode="online")
    factories.invite(meeting, cast["observer"], "observer")
    return meeting


def reminders_at(clock, smtp, when) -> dict:
    """Move the clock to ``when``, run delivery once, and return the reminders that arrived, by
    recipient."""
    smtp.mailbox.clear()
    clock.move_to(when)
    factories.deliver()
    return {mail.rcpt_tos[0]: mail.message for mail in smtp.mailbox.received
            if mail.message["Subject"].startswith("Reminder:")}


def emails(*people):
    return {person.email for person in people}


def text_of(message) -> str:
    return message.get_body(("plain",)).get_content()


def invitation_of(meeting, person):
    return next(i for i in invitations.invitations_of(meeting) if i.person_id == person.id)


def walk(clock, smtp, times) -> dict:
    """Deliver at each of ``times`` (and a second before it); returns {time: set of recipients}."""
    seen = {}
    for when in sorted(times):
        assert reminders_at(clock, smtp, when - timedelta(seconds=1)) == {}, f"early, before {when}"
        seen[when] = set(reminders_at(clock, smtp, when))
    return seen


def test_each_role_is_reminded_at_its_offsets_and_nobody_twice(meeting, cast, clock, smtp):
    factories.publish(meeting)
    c = cast
    expected = {
        SLOT - 3 * DAY: emails(c["speaker"]),
        START - DAY: emails(c["chair"], c["host"], c["participant"], c["online"]),
        START - HOUR: emails(c["chair"], c["participant"], c["online"], c["observer"]),
        START - 30 * MINUTE: emails(c["host"]),
        SLOT - HOUR: emails(c["speaker"]),  # the speaker counts from their slot, not the start
        SLOT - 15 * MINUTE: emails(c["speaker"]),
    }
    assert walk(clock, smtp, expected) == expected
    assert reminders_at(clock, smtp, START + 4 * HOUR) == {}


def test_a_reminder_says_what_the_role_needs_in_the_recipients_zone_and_is_no_invite(meeting, cast, clock, smtp,
                                                                                      client):
    factories.publish(meeting)
    speaker = reminders_at(clock, smtp, SLOT - 3 * DAY)[cast["speaker"].email]
    # 10:00 in Shanghai is 04:00 in Amsterdam (CEST).
    assert speaker["Subject"] == f"Reminder: Mid-year operation meeting, your talk at 10 Jun {NEXT_YEAR}, 04:00 CEST"
    text = text_of(speaker)
    assert 'Your slot: 04:00–04:20 (20 minutes), on "Roof systems"' in text
    assert "prepare" in text and "CEST" in text

    day_before = reminders_at(clock, smtp, START - DAY)
    for message in day_before.values():
        assert [part.get_content_type() for part in message.walk()] == [
            "multipart/alternative", "text/plain", "text/html"]  # no text/calendar, no invite.ics
        assert "/rsvp/" in text_of(message)

    host = text_of(day_before[cast["host"].email])
    assert day_before[cast["host"].email]["Subject"].startswith("Reminder: Mid-year operation meeting, sound and")
    join = re.search(r"Join the videoconference: (https://meetings\.example\.com/join/\S+)", host).group(1)
    roll_call = re.search(r"Roll call for Rotterdam room: (\S+)", host).group(1)
    assert roll_call == join + "/roll-call"
    assert "03:00–06:00 CEST" in host
    assert client.get(roll_call.removeprefix("https://meetings.example.com")).status_code == 200

    participant = day_before[cast["participant"].email]
    assert participant["Subject"] == f"Reminder: Mid-year operation meeting, 10 Jun {NEXT_YEAR}, 09:00 GMT+8"
    assert "Where: Main hall, HQ 12F" in text_of(participant)
    assert "/join/" not in text_of(participant)
    assert "Agenda" not in text_of(participant)  # short: the invite has it
    chair = text_of(day_before[cast["chair"].email])
    assert "Agenda (GMT+8):" in chair and "10:00  Pieter de Vries: Roof systems" in chair

    online = day_before[cast["online"].email]
    # 09:00 in Shanghai is 21:00 the evening before in New York (EDT).
    assert online["Subject"] == f"Reminder: Mid-year operation meeting, 9 Jun {NEXT_YEAR}, 21:00 GMT-4"
    assert "Where: online, by videoconference" in text_of(online)
    personal_join = re.search(r"Join the videoconference: (\S+)", text_of(online)).group(1)
    assert client.get(personal_join.removeprefix("https://meetings.example.com")).status_code == 200


def test_nothing_goes_to_people_who_decline_and_it_comes_back_when_they_accept(meeting, cast, clock, smtp, client):
    factories.publish(meeting)
    day_before = reminders_at(clock, smtp, START - DAY)
    # The participant declines from the reminder itself.
    rsvp = re.search(r"(/rsvp/\S+)", text_of(day_before[cast["participant"].email])).group(1)
    assert client.get(rsvp).status_code == 200
    assert client.post(rsvp, data={"response": "declined"}).status_code == 303  # the token authorises it
    # The observer declines too, then accepts again before their reminder.
    observer = invitation_of(meeting, cast["observer"])
    invitations.record_response(observer, "declined")
    db.session.commit()
    clock.move_to(START - 2 * HOUR)
    invitations.record_response(observer, "accepted")
    db.session.commit()
    hour_before = reminders_at(clock, smtp, START - HOUR)
    assert set(hour_before) == emails(cast["chair"], cast["online"], cast["observer"])


def test_a_reminder_missed_while_declined_is_not_sent_after_accepting_again(meeting, cast, clock, smtp):
    factories.publish(meeting)
    participant = invitation_of(meeting, cast["participant"])
    clock.move_to(START - 2 * DAY)
    invitations.record_response(participant, "declined")
    db.session.commit()
    assert cast["participant"].email not in reminders_at(clock, smtp, START - DAY)
    clock.move_to(START - DAY + HOUR)
    invitations.record_response(participant, "tentative")
    db.session.commit()
    assert cast["participant"].email not in reminders_at(clock, smtp, START - DAY + 2 * HOUR)
    assert cast["participant"].email in reminders_at(clock, smtp, START - HOUR)


def test_moving_the_meeting_moves_the_reminders(meeting, cast, clock, smtp):
    factories.publish(meeting)
    clock.move_to(START - 4 * DAY)
    scheduling.update_meeting(meeting, {"start": wall(future_day(day=11), 9)})
    db.session.commit()
    new_start = START + DAY
    assert reminders_at(clock, smtp, SLOT - 3 * DAY) == {}
    assert set(reminders_at(clock, smtp, SLOT + DAY - 3 * DAY)) == emails(cast["speaker"])
    assert reminders_at(clock, smtp, START - DAY) == {}
    moved = reminders_at(clock, smtp, new_start - DAY)
    assert set(moved) == emails(cast["chair"], cast["host"], cast["participant"], cast["online"])
    assert moved[cast["chair"].email]["Subject"].endswith(f"11 Jun {NEXT_YEAR}, 09:00 GMT+8")
    assert set(reminders_at(clock, smtp, new_start + HOUR - 15 * MINUTE)) == emails(cast["speaker"])


def test_moving_the_meeting_away_and_back_sends_each_reminder_once(meeting, cast, clock, smtp):
    factories.publish(meeting)
    clock.move_to(START - 4 * DAY)
    scheduling.update_meeting(meeting, {"start": wall(future_day(), 15)})
    db.session.commit()
    scheduling.update_meeting(meeting, {"start": wall(future_day(), 9)})
    db.session.commit()
    assert set(reminders_at(clock, smtp, SLOT - 3 * DAY)) == emails(cast["speaker"])
    day_before = reminders_at(clock, smtp, START - DAY)
    assert set(day_before) == emails(cast["chair"], cast["host"], cast["participant"], cast["online"])
    assert reminders_at(clock, smtp, START - DAY + MINUTE) == {}
    hour_before = reminders_at(clock, smtp, START - HOUR)
    assert set(hour_before) == emails(cast["chair"], cast["participant"], cast["online"], cast["observer"])


def test_moving_a_speakers_slot_moves_their_reminders(meeting, cast, clock, smtp):
    factories.publish(meeting)
    clock.move_to(START - 2 * DAY)
    [item] = meeting.agenda_items
    agenda.update_item(meeting, item, {"start": wall(future_day(), 11)})
    db.session.commit()
    new_slot = START + 2 * HOUR
    assert cast["speaker"].email not in reminders_at(clock, smtp, SLOT - HOUR)
    assert set(reminders_at(clock, smtp, new_slot - HOUR)) == emails(cast["speaker"])
    assert set(reminders_at(clock, smtp, new_slot - 15 * MINUTE)) == emails(cast["speaker"])


def test_a_reminder_due_but_not_yet_sent_survives_a_change_that_does_not_move_it(meeting, cast, clock, smtp):
    factories.publish(meeting)
    reminders_at(clock, smtp, SLOT - HOUR)
    clock.move_to(SLOT - 15 * MINUTE + 3 * timedelta(seconds=1))  # due, and the scheduler not yet round
    [item] = meeting.agenda_items
    agenda.update_item(meeting, item, {"title": "Speeches and reports"})
    invitations.update_invitation(meeting, invitation_of(meeting, cast["speaker"]), {"mode": "online"})
    db.session.commit()
    assert set(reminders_at(clock, smtp, SLOT - 14 * MINUTE)) == emails(cast["speaker"])


def test_changing_the_meetings_reminders_replaces_the_rows(meeting, cast, clock, smtp):
    factories.publish(meeting)
    clock.move_to(START - 4 * DAY)
    scheduling.update_meeting(meeting, {"reminders": [{"role": "participant", "before_minutes": 120}]})
    db.session.commit()
    assert reminders_at(clock, smtp, START - DAY) == {}
    assert set(reminders_at(clock, smtp, START - 2 * HOUR)) == emails(cast["participant"], cast["online"])
    assert reminders_at(clock, smtp, START - HOUR) == {}
    assert reminders_at(clock, smtp, SLOT - 15 * MINUTE) == {}


def test_a_cancelled_meeting_sends_no_reminders(meeting, cast, clock, smtp):
    factories.publish(meeting)
    clock.move_to(START - 2 * DAY)
    scheduling.cancel_meeting(meeting)
    db.session.commit()
    for when in (START - DAY, START - HOUR, START - 30 * MINUTE, SLOT - 15 * MINUTE):
        assert reminders_at(clock, smtp, when) == {}


def test_people_taken_off_the_list_get_no_reminders_and_a_new_role_gets_its_own(meeting, cast, clock, smtp):
    factories.publish(meeting)
    clock.move_to(START - 4 * DAY)
    invitations.remove_invitation(meeting, invitation_of(meeting, cast["participant"]))
    invitations.update_invitation(meeting, invitation_of(meeting, cast["observer"]), {"role": "chair"})
    db.session.commit()
    reminders_at(clock, smtp, SLOT - 3 * DAY)
    day_before = reminders_at(clock, smtp, START - DAY)
    assert set(day_before) == emails(cast["chair"], cast["host"], cast["online"], cast["observer"])


def test_a_delegate_gets_the_delegators_reminders(meeting, cast, clock, smtp):
    factories.publish(meeting)
    clock.move_to(START - 4 * DAY)
    invitations.delegate(invitation_of(meeting, cast["chair"]), "deputy@example.com", "Deputy")
    db.session.commit()
    reminders_at(clock, smtp, SLOT - 3 * DAY)
    assert set(reminders_at(clock, smtp, START - DAY)) == {"deputy@example.com", cast["host"].email,
                                                          cast["participant"].email, cast["online"].email}
    assert "deputy@example.com" in reminders_at(clock, smtp, START - HOUR)


def test_people_invited_as_a_group_after_publishing_get_their_reminders(meeting, cast, clock, smtp):
    factories.publish(meeting)
    tagged = [factories.person(f"Board {n}", email=f"board{n}@example.com", tags=["board"]) for n in range(3)]
    invitations.invite(meeting, {"tags": ["board"], "role": "observer"})
    db.session.commit()
    reminders_at(clock, smtp, SLOT - 3 * DAY)
    reminders_at(clock, smtp, START - DAY)
    assert emails(*tagged) <= set(reminders_at(clock, smtp, START - HOUR))


def test_reminders_already_past_when_made_are_not_made(meeting, cast, clock, smtp):
    clock.move_to(START - 45 * MINUTE)
    factories.publish(meeting)
    late = factories.person("Late", email="late@example.com")
    factories.invite(meeting, late, "site_host", site_id=meeting.main_site.id)
    received = reminders_at(clock, smtp, START - 45 * MINUTE)
    assert received == {}  # the day-before and hour-before reminders were never made
    assert set(reminders_at(clock, smtp, START - 30 * MINUTE)) == emails(cast["host"], late)
    assert set(reminders_at(clock, smtp, SLOT - HOUR)) == emails(cast["speaker"])
    kept = db.session.query(OutboxMessage).filter_by(kind="reminder").count()
    assert kept == 2 + 2  # two site hosts' AV checks, the speaker's two


def test_a_reminder_due_while_no_scheduler_ran_goes_out_late_once_if_not_started(meeting, cast, clock, smtp):
    factories.publish(meeting)
    reminders_at(clock, smtp, START - DAY)
    late = reminders_at(clock, smtp, START - 10 * MINUTE)  # nothing ran from START - 1h until now
    assert set(late) == emails(cast["chair"], cast["participant"], cast["online"], cast["observer"], cast["host"])
    assert reminders_at(clock, smtp, START - 9 * MINUTE) == {}


def test_reminders_that_come_due_after_the_start_are_skipped(meeting, cast, clock, smtp):
    factories.publish(meeting)
    reminders_at(clock, smtp, START - DAY)
    assert set(reminders_at(clock, smtp, START + 5 * MINUTE)) == emails(cast["speaker"])  # their slot is at 10:00
    db.session.expire_all()
    skipped = db.session.query(OutboxMessage).filter_by(kind="reminder", status="skipped").all()
    assert len(skipped) == 5 and all("started" in row.last_error for row in skipped)
