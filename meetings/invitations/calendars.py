"""From meetings and invitations to calendar objects: the one mapping onto `ical`.

Each recipient gets their own copy: ORGANIZER is the service's mailbox (where calendar replies
go), the recipient is the ATTENDEE with the ROLE of their role, LOCATION is their site, the join
link goes in CONFERENCE, URL and the description, and a VALARM follows their role's reminders
(a speaker's are counted from their own slot).

Every text of a copy (summary, description, location, alarm text, labels) is chosen here in the
reader's language: the caller renders a person's copy inside `core.i18n.in_language`, feeds
follow their person, and `ical` writes whatever text it is given.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import parseaddr

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from meetings.core.db import utcnow
from meetings.core.i18n import in_language, localized
from meetings.core.roles import Role
from meetings.extensions import db
from meetings.invitations import ical
from meetings.invitations.models import Invitation, Mode, Response
from meetings.scheduling.models import AgendaItem, Meeting, MeetingStatus, SpeakerSlot
from meetings.scheduling.services import reminder_anchor, reminder_offsets


@dataclass
class InviteLinks:
    """The links a recipient's copy carries (absolute URLs)."""

    rsvp: str | None = None
    join: str | None = None
    checkin: str | None = None
    feed: str | None = None
    roll_call: str | None = None
    extra: dict = field(default_factory=dict)


def organizer_address() -> tuple[str, str]:
    """(email, name) of the ORGANIZER: the service's own mailbox, which receives replies."""
    name, address = parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])
    return address.lower(), name or "Meetings"


def speaker_slots(meeting: Meeting, person_id: int) -> list[SpeakerSlot]:
    """``person_id``'s slots in ``meeting``, in time order."""
    return list(db.session.scalars(
        sa.select(SpeakerSlot).join(AgendaItem, AgendaItem.id == SpeakerSlot.agenda_item_id)
        .where(AgendaItem.meeting_id == meeting.id, SpeakerSlot.person_id == person_id)
        .order_by(SpeakerSlot.start_at)))


def alarm_times(meeting: Meeting, role: Role, slots: list[SpeakerSlot]) -> list[timedelta]:
    """When the role's alarms ring, as offsets from the meeting's start (negative: before).

    A speaker's alarms are counted back from their first slot."""
    anchor = reminder_anchor(meeting, role, slots[0].start_at if slots else None)
    return [(anchor - timedelta(minutes=minutes)) - meeting.start_at for minutes in reminder_offsets(meeting, role)]


def location_text(invitation: Invitation) -> str:
    """LOCATION: the recipient's site and its address, or that they join online."""
    site = invitation.venue
    if invitation.mode == Mode.ONLINE or site is None:
        return _("Online (videoconference)")
    return place_text(site)


def place_text(site) -> str:
    """A site and its address (as emails write it too: ``templates/_labels.txt``)."""
    return _("%(site)s, %(location)s", site=site.name, location=site.location) if site.location else site.name


def attendee(invitation: Invitation, *, email: str | None = None, name: str | None = None) -> ical.Attendee:
    """The recipient as an iCalendar ATTENDEE (``email`` and ``name`` override the person's)."""
    delegated_to = invitation.delegated_to.person.email if invitation.delegated_to else None
    delegated_from = invitation.delegated_from.person.email if invitation.delegated_from else None
    return ical.Attendee(email=email or invitation.person.email, name=name or invitation.person.name,
                         ical_role=invitation.role.ical_role, partstat=invitation.response.partstat,
                         rsvp=invitation.response != Response.DELEGATED,
                         delegated_to=delegated_to, delegated_from=delegated_from)


def _status(meeting: Meeting) -> str:
    return "CANCELLED" if meeting.status == MeetingStatus.CANCELLED else "CONFIRMED"


def summary_text(meeting: Meeting) -> str:
    """SUMMARY: the title in the reader's language; a cancelled meeting says so, because feeds
    and many calendar apps show STATUS:CANCELLED nowhere."""
    title = localized(meeting)
    if meeting.status == MeetingStatus.CANCELLED:
        return _("Cancelled: %(title)s", title=title)
    return title


def describe(meeting: Meeting, invitation: Invitation | None, slots, links: InviteLinks, zone: str,
             changes: tuple = ()) -> str:
    """The DESCRIPTION: what changed since the reader's last copy (an update's ``changes``), the
    meeting, the person's part in it, the agenda and the links."""
    template = current_app.jinja_env.get_template("invitations/calendar_description.txt")
    return template.render(meeting=meeting, invitation=invitation, slots=slots, links=links, zone=zone,
                           changes=changes)


def invitation_event(invitation: Invitation, links: InviteLinks, *, slots: list[SpeakerSlot] | None = None,
                     attendees: tuple[ical.Attendee, ...] | None = None, stamp: datetime | None = None,
                     changes: tuple = ()) -> ical.Event:
    """The VEVENT of one recipient's copy (an update's description leads with its ``changes``)."""
    meeting = invitation.meeting
    slots = speaker_slots(meeting, invitation.person_id) if slots is None else slots
    email, name = organizer_address()
    description = describe(meeting, invitation, slots, links, invitation.person.timezone, changes)
    return ical.Event(
        uid=meeting.uid, sequence=meeting.sequence, stamp=stamp or utcnow(),
        start=meeting.start_at, end=meeting.end_at, timezone=meeting.timezone,
        summary=summary_text(meeting), description=description, location=location_text(invitation),
        url=links.join or links.rsvp, join_url=links.join, join_label=_("Join the videoconference"),
        organizer_email=email, organizer_name=name,
        attendees=attendees if attendees is not None else (attendee(invitation),),
        alarms=tuple((-int(offset.total_seconds() // 60), _alarm_text(meeting, slots))
                     for offset in alarm_times(meeting, invitation.role, slots)),
        status=_status(meeting), last_modified=meeting.updated_at,
    )


def _alarm_text(meeting: Meeting, slots: list[SpeakerSlot]) -> str:
    """What an alarm says: the meeting's title, and the speaker's own slot when it rings for it."""
    title = localized(meeting)
    if slots:
        return _("Your talk at %(title)s", title=title)
    return title


def request_calendar(invitation: Invitation, links: InviteLinks, **kwargs) -> bytes:
    """METHOD:REQUEST for one recipient: an invite or an update."""
    return ical.fold_lines(request_lines(invitation, links, **kwargs))


def request_lines(invitation: Invitation, links: InviteLinks, *, recipient: ical.Attendee | None = None,
                  **kwargs) -> list[str]:
    """`request_calendar` as unfolded content lines (``recipient`` stands for the person)."""
    attendees = (recipient or attendee(invitation),)
    return ical.calendar_lines("REQUEST", [invitation_event(invitation, links, attendees=attendees, **kwargs)])


def cancel_calendar(invitation: Invitation, links: InviteLinks, **kwargs) -> bytes:
    """METHOD:CANCEL for one recipient."""
    return ical.fold_lines(cancel_lines(invitation, links, **kwargs))


def cancel_lines(invitation: Invitation, links: InviteLinks, *, everyone: list[Invitation] | None = None,
                 recipient: ical.Attendee | None = None, **kwargs) -> list[str]:
    """`cancel_calendar` as unfolded lines. When the whole meeting is cancelled it lists every
    attendee (RFC 5546 §3.2.5); when one person is taken off the list, only them (``recipient``
    stands for them)."""
    if everyone is not None:
        attendees = tuple(attendee(i) for i in everyone)
    else:
        attendees = (recipient or attendee(invitation),)
    event = invitation_event(invitation, links, attendees=attendees, **kwargs)
    return ical.calendar_lines("CANCEL", [event])


def publish_event(meeting: Meeting, *, stamp: datetime | None = None) -> ical.Event:
    """The meeting as published to calendars without attendees (downloads and feeds)."""
    email, name = organizer_address()
    description = describe(meeting, None, [], InviteLinks(), meeting.timezone)
    main = meeting.main_site
    return ical.Event(
        uid=meeting.uid, sequence=meeting.sequence, stamp=stamp or utcnow(), start=meeting.start_at,
        end=meeting.end_at, timezone=meeting.timezone, summary=summary_text(meeting), description=description,
        location=place_text(main) if main else "",
        organizer_email=email, organizer_name=name, status=_status(meeting), last_modified=meeting.updated_at)


def publish_calendar(meeting: Meeting) -> bytes:
    """The meeting alone as METHOD:PUBLISH."""
    return ical.build_calendar("PUBLISH", [publish_event(meeting)])


def feed_calendar(person, invitations: list[Invitation]) -> bytes:
    """A person's subscribable calendar: every published meeting they are invited to, as
    METHOD:PUBLISH (no attendees).

    Calendar apps fetch feeds every few minutes, and fetching must change nothing, so entries
    carry no personal links (those would each be a new token); the invitation email has them.
    """
    with in_language(person.language):
        events = [invitation_event(invitation, InviteLinks(), attendees=()) for invitation in invitations]
        name = _("Meetings: %(name)s", name=person.name)
    return ical.build_calendar("PUBLISH", events, name=name)
