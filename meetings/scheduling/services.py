"""Meeting rules and actions: create, change, move, publish, cancel, delete; who may see what.

Sites and the agenda have their own modules (`sites`, `agenda`); this one owns the meeting
itself and the rules that tie them together (moving a meeting moves its agenda).
"""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime, timedelta
from types import SimpleNamespace
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from meetings.accounts import audit
from meetings.accounts.models import User, UserRole
from meetings.accounts.services import CALLER_FOR_TOKEN
from meetings.core import signals
from meetings.core.access import ReadWithCaller
from meetings.core.database import request_reads
from meetings.core.db import rowcount, utcnow
from meetings.core.errors import Conflict, InvalidInput, NotFound
from meetings.core.labels import label
from meetings.core.roles import MAX_REMINDER_MINUTES, MAX_REMINDERS_PER_ROLE, Role
from meetings.core.timezones import get_zone, to_utc
from meetings.core.validation import clean_text
from meetings.extensions import db
from meetings.scheduling import versions
from meetings.scheduling.models import (
    SEQUENCE_CHANGES,
    Meeting,
    MeetingShare,
    MeetingStatus,
    ReminderPolicy,
)

#: Longest meeting accepted; anything longer is almost always a typo in a date.
MAX_MEETING_DURATION = timedelta(days=7)


# --- who may see what ---------------------------------------------------------------------------

def visible_meetings(user) -> sa.Select:
    """The meetings ``user`` may see: all for admins, their own and shared ones for organizers."""
    query = sa.select(Meeting)
    if not user.is_admin:
        query = query.where(organizer_may_see(user.id))
    return query


def organizer_may_see(user_id) -> sa.ColumnElement[bool]:
    """Whether the organizer ``user_id`` (a value, a bound parameter or a column) may see a
    meeting: theirs or shared with them. (Admins see every meeting.)"""
    return sa.or_(Meeting.owner_id == user_id,
                  Meeting.id.in_(sa.select(MeetingShare.meeting_id).where(MeetingShare.user_id == user_id)))


# `get_meeting_for`'s two statements, built once (every API call on a meeting runs one).
_MEETING_FOR_ADMIN = sa.select(Meeting).where(Meeting.id == sa.bindparam("meeting_id"))
_MEETING_FOR_ORGANIZER = _MEETING_FOR_ADMIN.where(organizer_may_see(sa.bindparam("user_id")))


def get_meeting_for(user, meeting_id: int) -> Meeting:
    """The meeting ``meeting_id`` if ``user`` may manage it (the rule of `visible_meetings`).

    `NotFound` both when it does not exist and when it is someone else's: an organizer does not
    learn which ids exist.
    """
    if user.is_admin:
        meeting = db.session.scalar(_MEETING_FOR_ADMIN, {"meeting_id": meeting_id})
    else:
        meeting = db.session.scalar(_MEETING_FOR_ORGANIZER, {"meeting_id": meeting_id, "user_id": user.id})
    if meeting is None:
        raise meeting_not_found(meeting_id)
    return meeting


def meeting_not_found(meeting_id: int) -> NotFound:
    """The 404 for a meeting that does not exist or that the caller may not see (the same)."""
    return NotFound(_("No meeting with id %(id)s.", id=meeting_id))


class MeetingReading(SimpleNamespace):
    """A meeting's columns read without the ORM (`read_meeting_for`), with ``owner`` (its
    ``email``) and ``reminder_policies`` (``role``, ``before_minutes``): what `MeetingSchema` shows."""


_meetings, _users, _policies = Meeting.__table__, User.__table__, ReminderPolicy.__table__
# One row per reminder policy (only customized reminders have any; else one row).
_READ_MEETING = (
    sa.select(_meetings, _users.c.email.label("_owner_email"), _policies.c.role.label("_policy_role"),
              _policies.c.before_minutes.label("_policy_minutes"))
    .select_from(_meetings)
    .outerjoin(_users, _users.c.id == _meetings.c.owner_id)
    .outerjoin(_policies, sa.and_(_policies.c.meeting_id == _meetings.c.id, _meetings.c.reminders_customized))
    .where(_meetings.c.id == sa.bindparam("meeting_id"))
)
_READ_MEETING_FOR_ORGANIZER = _READ_MEETING.where(organizer_may_see(sa.bindparam("user_id")))


# What the meeting's JSON is kept by (`meetings.core.pagecache.json_answer`): its content
# version (moved by changes to its row and its reminders), its uid (a meeting created under the
# id of a deleted one, as SQLite may give, is another meeting) and its owner's email, read with
# the caller of the API token (`ReadWithCaller`): outer-joined to the caller's row, under the
# rule of `get_meeting_for` (an admin, or `organizer_may_see`); NULL when the caller may not see it.
_owner = User.__table__.alias("owner")
MEETING_VERSION_WITH_CALLER = (
    CALLER_FOR_TOKEN
    .add_columns(_meetings.c.content_version.label("meeting_version"), _meetings.c.uid.label("meeting_uid"),
                 _owner.c.email.label("meeting_owner_email"))
    .outerjoin(_meetings, sa.and_(_meetings.c.id == sa.bindparam("meeting_id"),
                                  sa.or_(User.role == UserRole.ADMIN, organizer_may_see(User.id))))
    .outerjoin(_owner, _owner.c.id == _meetings.c.owner_id)
)


def _meeting_version_from_row(_caller, row, meeting_id: int) -> tuple[int, str, str | None]:
    if row.meeting_uid is None:
        raise meeting_not_found(meeting_id)
    return row.meeting_version, row.meeting_uid, row.meeting_owner_email


#: The loader of a kept answer about a meeting on the API (``access(MEETING, load=...)``): what
#: `read_meeting_for` shows of it changes only when this changes (its content version, uid and
#: owner's email); `NotFound` as `get_meeting_for` when the caller may not see it. Read in the
#: statement that checks the token: an API request for a kept answer runs no other.
meeting_version_for = ReadWithCaller(MEETING_VERSION_WITH_CALLER, _meeting_version_from_row)


def read_meeting_for(user, meeting_id: int) -> MeetingReading:
    """The meeting ``meeting_id`` as `get_meeting_for` finds it (same rule, same `NotFound`),
    for answers that only show it: one plain statement, no ORM objects, no transaction."""
    connection = request_reads(db.engine)
    if user.is_admin:
        rows = connection.execute(_READ_MEETING, {"meeting_id": meeting_id}).all()
    else:
        rows = connection.execute(_READ_MEETING_FOR_ORGANIZER, {"meeting_id": meeting_id, "user_id": user.id}).all()
    if not rows:
        raise meeting_not_found(meeting_id)
    first = rows[0]._mapping
    values = {name: value for name, value in first.items() if not name.startswith("_")}
    owner_email = first["_owner_email"]
    policies = [SimpleNamespace(role=row["_policy_role"], before_minutes=row["_policy_minutes"])
                for row in (row._mapping for row in rows) if row["_policy_role"] is not None]
    return MeetingReading(**values, owner=SimpleNamespace(email=owner_email) if owner_email else None,
                          reminder_policies=policies)


def list_meetings(user, *, status: str | None = None, since: datetime | None = None) -> list[Meeting]:
    """The meetings ``user`` may see, soonest first."""
    query = visible_meetings(user)
    if status:
        try:
            query = query.where(Meeting.status == MeetingStatus(status))
        except ValueError:
            raise InvalidInput("Unknown status.", "status") from None
    if since is not None:
        query = query.where(Meeting.end_at >= since)
    return list(db.session.scalars(query.order_by(Meeting.start_at, Meeting.id)))


def share_meeting(meeting: Meeting, user) -> None:
    """Let another organizer see and change ``meeting``."""
    if user.id != meeting.owner_id and all(s.user_id != user.id for s in meeting.shares):
        meeting.shares.append(MeetingShare(user_id=user.id))


# --- create and change --------------------------------------------------------------------------

def _new_uid() -> str:
    host = urlsplit(current_app.config["BASE_URL"]).hostname or "meetings.invalid"
    return f"{uuid.uuid4()}@{host}"


def parse_time(value, zone_name: str, field: str) -> datetime:
    """The UTC instant of an API time: a `datetime` (naive: wall time in ``zone_name``) or ISO text."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            raise InvalidInput("Not an ISO 8601 date and time (like 2026-07-15T09:00).", field) from None
    if not isinstance(value, datetime):
        raise InvalidInput("A date and time is needed.", field)
    if value.tzinfo is None:
        get_zone(zone_name, "timezone")
    return to_utc(value, zone_name, field)


#: Years a meeting may fall in: anything else is a typo in a date.
YEARS = range(2000, 2101)


def _check_span(start_at: datetime, end_at: datetime) -> None:
    if start_at.year not in YEARS:
        raise InvalidInput(f"The meeting must take place between {YEARS.start} and {YEARS.stop - 1}.", "start")
    if end_at <= start_at:
        raise InvalidInput(_("The end must be after the start."), "end")
    if end_at - start_at > MAX_MEETING_DURATION:
        raise InvalidInput(_("A meeting can last at most 7 days; check the dates."), "end")


#: How far in the past a new start may be: a form filled in at 14:00 for "now" takes a minute
#: to send.
PAST_TOLERANCE = timedelta(minutes=5)


def check_not_past(start_at: datetime, end_at: datetime, *, was: tuple[datetime, datetime] | None = None) -> None:
    """`InvalidInput` when a meeting would be created or moved into the past: the one rule of
    time for creation, the API's PATCH and the details form.

    A start that is not changed may lie in the past (a meeting under way can be made longer), but
    its end may not be moved before now; a new start must not be before now.
    """
    now = utcnow()
    if was is None or start_at != was[0]:
        if start_at < now - PAST_TOLERANCE:
            raise InvalidInput(_("This start is in the past; meetings can only be planned ahead."), "start")
    if (was is None or end_at != was[1]) and end_at <= now:
        raise InvalidInput(_("This end is in the past; meetings can only be planned ahead."), "end")


_TEXT_FIELDS = {
    # Either title may be left empty (readers fall back to the other one), not both: see
    # `require_a_title`.
    "title": lambda value: clean_text(value, "title"),
    "title_zh": lambda value: clean_text(value, "title_zh"),
    "description": lambda value: clean_text(value, "description", max_length=20_000, multiline=True),
    "kind": lambda value: clean_text(value or "operation", "kind", max_length=50),
}


def require_a_title(title: str, title_zh: str) -> None:
    """`InvalidInput` unless a meeting or an agenda item has a title in at least one language:
    readers of either language see the other one when theirs is missing (`core.i18n.localized`)."""
    if not title and not title_zh:
        raise InvalidInput(_("This cannot be empty (give a title in English, in Chinese, or both)."), "title")


def create_meeting(data: dict, owner) -> Meeting:
    """A new draft meeting from API-shaped ``data``."""
    text = {name: clean(data.get(name)) for name, clean in _TEXT_FIELDS.items()}
    require_a_title(text["title"], text["title_zh"])
    zone = data.get("timezone")
    if not zone:
        raise InvalidInput(_("The meeting's time zone is needed (for example Asia/Shanghai)."), "timezone")
    get_zone(zone, "timezone")
    if data.get("start") is None:
        raise InvalidInput(_("The start is needed."), "start")
    if data.get("end") is None:
        raise InvalidInput(_("The end is needed."), "end")
    start_at = parse_time(data["start"], zone, "start")
    end_at = parse_time(data["end"], zone, "end")
    _check_span(start_at, end_at)
    check_not_past(start_at, end_at)
    meeting = Meeting(**text, timezone=zone,
                      start_at=start_at, end_at=end_at, uid=_new_uid(), sequence=0,
                      vc_room=secrets.token_hex(12),
                      status=MeetingStatus.DRAFT, owner_id=owner.id)
    db.session.add(meeting)
    if data.get("reminders") is not None:
        set_reminders(meeting, data["reminders"])
    db.session.flush()
    audit.record("meeting.created", meeting=meeting)
    return meeting


def require_editable(meeting: Meeting) -> None:
    """`Conflict` unless the meeting can still change."""
    if not meeting.is_editable:
        raise Conflict(_("The meeting is %(status)s; it can no longer be changed.",
                         status=label(meeting.status, "status")))


def update_meeting(meeting: Meeting, data: dict) -> set[str]:
    """Apply the fields present in ``data``; returns the kinds of change made.

    A new start moves the end (unless a new end is given too) and the whole agenda with it.
    """
    from meetings.scheduling import agenda

    require_editable(meeting)
    changes: set[str] = set()
    for name, clean in _TEXT_FIELDS.items():
        if name in data:
            value = clean(data[name])
            if value != getattr(meeting, name):
                setattr(meeting, name, value)
                changes.add("details")
    require_a_title(meeting.title, meeting.title_zh)
    zone = meeting.timezone
    if data.get("timezone"):
        get_zone(data["timezone"], "timezone")
        zone = data["timezone"]
    if zone != meeting.timezone:
        meeting.timezone = zone
        changes.add("time")
    if data.get("start") is not None or data.get("end") is not None:
        start_at = parse_time(data["start"], zone, "start") if data.get("start") is not None else meeting.start_at
        if data.get("end") is not None:
            end_at = parse_time(data["end"], zone, "end")
        else:
            end_at = start_at + meeting.duration
        _check_span(start_at, end_at)
        check_not_past(start_at, end_at, was=(meeting.start_at, meeting.end_at))
        if start_at != meeting.start_at or end_at != meeting.end_at:
            shift = start_at - meeting.start_at
            meeting.start_at, meeting.end_at = start_at, end_at
            if shift:
                agenda.shift_agenda(meeting, shift)
            agenda.check_agenda_fits(meeting)
            changes.add("time")
    if "reminders" in data:
        if set_reminders(meeting, data["reminders"]):
            changes.add("reminders")
    record_change(meeting, changes)
    return changes


def record_change(meeting: Meeting, changes: set[str], **context) -> None:
    """Note that ``meeting`` changed: SEQUENCE, timestamps, and the signal for listeners.

    ``context`` travels with the signal (``site=`` when only one site's people are concerned).
    """
    if not changes:
        return
    meeting.updated_at = utcnow()
    if meeting.is_published and changes & SEQUENCE_CHANGES:
        meeting.sequence += 1
    db.session.flush()
    audit.record("meeting.changed", meeting=meeting, changes=changes,
                 **{name: getattr(value, "name", getattr(value, "title", value)) for name, value in context.items()})
    signals.meeting_changed.send(meeting, changes=frozenset(changes), **context)


# --- reminders ----------------------------------------------------------------------------------

def set_reminders(meeting: Meeting, reminders) -> bool:
    """Replace the meeting's reminders with ``reminders`` (``[{"role", "before_minutes"}]``).

    The list is the whole set: a role that is not in it gets no reminders. ``None`` goes back to
    each role's defaults. Returns whether anything changed.
    """
    before = effective_reminders(meeting)
    if reminders is None:
        meeting.reminders_customized = False
        meeting.reminder_policies.clear()
        return effective_reminders(meeting) != before
    if not isinstance(reminders, list):
        raise InvalidInput("Reminders must be a list of {role, before_minutes}.", "reminders")
    wanted: set[tuple[Role, int]] = set()
    for index, entry in enumerate(reminders):
        if not isinstance(entry, dict):
            raise InvalidInput(f"Reminder {index + 1} must be an object with role and before_minutes.", "reminders")
        try:
            role = Role(entry.get("role", ""))
        except ValueError:
            raise InvalidInput(
                f"Reminder {index + 1}: unknown role {entry.get('role')!r}; use one of "
                + ", ".join(r.value for r in Role) + ".", "reminders") from None
        minutes = entry.get("before_minutes")
        if isinstance(minutes, bool) or not isinstance(minutes, int):
            raise InvalidInput(f"Reminder {index + 1}: before_minutes must be a whole number.", "reminders")
        if minutes < 0:
            raise InvalidInput(f"Reminder {index + 1}: before_minutes cannot be negative.", "reminders")
        if minutes > MAX_REMINDER_MINUTES:
            raise InvalidInput(f"Reminder {index + 1}: at most 60 days ({MAX_REMINDER_MINUTES} minutes) before.",
                               "reminders")
        wanted.add((role, minutes))
        if sum(1 for other, _minutes in wanted if other == role) > MAX_REMINDERS_PER_ROLE:
            raise InvalidInput(_("At most %(num)d reminders per role.", num=MAX_REMINDERS_PER_ROLE), "reminders")
    meeting.reminders_customized = True
    current = {(p.role, p.before_minutes): p for p in meeting.reminder_policies}
    for key, policy in current.items():
        if key not in wanted:
            meeting.reminder_policies.remove(policy)
    for role, minutes in sorted(wanted):
        if (role, minutes) not in current:
            meeting.reminder_policies.append(ReminderPolicy(role=role, before_minutes=minutes))
    return effective_reminders(meeting) != before


def effective_reminders(meeting: Meeting) -> list[dict]:
    """Every reminder the meeting's roles get, defaults included, role by role, earliest first."""
    if meeting.reminders_customized:
        pairs = {(Role(p.role), p.before_minutes) for p in meeting.reminder_policies}
    else:
        pairs = {(role, minutes) for role in Role for minutes in role.default_reminders}
    order = {role: i for i, role in enumerate(Role)}
    return [{"role": role.value, "before_minutes": minutes}
            for role, minutes in sorted(pairs, key=lambda p: (order[p[0]], -p[1]))]


def reminder_offsets(meeting: Meeting, role: Role) -> tuple[int, ...]:
    """Minutes before (the meeting, or a speaker's slot) at which ``role`` is reminded."""
    return tuple(r["before_minutes"] for r in effective_reminders(meeting) if r["role"] == role.value)


def reminder_anchor(meeting: Meeting, role: Role, first_slot_start: datetime | None) -> datetime:
    """What ``role``'s reminders count back from: a speaker's first slot (when they have one),
    else the meeting's start. Calendar alarms and reminder emails both follow it."""
    if role == Role.SPEAKER and first_slot_start is not None:
        return first_slot_start
    return meeting.start_at


# --- life cycle ---------------------------------------------------------------------------------

def publish_meeting(meeting: Meeting) -> bool:
    """Publish a draft: invites go out (by signal). Returns False when it already was published."""
    if meeting.status == MeetingStatus.SCHEDULED:
        return False
    if meeting.status != MeetingStatus.DRAFT:
        raise Conflict(_("A %(status)s meeting cannot be published.", status=label(meeting.status, "status")))
    if meeting.main_site is None:
        raise InvalidInput(_("Add the main venue before publishing."), "sites")
    if meeting.end_at <= utcnow():
        raise InvalidInput(_("The meeting is already over; move it before publishing."), "start")
    meeting.status = MeetingStatus.SCHEDULED
    meeting.published_at = meeting.updated_at = utcnow()
    db.session.flush()
    audit.record("meeting.published", meeting=meeting)
    signals.meeting_published.send(meeting)
    return True


def cancel_meeting(meeting: Meeting) -> bool:
    """Cancel a meeting: cancellations go out (by signal). Returns False when it already was."""
    if meeting.status == MeetingStatus.CANCELLED:
        return False
    if meeting.status == MeetingStatus.FINISHED:
        raise Conflict(_("The meeting is over; it cannot be cancelled."))
    meeting.status = MeetingStatus.CANCELLED
    meeting.cancelled_at = meeting.updated_at = utcnow()
    if meeting.is_published:
        meeting.sequence += 1
    db.session.flush()
    audit.record("meeting.cancelled", meeting=meeting)
    signals.meeting_cancelled.send(meeting)
    return True


def delete_meeting(meeting: Meeting) -> None:
    """Delete a draft. Published meetings are cancelled instead, so nobody is left with a ghost."""
    if meeting.is_published:
        raise Conflict(_("The meeting has been published; cancel it instead of deleting it."))
    signals.meeting_deleting.send(meeting)
    audit.record("meeting.deleted", meeting=meeting)
    db.session.delete(meeting)
    db.session.flush()


def finish_past_meetings(now: datetime | None = None) -> int:
    """Mark scheduled meetings that have ended as finished; returns how many."""
    now = now or utcnow()
    result = db.session.execute(
        sa.update(Meeting)
        .where(Meeting.status == MeetingStatus.SCHEDULED, Meeting.end_at <= now)
        .values(status=MeetingStatus.FINISHED, updated_at=now, content_version=versions.moved_version())
        .execution_options(**versions.MOVED)
    )
    return rowcount(result) or 0
