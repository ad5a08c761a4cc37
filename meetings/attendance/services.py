"""Attendance rules: the first check-in counts, later ones are logged, nothing is counted twice."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm.attributes import set_committed_value

from meetings.accounts import audit
from meetings.attendance.models import CheckIn, CheckinMethod
from meetings.core.db import rowcount, utcnow
from meetings.core.errors import Conflict, InvalidInput
from meetings.core.i18n import format_when
from meetings.extensions import db
from meetings.invitations.models import Invitation
from meetings.scheduling.models import MeetingStatus, Site


def parse_method(value) -> CheckinMethod:
    """The check-in method named ``value``; `InvalidInput` naming ``method`` otherwise."""
    try:
        return CheckinMethod(value)
    except ValueError:
        raise InvalidInput("The method must be one of " + ", ".join(m.value for m in CheckinMethod) + ".",
                           "method") from None


def require_check_in_open(invitation: Invitation) -> None:
    """`Conflict` unless ``invitation``'s person can be checked in: on the list, and the meeting
    open for attendance (`require_attendance_open`)."""
    if not invitation.is_active:
        raise Conflict(_("%(name)s was taken off the list of this meeting.", name=invitation.person.name))
    require_attendance_open(invitation.meeting)


def require_attendance_open(meeting) -> None:
    """`Conflict` unless attendance can be recorded: the meeting is published and not cancelled
    (a finished meeting's attendance can still be completed)."""
    if meeting.status == MeetingStatus.CANCELLED:
        raise Conflict(_("This meeting was cancelled."))
    if meeting.status == MeetingStatus.DRAFT:
        raise Conflict(_("This meeting is not published yet."))


#: The methods that only work around the meeting: a QR scan at the door and a site's roll call
#: happen there and then. An organizer's manual check-in (and a join, which records itself) does not.
WINDOWED_METHODS = frozenset({CheckinMethod.QR, CheckinMethod.ROLL_CALL})


def checkin_window(meeting) -> tuple[datetime, datetime]:
    """When QR check-in and roll call are open: ``CHECKIN_OPENS_BEFORE`` minutes before the start
    to ``CHECKIN_CLOSES_AFTER`` minutes after the end."""
    config = current_app.config
    return (meeting.start_at - timedelta(minutes=config["CHECKIN_OPENS_BEFORE"]),
            meeting.end_at + timedelta(minutes=config["CHECKIN_CLOSES_AFTER"]))


def require_checkin_window(meeting, zone: str | None = None, now: datetime | None = None) -> None:
    """`Conflict` (saying when it opens or when it closed) outside `checkin_window`, the one rule
    of time for QR check-in and roll call."""
    now = now or utcnow()
    opens, closes = checkin_window(meeting)
    zone = zone or meeting.timezone
    if now < opens:
        raise Conflict(_("Check-in opens at %(time)s, shortly before the meeting.",
                         time=format_when(opens, zone)))
    if now > closes:
        raise Conflict(_("Check-in closed at %(time)s, after the meeting.", time=format_when(closes, zone)))


def check_in(invitation: Invitation, method: CheckinMethod | str, *, at: datetime | None = None,
             site: Site | None = None, user=None, person=None) -> bool:
    """Record that ``invitation``'s person attended. Returns whether this was their first check-in.

    The first one sets ``checked_in_at`` with a conditional UPDATE, so of two at once (a QR scan
    and a roll call) the second waits for the first and finds it done: one attendance, counted
    once (the database refuses a second counted row too), and both kept in the log.
    """
    method = parse_method(method)
    require_check_in_open(invitation)
    if method in WINDOWED_METHODS:
        require_checkin_window(invitation.meeting, site.timezone if site is not None else None)
    at = at or utcnow()
    site_id = site.id if site is not None else invitation.site_id
    first = rowcount(db.session.execute(
        sa.update(Invitation).where(Invitation.id == invitation.id, Invitation.checked_in_at.is_(None))
        .values(checked_in_at=at).execution_options(synchronize_session=False))) == 1
    db.session.add(CheckIn(meeting_id=invitation.meeting_id, invitation_id=invitation.id, site_id=site_id,
                           method=method, at=at, counted=first, recorded_by_user_id=user.id if user else None,
                           recorded_by_person_id=person.id if person else None))
    db.session.flush()
    if first:
        # What the UPDATE wrote, without the ORM writing it a second time.
        set_committed_value(invitation, "checked_in_at", at)
    if user is not None:
        # An organizer's check-in works at any time (a late list, a forgotten scan): kept in the
        # audit log, who and how.
        audit.record("attendance.checked_in", meeting=invitation.meeting, person=invitation.person.name,
                     method=method.value, first=first)
    return first


def undo_roll_call(invitation: Invitation, *, person=None) -> bool:
    """Take back a roll-call tick (the host ticked the wrong name): the roll-call check-in that
    counted no longer counts, and the person is not checked in. Check-ins made otherwise (QR,
    join, an organizer) are not undone here. Returns whether anything was undone."""
    undone = rowcount(db.session.execute(
        sa.update(CheckIn).where(CheckIn.invitation_id == invitation.id, CheckIn.counted,
                                 CheckIn.method == CheckinMethod.ROLL_CALL)
        .values(counted=False).execution_options(synchronize_session=False))) == 1
    if undone:
        db.session.execute(sa.update(Invitation).where(Invitation.id == invitation.id)
                           .values(checked_in_at=None).execution_options(synchronize_session=False))
        set_committed_value(invitation, "checked_in_at", None)
        audit.record("attendance.roll_call_undone", meeting=invitation.meeting, person=invitation.person.name,
                     by=person.name if person else None)
    return undone


def counted_methods(invitation_ids: list[int]) -> dict[int, CheckinMethod]:
    """How each of ``invitation_ids`` that is checked in was counted."""
    if not invitation_ids:
        return {}
    rows = db.session.execute(sa.select(CheckIn.invitation_id, CheckIn.method)
                              .where(CheckIn.invitation_id.in_(invitation_ids), CheckIn.counted))
    return {invitation_id: method for invitation_id, method in rows if invitation_id is not None}


def site_joined(site: Site, *, at: datetime | None = None) -> None:
    """Record that a site's room system joined through the site link."""
    db.session.add(CheckIn(meeting_id=site.meeting_id, site_id=site.id, method=CheckinMethod.JOIN_LINK,
                           at=at or utcnow()))
    db.session.flush()


def record_head_count(site: Site, count, *, person=None, user=None) -> CheckIn:
    """Record how many people not on the list are present at ``site`` (the latest count counts).

    ``count`` is a whole number, or its digits as typed into a form."""
    if isinstance(count, str) and count.strip().isdigit():
        count = int(count.strip())
    if isinstance(count, bool) or not isinstance(count, int) or count < 0 or count > 100_000:
        raise InvalidInput(_("The head count must be a whole number, 0 or more."), "head_count")
    row = CheckIn(meeting_id=site.meeting_id, site_id=site.id, method=CheckinMethod.ROLL_CALL, head_count=count,
                  recorded_by_person_id=person.id if person else None,
                  recorded_by_user_id=user.id if user else None)
    db.session.add(row)
    db.session.flush()
    return row


def record_roll_call(site: Site, present: list[Invitation], head_count=None, *, person=None,
                     absent: Sequence[Invitation] = ()) -> int:
    """A site host's roll call: ``present`` (people of ``site``) checked in, ``absent`` ones'
    roll-call ticks taken back (`undo_roll_call`), and the head count of the others when given
    (None or ""). Only in the check-in window. Returns how many were checked in for the first time."""
    require_attendance_open(site.meeting)
    require_checkin_window(site.meeting, site.timezone)
    for invitation in absent:
        undo_roll_call(invitation, person=person)
    newly = sum(check_in(invitation, CheckinMethod.ROLL_CALL, site=site, person=person) for invitation in present)
    if head_count not in (None, ""):
        record_head_count(site, head_count, person=person)
    return newly


def latest_head_counts(meeting_id: int) -> dict[int, int]:
    """Each site's latest head count of people not on the list."""
    latest = (sa.select(CheckIn.site_id, sa.func.max(CheckIn.id).label("id"))
              .where(CheckIn.meeting_id == meeting_id, CheckIn.head_count.is_not(None))
              .group_by(CheckIn.site_id).subquery())
    rows = db.session.execute(sa.select(CheckIn.site_id, CheckIn.head_count).join(latest, latest.c.id == CheckIn.id))
    return {site_id: count for site_id, count in rows if site_id is not None and count is not None}
