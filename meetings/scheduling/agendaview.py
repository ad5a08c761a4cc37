"""A meeting's agenda as the pages behind links show it, read once per content version.

Every invited person's RSVP page and join page shows the same agenda. Read for each person,
it would be the bulk of each page's reading and rendering; read once per content version of
the meeting (`meetings.scheduling.versions`) and kept in the worker
(`meetings.core.pagecache.kept`), it costs nothing for the 2,000 people after the first. What
belongs to one person (their invitation, their answer) is read afresh on every request.

The views carry the attribute names of the models (``item.speaker_slots``,
``slot.person.name``), so one template fragment renders either.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from meetings.core import pagecache
from meetings.directory.models import Person
from meetings.scheduling.models import AgendaItem, SpeakerSlot


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


def kept_agenda(connection: Connection, meeting_id: int, uid: str, version: int) -> AgendaView:
    """The agenda of ``meeting_id`` at content ``version``: kept in the worker, else read.
    (Kept by the meeting's ``uid`` too: SQLite may give a deleted meeting's id to a new one.)"""
    return pagecache.kept(("agenda", meeting_id, uid, version),
                          lambda: read_agenda(connection, meeting_id, version))
