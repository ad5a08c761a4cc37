"""Reminders by role, end to end: publish, run the delivery as the scheduler would at each moment
that matters (a run is told its time, `deliver_due`'s ``now``: the clock is never moved), deliver
through the real SMTP server, and read what each person received, and when. Where what happens
depends on when a change is made (a reminder whose time passed while someone had declined, one due
and not yet sent), the meeting is put that close to the real now, and the test waits the second or
two until the reminder is due."""

import re
import time
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from meetings.core.db import utcnow
from meetings.extensions import db
from meetings.invitations import answers, services as invitations
from meetings.outbox.models import OutboxMessage, OutboxStatus
from meetings.scheduling import agenda, services as scheduling, sites
from tests import factories
from tests.factories import NEXT_YEAR, future_day, wall

#: The meeting: 09:00–12:00 in Shanghai on 10 June, 01:00 UTC; the speaker's slot an hour in.
START = datetime(NEXT_YEAR, 6, 10, 1, 0, tzinfo=timezone.utc)
SLOT = START + timedelta(hours=1)
DAY, HOUR, MINUTE = timedelta(days=1), timedelta(hours=1), timedelta(minutes=1)
#: How far ahead of now a test puts a reminder that must come due while it runs: time enough for
#: the one service call that makes it, and all the test then waits.
SOON = timedelta(seconds=2)


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
def meeting(api, cast):
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


def reminders_at(smtp, when=None) -> dict:
    """Run delivery once as the scheduler would at ``when`` (default: now), and return the
    reminders that arrived, by recipient."""
    smtp.mailbox.clear()
    factories.deliver(at=when)
    return {mail.rcpt_tos[0]: mail.message for mail in smtp.mailbox.received
            if mail.message["Subject"].startswith("Reminder:")}


def emails(*people):
    return {person.email for person in people}


def text_of(message) -> str:
    return message.get_body(("plain",)).get_content()


def invitation_of(meeting, person):
    return next(i for i in invitations.invitations_of(meeting) if i.person_id == person.id)


def soon(after: timedelta = timedelta(0)) -> datetime:
    """A whole second ``after`` plus one to two seconds from now (`SOON`)."""
    return (utcnow() + SOON).replace(microsecond=0) + after


def wait_until(moment: datetime) -> None:
    """Sleep until ``moment`` (put at most `SOON` ahead) has passed."""
    delay = (moment - utcnow()).total_seconds()
    assert delay <= SOON.total_seconds()
    if delay > 0:
        time.sleep(delay + 0.05)


def reminder_row(invitation, before_minutes: int) -> OutboxMessage:
    """``invitation``'s latest reminder row at ``before_minutes`` before its anchor."""
    return db.session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.kind == "reminder", OutboxMessage.invitation_id == invitation.id,
        OutboxMessage.key.like(f"reminder:{invitation.id}:{before_minutes}:%")).order_by(OutboxMessage.id.desc())).first()


def walk(smtp, times) -> dict:
    """Deliver at each of ``times`` (and a second before it); returns {time: set of recipients}."""
    seen = {}
    for when in sorted(times):
        assert reminders_at(smtp, when - timedelta(seconds=1)) == {}, f"early, before {when}"
        seen[when] = set(reminders_at(smtp, when))
    return seen


def test_each_role_is_reminded_at_its_offsets_and_nobody_twice(meeting, cast, smtp):
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
    assert walk(smtp, expected) == expected
    assert reminders_at(smtp, START + 4 * HOUR) == {}


def test_a_reminder_says_what_the_role_needs_in_the_recipients_zone_and_is_no_invite(meeting, cast, smtp,
                                                                                      client):
    factories.publish(meeting)
    speaker = reminders_at(smtp, SLOT - 3 * DAY)[cast["speaker"].email]
    # 10:00 in Shanghai is 04:00 in Amsterdam (CEST).
    assert speaker["Subject"] == f"Reminder: Mid-year operation meeting, your talk at 10 Jun {NEXT_YEAR}, 04:00 CEST"
    text = text_of(speaker)
    assert 'Your slot: 04:00–04:20 (20 minutes), on "Roof systems"' in text
    assert "prepare" in text and "CEST" in text

    day_before = reminders_at(smtp, START - DAY)
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


def test_nothing_goes_to_people_who_decline_and_it_comes_back_when_they_accept(meeting, cast, smtp, client):
    factories.publish(meeting)
    day_before = reminders_at(smtp, START - DAY)
    # The participant declines from the reminder itself.
    rsvp = re.search(r"(/rsvp/\S+)", text_of(day_before[cast["participant"].email])).group(1)
    assert client.get(rsvp).status_code == 200
    assert client.post(rsvp, data={"response": "declined"}).status_code == 303  # the token authorises it
    # The observer declines too, then accepts again before their reminder.
    observer = invitation_of(meeting, cast["observer"])
    answers.record_response(observer, "declined")
    db.session.commit()
    answers.record_response(observer, "accepted")
    db.session.commit()
    hour_before = reminders_at(smtp, START - HOUR)
    assert set(hour_before) == emails(cast["chair"], cast["online"], cast["observer"])


def test_a_reminder_missed_while_declined_is_not_sent_after_accepting_again(meeting, cast, smtp):
    factories.publish(meeting)
    participant = invitation_of(meeting, cast["participant"])
    # The meeting moves to start a day and a second or two from now, and the participant declines
    # at once: their day-before reminder is made, and skipped when it comes due (the answer wrote
    # nothing but itself; the reminder asks for it then).
    start = soon(DAY)
    scheduling.update_meeting(meeting, {"start": start.isoformat()})
    answers.record_response(participant, "declined")
    db.session.commit()
    wait_until(start - DAY)
    assert set(reminders_at(smtp)) == emails(cast["chair"], cast["host"], cast["online"])
    skipped = reminder_row(participant, 24 * 60)
    assert (skipped.status, skipped.last_error) == (OutboxStatus.SKIPPED, "the person declined")
    # They answer again once its time has passed: it does not come back; the hour-before one does.
    answers.record_response(participant, "tentative")
    db.session.commit()
    assert reminder_row(participant, 24 * 60).status == OutboxStatus.SKIPPED
    assert cast["participant"].email not in reminders_at(smtp)
    assert cast["participant"].email in reminders_at(smtp, start - HOUR)


def test_moving_the_meeting_moves_the_reminders(meeting, cast, smtp):
    factories.publish(meeting)
    scheduling.update_meeting(meeting, {"start": wall(future_day(day=11), 9)})
    db.session.commit()
    new_start = START + DAY
    assert reminders_at(smtp, SLOT - 3 * DAY) == {}
    assert set(reminders_at(smtp, SLOT + DAY - 3 * DAY)) == emails(cast["speaker"])
    assert reminders_at(smtp, START - DAY) == {}
    moved = reminders_at(smtp, new_start - DAY)
    assert set(moved) == emails(cast["chair"], cast["host"], cast["participant"], cast["online"])
    assert moved[cast["chair"].email]["Subject"].endswith(f"11 Jun {NEXT_YEAR}, 09:00 GMT+8")
    assert set(reminders_at(smtp, new_start + HOUR - 15 * MINUTE)) == emails(cast["speaker"])


def test_moving_the_meeting_away_and_back_sends_each_reminder_once(meeting, cast, smtp):
    factories.publish(meeting)
    scheduling.update_meeting(meeting, {"start": wall(future_day(), 15)})
    db.session.commit()
    scheduling.update_meeting(meeting, {"start": wall(future_day(), 9)})
    db.session.commit()
    assert set(reminders_at(smtp, SLOT - 3 * DAY)) == emails(cast["speaker"])
    day_before = reminders_at(smtp, START - DAY)
    assert set(day_before) == emails(cast["chair"], cast["host"], cast["participant"], cast["online"])
    assert reminders_at(smtp, START - DAY + MINUTE) == {}
    hour_before = reminders_at(smtp, START - HOUR)
    assert set(hour_before) == emails(cast["chair"], cast["participant"], cast["online"], cast["observer"])


def test_moving_a_speakers_slot_moves_their_reminders(meeting, cast, smtp):
    factories.publish(meeting)
    [item] = meeting.agenda_items
    agenda.update_item(meeting, item, {"start": wall(future_day(), 11)})
    db.session.commit()
    new_slot = START + 2 * HOUR
    assert reminders_at(smtp, SLOT - 3 * DAY) == {}
    assert set(reminders_at(smtp, new_slot - 3 * DAY)) == emails(cast["speaker"])
    assert cast["speaker"].email not in reminders_at(smtp, SLOT - HOUR)
    assert set(reminders_at(smtp, new_slot - HOUR)) == emails(cast["speaker"])
    assert set(reminders_at(smtp, new_slot - 15 * MINUTE)) == emails(cast["speaker"])


def test_a_reminder_due_but_not_yet_sent_survives_a_change_that_does_not_move_it(meeting, cast, smtp):
    factories.publish(meeting)
    # The meeting moves to start in a second or two; the speaker's slot is an hour in, so their
    # hour-before reminder is due at the start. It comes due; the scheduler has not come round.
    start = soon()
    scheduling.update_meeting(meeting, {"start": start.isoformat()})
    db.session.commit()
    speaker = invitation_of(meeting, cast["speaker"])
    wait_until(start)
    due = reminder_row(speaker, 60)
    assert due.status == OutboxStatus.PENDING and due.due_at <= utcnow()
    [item] = meeting.agenda_items
    agenda.update_item(meeting, item, {"title": "Speeches and reports"})
    invitations.update_invitation(meeting, speaker, {"mode": "online"})
    db.session.commit()
    assert set(reminders_at(smtp)) == emails(cast["speaker"])


def test_changing_the_meetings_reminders_replaces_the_rows(meeting, cast, smtp):
    factories.publish(meeting)
    scheduling.update_meeting(meeting, {"reminders": [{"role": "participant", "before_minutes": 120}]})
    db.session.commit()
    assert reminders_at(smtp, START - DAY) == {}
    assert set(reminders_at(smtp, START - 2 * HOUR)) == emails(cast["participant"], cast["online"])
    assert reminders_at(smtp, START - HOUR) == {}
    assert reminders_at(smtp, SLOT - 15 * MINUTE) == {}


def test_a_cancelled_meeting_sends_no_reminders(meeting, cast, smtp):
    factories.publish(meeting)
    scheduling.cancel_meeting(meeting)
    db.session.commit()
    for when in (START - DAY, START - HOUR, START - 30 * MINUTE, SLOT - 15 * MINUTE):
        assert reminders_at(smtp, when) == {}


def test_people_taken_off_the_list_get_no_reminders_and_a_new_role_gets_its_own(meeting, cast, smtp):
    factories.publish(meeting)
    invitations.remove_invitation(meeting, invitation_of(meeting, cast["participant"]))
    invitations.update_invitation(meeting, invitation_of(meeting, cast["observer"]), {"role": "chair"})
    db.session.commit()
    reminders_at(smtp, SLOT - 3 * DAY)
    day_before = reminders_at(smtp, START - DAY)
    assert set(day_before) == emails(cast["chair"], cast["host"], cast["online"], cast["observer"])


def test_a_delegate_gets_the_delegators_reminders(meeting, cast, smtp):
    factories.publish(meeting)
    invitations.delegate(invitation_of(meeting, cast["chair"]), "deputy@example.com", "Deputy")
    db.session.commit()
    reminders_at(smtp, SLOT - 3 * DAY)
    assert set(reminders_at(smtp, START - DAY)) == {"deputy@example.com", cast["host"].email,
                                                          cast["participant"].email, cast["online"].email}
    assert "deputy@example.com" in reminders_at(smtp, START - HOUR)


def test_people_invited_as_a_group_after_publishing_get_their_reminders(meeting, cast, smtp):
    factories.publish(meeting)
    tagged = [factories.person(f"Board {n}", email=f"board{n}@example.com", tags=["board"]) for n in range(3)]
    invitations.invite(meeting, {"tags": ["board"], "role": "observer"})
    db.session.commit()
    reminders_at(smtp, SLOT - 3 * DAY)
    reminders_at(smtp, START - DAY)
    assert emails(*tagged) <= set(reminders_at(smtp, START - HOUR))


def test_reminders_already_past_when_made_are_not_made(meeting, cast, smtp):
    # Published three quarters of an hour before it starts (the speaker's slot an hour in).
    start = soon(45 * MINUTE)
    scheduling.update_meeting(meeting, {"start": start.isoformat()})
    db.session.commit()
    factories.publish(meeting)
    late = factories.person("Late", email="late@example.com")
    factories.invite(meeting, late, "site_host", site_id=meeting.main_site.id)
    received = reminders_at(smtp)
    assert received == {}  # the day-before and hour-before reminders were never made
    assert set(reminders_at(smtp, start - 30 * MINUTE)) == emails(cast["host"], late)
    slot = start + HOUR
    assert set(reminders_at(smtp, slot - HOUR)) == emails(cast["speaker"])
    kept = db.session.query(OutboxMessage).filter_by(kind="reminder").count()
    assert kept == 2 + 2  # two site hosts' AV checks, the speaker's two


def test_a_reminder_due_while_no_scheduler_ran_goes_out_late_once_if_not_started(meeting, cast, smtp):
    factories.publish(meeting)
    reminders_at(smtp, START - DAY)
    late = reminders_at(smtp, START - 10 * MINUTE)  # nothing ran from START - 1h until now
    assert set(late) == emails(cast["chair"], cast["participant"], cast["online"], cast["observer"], cast["host"])
    assert reminders_at(smtp, START - 9 * MINUTE) == {}


def test_reminders_that_come_due_after_the_start_are_skipped(meeting, cast, smtp):
    factories.publish(meeting)
    reminders_at(smtp, START - DAY)
    assert set(reminders_at(smtp, START + 5 * MINUTE)) == emails(cast["speaker"])  # their slot is at 10:00
    db.session.expire_all()
    skipped = db.session.query(OutboxMessage).filter_by(kind="reminder", status="skipped").all()
    assert len(skipped) == 5 and all("started" in row.last_error for row in skipped)
