"""Attendance rules: the first check-in counts, later ones are logged, nothing is counted twice."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm.attributes import set_committed_value

from meetings.attendance.models import CheckIn, CheckinMethod
from meetings.core.db import utcnow
from meetings.core.errors import Conflict, InvalidInput
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


def check_in(invitation: Invitation, method: CheckinMethod | str, *, at: datetime | None = None,
             site: Site | None = None, user=None, person=None) -> bool:
    """Record that ``invitation``'s person attended. Returns whether this was their first check-in.

    The first one sets ``checked_in_at`` with a conditional UPDATE, so of two at once (a QR scan
    and a roll call) the second waits for the first and finds it done: one attendance, counted
    once (the database refuses a second counted row too), and both kept in the log.
    """
    method = parse_method(method)
    require_check_in_open(invitation)
    at = at or utcnow()
    site_id = site.id if site is not None else invitation.site_id
    first = db.session.execute(
        sa.update(Invitation).where(Invitation.id == invitation.id, Invitation.checked_in_at.is_(None))
        .values(checked_in_at=at).execution_options(synchronize_session=False)).rowcount == 1
    db.session.add(CheckIn(meeting_id=invitation.meeting_id, invitation_id=invitation.id, site_id=site_id,
                           method=method, at=at, counted=first, recorded_by_user_id=user.id if user else None,
                           recorded_by_person_id=person.id if person else None))
    db.session.flush()
    if first:
        # What the UPDATE wrote, without the ORM writing it a second time.
        set_committed_value(invitation, "checked_in_at", at)
    return first


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


def record_roll_call(site: Site, present: list[Invitation], head_count=None, *, person=None) -> int:
    """A site host's roll call: ``present`` (people of ``site``) checked in, and the head count of
    the others when given (None or ""). Returns how many were checked in for the first time."""
    require_attendance_open(site.meeting)
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
    return {site_id: count for site_id, count in rows}
