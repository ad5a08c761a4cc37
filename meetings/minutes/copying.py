"""The next meeting from the last: a copy on a new date, and the series meetings copied from one
another form.

The copy is a new draft built through the scheduling and invitation services (so their rules
hold): details, sites with their hosts, the agenda and its speaker slots moved by the same shift,
the invitation list (roles, sites, modes; no answers, no links), the reminder policies. With
``carry_open_actions``, the last meeting's open action items become a review item on the new
agenda, each owner with a speaker slot to report on theirs.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _

from meetings.core.errors import DomainError, InvalidInput
from meetings.extensions import db
from meetings.invitations import services as invitations
from meetings.invitations.models import Invitation, Response
from meetings.minutes.models import ActionItem, ActionStatus, MeetingSeries, SeriesMeeting
from meetings.scheduling import agenda, sites
from meetings.scheduling import services as scheduling
from meetings.scheduling.models import AgendaKind, Meeting

#: Minutes each owner gets to report, and the review item's bounds.
REPORT_MINUTES = 5
MAX_REVIEW_SLOTS = 40


def copy_meeting(source: Meeting, data: dict, *, owner) -> Meeting:
    """A new draft copied from ``source`` starting at ``data["start"]`` (in ``data["timezone"]``,
    else the source's zone); with ``carry_open_actions`` (default true), its open actions reviewed."""
    zone = data.get("timezone") or source.timezone
    if data.get("start") is None:
        raise InvalidInput(_("The start is needed."), "start")
    start_at = scheduling.parse_time(data["start"], zone, "start")
    shift = start_at - source.start_at
    meeting = scheduling.create_meeting({
        "title": source.title, "title_zh": source.title_zh, "description": source.description, "kind": source.kind,
        "start": start_at.isoformat(), "end": (start_at + source.duration).isoformat(), "timezone": zone,
        "reminders": ([{"role": p.role.value, "before_minutes": p.before_minutes} for p in source.reminder_policies]
                      if source.reminders_customized else None)}, owner)
    site_map = {}
    for site in source.sites:
        copied = sites.add_site(meeting, {
            "name": site.name, "kind": site.kind.value, "timezone": site.timezone, "location": site.location,
            "host_email": site.host.email if site.host is not None and site.host.removed_at is None else None,
            "vc": {"provider": site.vc_provider.value, "url": site.vc_url} if site.vc_provider else None})
        site_map[site.id] = copied.id
    for item in source.agenda_items:
        agenda.add_item(meeting, {
            "title": item.title, "title_zh": item.title_zh, "kind": item.kind.value, "description": item.description,
            "start": (item.start_at + shift).isoformat(), "duration_minutes": item.duration_minutes,
            "speakers": [{"email": slot.person.email, "topic": slot.topic, "minutes": slot.minutes}
                         for slot in item.speaker_slots if slot.person.removed_at is None]})
    _copy_invitations(source, meeting, site_map)
    if data.get("carry_open_actions", True):
        _review_item(source, meeting)
    _join_series(source, meeting)
    db.session.flush()
    from meetings.accounts import audit

    audit.record("meeting.copied", meeting=meeting, copied_from=source.id)
    return meeting


def _copy_invitations(source: Meeting, meeting: Meeting, site_map: dict) -> None:
    rows = db.session.scalars(sa.select(Invitation).where(
        Invitation.meeting_id == source.id, Invitation.removed_at.is_(None),
        Invitation.response != Response.DELEGATED).order_by(Invitation.id))
    for invitation in rows:
        if invitation.person.removed_at is not None:
            continue
        site = next((s for s in meeting.sites if s.id == site_map.get(invitation.site_id)), None)
        invitations.invite_person(meeting, invitation.person, invitation.role, site=site, mode=invitation.mode)


def open_actions_of(meeting_ids) -> list[ActionItem]:
    """The open (and reported-done, unconfirmed) action items of these meetings, by due date."""
    return list(db.session.scalars(sa.select(ActionItem).where(
        ActionItem.meeting_id.in_(meeting_ids), ActionItem.followed_since.is_not(None),
        ActionItem.status.in_([ActionStatus.OPEN, ActionStatus.DONE_REPORTED]))
        .order_by(ActionItem.due_on, ActionItem.id)))


def _review_item(source: Meeting, meeting: Meeting) -> None:
    open_items = open_actions_of([source.id])
    if not open_items:
        return
    by_owner: dict[int, list[ActionItem]] = {}
    for action in open_items:
        by_owner.setdefault(action.owner_person_id, []).append(action)
    owners = list(by_owner.items())[:MAX_REVIEW_SLOTS]
    lines = [f"- {a.title} ({a.owner.name}, {a.due_on.isoformat()})" for a in open_items]
    duration = REPORT_MINUTES * len(owners)
    starts = [item.end_at for item in meeting.agenda_items]
    start = max(starts, default=meeting.start_at)
    if start + timedelta(minutes=duration) > meeting.end_at:
        scheduling.update_meeting(meeting, {"end": (start + timedelta(minutes=duration)).isoformat()})
    with force_locale("en"):
        title = _("Review of the open actions of the last meeting")
    with force_locale("zh_Hans"):
        title_zh = _("Review of the open actions of the last meeting")
    data = {"title": title, "title_zh": title_zh, "kind": AgendaKind.SPEECH.value, "start": start.isoformat(),
            "duration_minutes": duration, "description": "\n".join(lines)[:5000],
            "speakers": [{"email": actions[0].owner.email, "topic": "; ".join(a.title for a in actions)[:300],
                          "minutes": REPORT_MINUTES} for _owner, actions in owners]}
    try:
        with db.session.begin_nested():
            agenda.add_item(meeting, data)
    except DomainError:
        # An owner speaks elsewhere at that time: the item stays, without slots, and each owner is
        # on the list to report.
        data["kind"], data["speakers"] = AgendaKind.REPORT.value, None
        agenda.add_item(meeting, data)
        from meetings.core.roles import Role

        for _owner, actions in owners:
            invitations.invite_person(meeting, actions[0].owner, Role.PARTICIPANT)


def _join_series(source: Meeting, meeting: Meeting) -> None:
    member = db.session.get(SeriesMeeting, source.id)
    if member is None:
        series = MeetingSeries()
        db.session.add(series)
        db.session.flush()
        member = SeriesMeeting(meeting_id=source.id, series_id=series.id, copied_from_id=None)
        db.session.add(member)
    db.session.add(SeriesMeeting(meeting_id=meeting.id, series_id=member.series_id, copied_from_id=source.id))


def series_of(meeting: Meeting, user) -> dict | None:
    """The series ``meeting`` belongs to: its meetings (those ``user`` may see, by start) and their
    open action items; None when it was never copied."""
    member = db.session.get(SeriesMeeting, meeting.id)
    if member is None:
        return None
    meeting_ids = sa.select(SeriesMeeting.meeting_id).where(SeriesMeeting.series_id == member.series_id)
    meetings = list(db.session.scalars(scheduling.visible_meetings(user).where(Meeting.id.in_(meeting_ids))
                                       .order_by(Meeting.start_at)))
    return {"id": member.series_id, "meetings": meetings,
            "open_actions": open_actions_of([m.id for m in meetings])}


