"""Ways to make the objects tests need, through the same services the app uses."""

from __future__ import annotations

import itertools
from datetime import date, datetime, time, timedelta

from meetings.directory import services as directory
from meetings.extensions import db
from meetings.scheduling import agenda, services as scheduling, sites

_counter = itertools.count(1)

#: A year that is always ahead, so published meetings are in the future whenever the suite runs.
NEXT_YEAR = date.today().year + 1


def future_day(month: int = 6, day: int = 10) -> date:
    """A fixed day of next year."""
    return date(NEXT_YEAR, month, day)


def last_sunday(year: int, month: int) -> date:
    """The last Sunday of ``month``: when European clocks change."""
    day = date(year, month + 1, 1) - timedelta(days=1) if month < 12 else date(year, 12, 31)
    while day.weekday() != 6:
        day -= timedelta(days=1)
    return day


def wall(day: date, hour: int, minute: int = 0) -> str:
    """An ISO wall time, as the API takes it."""
    return datetime.combine(day, time(hour, minute)).isoformat(timespec="minutes")


def person(name: str | None = None, *, email: str | None = None, unit: str | None = None, tags=(),
           timezone: str | None = None, language: str = "en", title: str = "", commit: bool = True):
    """A new person in the directory."""
    n = next(_counter)
    data = {"name": name or f"Person {n}", "email": email or f"person{n}@example.com",
            "tags": list(tags), "language": language, "title": title}
    if unit:
        data["unit"] = unit
    if timezone:
        data["timezone"] = timezone
    created = directory.create_person(data)
    if commit:
        db.session.commit()
    return created


def meeting(owner, *, title: str = "Operation meeting", day: date | None = None, start: str | None = None,
            end: str | None = None, timezone: str = "Asia/Shanghai", main_site: bool = True,
            commit: bool = True):
    """A draft meeting 09:00–12:00 on ``day`` (next June by default), with a main venue."""
    day = day or future_day()
    created = scheduling.create_meeting({"title": title, "start": start or wall(day, 9), "end": end or wall(day, 12),
                                         "timezone": timezone}, owner)
    if main_site:
        sites.add_site(created, {"name": "Main hall", "kind": "main", "location": "HQ 12F"})
    if commit:
        db.session.commit()
    return created


def agenda_item(meeting_, *, title: str = "Item", start: str | None = None, minutes: int = 30, kind: str = "other",
                speakers=None, commit: bool = True):
    """An agenda item of ``meeting_``."""
    data = {"title": title, "kind": kind, "duration_minutes": minutes}
    if start:
        data["start"] = start
    if speakers is not None:
        data["speakers"] = speakers
    item = agenda.add_item(meeting_, data)
    if commit:
        db.session.commit()
    return item


def invite(meeting_, person_, role: str = "participant", **extra):
    """Invite ``person_`` to ``meeting_`` through the service; committed."""
    from meetings.invitations import services as invitations

    data = {"email": person_.email, "role": role}
    data.update(extra)
    [invitation] = invitations.invite(meeting_, data)
    db.session.commit()
    return invitation


def crowd(meeting_, count: int, *, role: str = "participant", prefix: str = "guest"):
    """``count`` new people (``{prefix}{n}@example.com``) on a draft ``meeting_``'s list at its
    main venue, bulk-inserted (no signals: nothing is queued until it is published); committed."""
    import sqlalchemy as sa

    from meetings.core.db import utcnow
    from meetings.directory.models import Person
    from meetings.invitations.models import Invitation, Mode

    now = utcnow()
    emails = [f"{prefix}{n}@example.com" for n in range(count)]
    db.session.execute(sa.insert(Person), [
        {"name": f"Guest {n}", "email": email, "title": "", "timezone": "Asia/Shanghai", "language": "en",
         "created_at": now} for n, email in enumerate(emails)])
    ids = db.session.scalars(sa.select(Person.id).where(Person.email.in_(emails))).all()
    db.session.execute(sa.insert(Invitation), [
        {"meeting_id": meeting_.id, "person_id": person_id, "role": role, "site_id": meeting_.main_site.id,
         "mode": Mode.IN_PERSON, "response": "needs-action", "created_at": now} for person_id in ids])
    db.session.commit()
    return emails


def meeting_soon(owner, *, reminder_in: float, people: int = 0):
    """A published meeting, in real time, whose participants' one reminder (1 minute before)
    comes due in ``reminder_in`` seconds; with one guest, or ``people`` bulk-invited ones.
    Returns the meeting and its guests' emails."""
    from meetings.core.db import utcnow

    start = (utcnow() + timedelta(minutes=1, seconds=reminder_in)).replace(microsecond=0)
    meeting_ = meeting(owner, start=start.isoformat(), end=(start + timedelta(hours=2)).isoformat(), title="Soon")
    scheduling.update_meeting(meeting_, {"reminders": [{"role": "participant", "before_minutes": 1}]})
    db.session.commit()
    if people:
        emails = crowd(meeting_, people)
    else:
        emails = [invite(meeting_, person("Guest", email="guest@example.com")).person.email]
    publish(meeting_)
    return meeting_, emails


def publish(meeting_):
    """Publish ``meeting_``; committed."""
    scheduling.publish_meeting(meeting_)
    db.session.commit()
    return meeting_


def deliver(*, later_minutes: int = 0, at: datetime | None = None):
    """Run the outbox delivery once, as the scheduler would ``later_minutes`` ahead of now, or
    at ``at`` (a run is told its time: `deliver_due`'s ``now``; the clock itself is never moved)."""
    from meetings.core.db import utcnow
    from meetings.outbox.delivery import deliver_due

    return deliver_due(now=at or utcnow() + timedelta(minutes=later_minutes))


def ending_at(meeting_, end: datetime) -> None:
    """Put ``meeting_`` so that it ends at ``end``, its agenda and speakers' slots moved along,
    straight in the database: how a test puts a meeting just in the past or just ahead of now
    (the services refuse past times, and tests never mock the clock). Nothing is rescheduled or
    sent, as when time passes; the pages' content version moves, as for any change they show."""
    import sqlalchemy as sa

    from meetings.scheduling import versions
    from meetings.scheduling.models import AgendaItem, Meeting, SpeakerSlot

    delta = end - meeting_.end_at
    moved = versions.MOVED
    db.session.execute(sa.update(Meeting).where(Meeting.id == meeting_.id).values(
        start_at=meeting_.start_at + delta, end_at=end, content_version=versions.moved_version())
        .execution_options(**moved))
    for item in db.session.scalars(sa.select(AgendaItem).where(AgendaItem.meeting_id == meeting_.id)).all():
        db.session.execute(sa.update(AgendaItem).where(AgendaItem.id == item.id)
                           .values(start_at=item.start_at + delta).execution_options(**moved))
        for slot in item.speaker_slots:
            db.session.execute(sa.update(SpeakerSlot).where(SpeakerSlot.id == slot.id).values(
                start_at=slot.start_at + delta, end_at=slot.end_at + delta).execution_options(**moved))
    db.session.commit()
    db.session.expire_all()
