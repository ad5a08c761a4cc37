"""What every page behind a meeting's links shows alike, read once per content version.

Every invited person's RSVP page and join page shows the same meeting: its title, times and
state, its sites (where each person attends, a site link's room) and its agenda. Read for each
person, that would be most of each page's reading and rendering; read once per content version
of the meeting (`meetings.scheduling.versions`) and kept in the worker
(`meetings.core.pagecache.kept`), it costs nothing for the 2,000 people after the first. What
belongs to one person (their invitation and answer, their name, which site is theirs) is read
afresh on every request, by a statement that carries the meeting's id, ``uid`` and version
and no more of it: each column a page's statement reads costs every request of that page.

The views carry the attribute names of the models (``meeting.title``, ``item.speaker_slots``,
``slot.person.name``), so one template fragment renders either.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from meetings.core import pagecache
from meetings.directory.models import Person
from meetings.scheduling.models import AgendaItem, Meeting, MeetingStatus, Site, SpeakerSlot


@dataclass(frozen=True)
class MeetingView:
    """The meeting's head: what its pages say about it."""

    id: int
    uid: str
    title: str
    title_zh: str
    status: MeetingStatus
    start_at: datetime
    end_at: datetime
    timezone: str


@dataclass(frozen=True)
class SiteView:
    """One of the meeting's sites."""

    id: int
    name: str
    location: str
    timezone: str


@dataclass(frozen=True)
class SpeakerView:
    """Who speaks in a slot."""

    id: int
    name: str


@dataclass(frozen=True)
class SlotView:
    """One speaker slot."""

    start_at: datetime
    end_at: datetime
    minutes: int
    topic: str
    person: SpeakerView


@dataclass
class ItemView:
    """One agenda item with its speaker slots, in order."""

    id: int
    start_at: datetime
    duration_minutes: int
    title: str
    title_zh: str
    speaker_slots: list[SlotView] = field(default_factory=list)

    @property
    def end_at(self) -> datetime:
        return self.start_at + timedelta(minutes=self.duration_minutes)


@dataclass(frozen=True)
class AgendaView:
    """A meeting's agenda at one content version."""

    meeting_id: int
    version: int
    items: tuple[ItemView, ...]

    def slots_of(self, person_id: int) -> list[SlotView]:
        """``person_id``'s own slots, in time order."""
        return sorted((slot for item in self.items for slot in item.speaker_slots if slot.person.id == person_id),
                      key=lambda slot: slot.start_at)


_speaker = Person.__table__.alias("speaker")

#: The agenda of meeting ``meeting_id``: one row per speaker slot, or per item without one.
AGENDA = (
    sa.select(
        AgendaItem.id.label("item_id"), AgendaItem.start_at.label("item_start"),
        AgendaItem.duration_minutes.label("item_minutes"), AgendaItem.title.label("item_title"),
        AgendaItem.title_zh.label("item_title_zh"), SpeakerSlot.start_at.label("slot_start"),
        SpeakerSlot.end_at.label("slot_end"), SpeakerSlot.minutes.label("slot_minutes"),
        SpeakerSlot.topic.label("slot_topic"), _speaker.c.id.label("speaker_id"),
        _speaker.c.name.label("speaker_name"),
    )
    .select_from(AgendaItem)
    .outerjoin(SpeakerSlot, SpeakerSlot.agenda_item_id == AgendaItem.id)
    .outerjoin(_speaker, _speaker.c.id == SpeakerSlot.person_id)
    .where(AgendaItem.meeting_id == sa.bindparam("meeting_id"))
    .order_by(AgendaItem.start_at, AgendaItem.id, SpeakerSlot.position, SpeakerSlot.id)
)


def read_agenda(connection: Connection, meeting_id: int, version: int) -> AgendaView:
    """The agenda of ``meeting_id`` read now (one statement); ``version`` is the content version
    the caller read with the meeting, which this agenda is kept under."""
    items: dict[int, ItemView] = {}
    for row in connection.execute(AGENDA, {"meeting_id": meeting_id}):
        item = items.get(row.item_id)
        if item is None:
            item = items[row.item_id] = ItemView(row.item_id, row.item_start, row.item_minutes, row.item_title,
                                                 row.item_title_zh or "")
        if row.slot_start is not None:
            item.speaker_slots.append(SlotView(row.slot_start, row.slot_end, row.slot_minutes, row.slot_topic or "",
                                               SpeakerView(row.speaker_id, row.speaker_name)))
    return AgendaView(meeting_id, version, tuple(items.values()))


@dataclass(frozen=True)
class MeetingContent:
    """What the meeting's link pages share, at one content version."""

    meeting: MeetingView
    #: The meeting's sites by id.
    sites: dict[int, SiteView]
    agenda: AgendaView


_meeting = Meeting.__table__
_site = Site.__table__

#: Meeting ``meeting_id`` (if its ``uid`` is still ``uid``) with its sites: one row per site,
#: or one for a meeting without any.
HEAD = (
    sa.select(
        _meeting.c.title, _meeting.c.title_zh, _meeting.c.status, _meeting.c.start_at, _meeting.c.end_at,
        _meeting.c.timezone, _site.c.id.label("site_id"), _site.c.name.label("site_name"),
        _site.c.location.label("site_location"), _site.c.timezone.label("site_zone"),
    )
    .select_from(_meeting)
    .outerjoin(_site, _site.c.meeting_id == _meeting.c.id)
    .where(_meeting.c.id == sa.bindparam("meeting_id"), _meeting.c.uid == sa.bindparam("uid"))
)


def read_content(connection: Connection, meeting_id: int, uid: str, version: int) -> MeetingContent | None:
    """What the pages of meeting ``meeting_id`` share, read now (two statements); None when the
    meeting is gone. ``version`` is the content version the caller read with the meeting, which
    this is kept under."""
    rows = connection.execute(HEAD, {"meeting_id": meeting_id, "uid": uid}).all()
    if not rows:
        return None
    first = rows[0]
    meeting = MeetingView(meeting_id, uid, first.title, first.title_zh or "", first.status, first.start_at,
                          first.end_at, first.timezone)
    sites = {row.site_id: SiteView(row.site_id, row.site_name, row.site_location or "", row.site_zone)
             for row in rows if row.site_id is not None}
    return MeetingContent(meeting, sites, read_agenda(connection, meeting_id, version))


def kept_content(connection: Connection, meeting_id: int, uid: str, version: int) -> MeetingContent | None:
    """What the pages of ``meeting_id`` share at content ``version``: kept in the worker, else
    read (`read_content`; None when the meeting is gone). Kept by the meeting's ``uid`` too:
    SQLite may give a deleted meeting's id to a new one.

    Read after the caller read ``version``, so never older than it. (Newer, kept under the older
    version, is only ever shown to requests that read that version while the change committed:
    the change moved the version, so every later request reads the newer one.)"""
    return pagecache.kept(("content", meeting_id, uid, version),
                          lambda: read_content(connection, meeting_id, uid, version))
