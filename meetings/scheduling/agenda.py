"""Agenda rules: items inside the meeting and never overlapping, speaker slots that fit their
item, and speakers who are never in two places at once (across every meeting)."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import ngettext

from meetings.core import signals
from meetings.core.errors import InvalidInput, NotFound
from meetings.core.i18n import localized
from meetings.core.timezones import localize
from meetings.core.validation import clean_text
from meetings.directory.models import Person
from meetings.directory.services import get_person, require_person_by_email
from meetings.extensions import db
from meetings.scheduling.models import AgendaItem, AgendaKind, Meeting, MeetingStatus, SpeakerSlot
from meetings.scheduling.services import parse_time, record_change, require_a_title, require_editable

MAX_ITEM_MINUTES = 24 * 60


def get_item(meeting: Meeting, item_id: int) -> AgendaItem:
    """The agenda item ``item_id`` of ``meeting``; `NotFound` otherwise."""
    item = db.session.get(AgendaItem, item_id)
    if item is None or item.meeting_id != meeting.id:
        raise NotFound(_("No agenda item with id %(id)s in this meeting.", id=item_id))
    return item


def add_item(meeting: Meeting, data: dict) -> AgendaItem:
    """A new agenda item (with its speaker slots) from API-shaped ``data``.

    Without a start, the item follows the last one (or opens the meeting); without a duration,
    it lasts as long as its speakers' minutes.
    """
    require_editable(meeting)
    item = AgendaItem(description="")
    _apply(meeting, item, data, new=True)
    record_change(meeting, {"agenda"}, item=item)
    return item


def update_item(meeting: Meeting, item: AgendaItem, data: dict) -> AgendaItem:
    """Change the fields present in ``data``; ``speakers``, when given, replaces them all."""
    require_editable(meeting)
    _apply(meeting, item, data, new=False)
    record_change(meeting, {"agenda"}, item=item)
    return item


def remove_item(meeting: Meeting, item: AgendaItem) -> None:
    """Take an item off the agenda."""
    require_editable(meeting)
    meeting.agenda_items.remove(item)
    db.session.flush()
    record_change(meeting, {"agenda"}, removed=item.title)


def move_item(meeting: Meeting, item: AgendaItem, direction: str) -> None:
    """Swap ``item`` with the item before it (``up``) or after it (``down``).

    The pair keeps the time it spans: the later one now starts where the earlier one did, and
    the gap between them (if any) stays between them.
    """
    require_editable(meeting)
    items = list(meeting.agenda_items)
    index = items.index(item)
    other_index = index - 1 if direction == "up" else index + 1
    if direction not in ("up", "down") or not 0 <= other_index < len(items):
        raise InvalidInput(_("There is no item to swap with in that direction."), "direction")
    first, second = sorted((item, items[other_index]), key=lambda i: i.start_at)
    gap = second.start_at - first.end_at
    start = first.start_at
    second.start_at = start
    first.start_at = start + timedelta(minutes=second.duration_minutes) + gap
    for moved in (first, second):
        layout_slots(moved)
    check_agenda_fits(meeting)
    record_change(meeting, {"agenda"}, item=item, moved=direction)


def _apply(meeting: Meeting, item: AgendaItem, data: dict, *, new: bool) -> None:
    if new or "title" in data:
        item.title = clean_text(data.get("title"), "title")
    if new or "title_zh" in data:
        item.title_zh = clean_text(data.get("title_zh"), "title_zh")
    require_a_title(item.title, item.title_zh)
    if new or "kind" in data:
        try:
            item.kind = AgendaKind(data.get("kind") or ("speech" if data.get("speakers") else "other"))
        except ValueError:
            raise InvalidInput("The kind must be one of " + ", ".join(k.value for k in AgendaKind) + ".",
                               "kind") from None
    if new or "description" in data:
        item.description = clean_text(data.get("description"), "description", max_length=5000, multiline=True)
    zone = data.get("timezone") or meeting.timezone
    if data.get("start") is not None:
        item.start_at = parse_time(data["start"], zone, "start")
    elif new:
        item.start_at = _next_free_start(meeting, item)
    speakers = _parse_speakers(data["speakers"]) if data.get("speakers") is not None else None
    if data.get("duration_minutes") is not None:
        item.duration_minutes = _minutes(data["duration_minutes"], "duration_minutes", MAX_ITEM_MINUTES)
    elif new:
        if not speakers:
            raise InvalidInput(_("The duration is needed (or speakers whose minutes make it up)."),
                               "duration_minutes")
        item.duration_minutes = sum(minutes for _, _, minutes in speakers)
    if speakers is not None:
        if speakers and item.kind == AgendaKind.BREAK:
            raise InvalidInput(_("A break has no speakers."), "speakers")
        item.speaker_slots.clear()
        for position, (person, topic, minutes) in enumerate(speakers):
            item.speaker_slots.append(SpeakerSlot(person=person, topic=topic, minutes=minutes, position=position,
                                                  start_at=item.start_at, end_at=item.start_at))
    if new:
        meeting.agenda_items.append(item)
        db.session.add(item)
    layout_slots(item)
    _check_item(meeting, item)
    db.session.flush()
    _check_speakers_free(meeting, item)
    if speakers:
        for slot in item.speaker_slots:
            signals.speaker_assigned.send(slot)


def _minutes(value, field: str, maximum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(_("Must be a whole number of minutes."), field)
    if value <= 0:
        raise InvalidInput(_("Must be at least 1 minute."), field)
    if value > maximum:
        raise InvalidInput(ngettext("At most %(num)d minute.", "At most %(num)d minutes.", maximum), field)
    return value


def _parse_speakers(raw) -> list[tuple[Person, str, int]]:
    if not isinstance(raw, list):
        raise InvalidInput("Speakers must be a list of {email, topic, minutes}.", "speakers")
    speakers = []
    for index, entry in enumerate(raw, start=1):
        if not isinstance(entry, dict):
            raise InvalidInput(f"Speaker {index} must be an object with email, topic and minutes.", "speakers")
        if entry.get("person_id") is not None:
            person = get_person(entry["person_id"])
        else:
            person = require_person_by_email(entry.get("email"), "speakers")
        topic = clean_text(entry.get("topic"), "speakers", max_length=300)
        if entry.get("minutes") is None:
            raise InvalidInput(_("Speaker %(index)d (%(name)s) needs minutes.", index=index, name=person.name),
                               "speakers")
        minutes = _minutes(entry.get("minutes"), "speakers", MAX_ITEM_MINUTES)
        speakers.append((person, topic, minutes))
    return speakers


def _next_free_start(meeting: Meeting, item: AgendaItem) -> datetime:
    others = [i for i in meeting.agenda_items if i is not item and i.start_at is not None]
    return max((i.end_at for i in others), default=meeting.start_at)


def layout_slots(item: AgendaItem) -> None:
    """Give each speaker slot its start and end: one after another from the item's start."""
    cursor = item.start_at
    for position, slot in enumerate(item.speaker_slots):
        slot.position = position
        slot.start_at = cursor
        slot.end_at = cursor + timedelta(minutes=slot.minutes)
        cursor = slot.end_at


def _wall(meeting: Meeting, value: datetime) -> str:
    return localize(value, meeting.timezone).strftime("%Y-%m-%d %H:%M")


def _check_item(meeting: Meeting, item: AgendaItem) -> None:
    if item.start_at < meeting.start_at or item.end_at > meeting.end_at:
        raise InvalidInput(
            _("'%(title)s' (%(start)s–%(end)s) must lie within the meeting (%(meeting_start)s–%(meeting_end)s, "
              "%(zone)s).", title=localized(item), start=_wall(meeting, item.start_at),
              end=_wall(meeting, item.end_at)[11:], meeting_start=_wall(meeting, meeting.start_at),
              meeting_end=_wall(meeting, meeting.end_at)[11:], zone=meeting.timezone), "start")
    for other in meeting.agenda_items:
        if other is item or other.id == item.id:
            continue
        if other.start_at < item.end_at and item.start_at < other.end_at:
            raise InvalidInput(
                _("'%(title)s' overlaps '%(other)s' (%(start)s–%(end)s).", title=localized(item),
                  other=localized(other), start=_wall(meeting, other.start_at)[11:],
                  end=_wall(meeting, other.end_at)[11:]), "start")
    total = sum(slot.minutes for slot in item.speaker_slots)
    if total > item.duration_minutes:
        raise InvalidInput(
            _("The speakers need %(total)d minutes but '%(title)s' lasts %(minutes)d.", total=total,
              title=localized(item), minutes=item.duration_minutes), "speakers")


def _check_speakers_free(meeting: Meeting, item: AgendaItem) -> None:
    """No speaker of ``item`` speaks at an overlapping time in any other live meeting."""
    for slot in item.speaker_slots:
        clash = db.session.execute(
            sa.select(SpeakerSlot.start_at, SpeakerSlot.end_at)
            .join(AgendaItem, AgendaItem.id == SpeakerSlot.agenda_item_id)
            .join(Meeting, Meeting.id == AgendaItem.meeting_id)
            .where(SpeakerSlot.person_id == slot.person_id,
                   Meeting.id != meeting.id,
                   Meeting.status != MeetingStatus.CANCELLED,
                   SpeakerSlot.start_at < slot.end_at,
                   SpeakerSlot.end_at > slot.start_at)
            .limit(1)
        ).first()
        if clash is not None:
            raise InvalidInput(
                _("%(name)s already speaks in another meeting from %(start)s to %(end)s (%(zone)s).",
                  name=slot.person.name, start=_wall(meeting, clash.start_at), end=_wall(meeting, clash.end_at)[11:],
                  zone=meeting.timezone), "speakers")


def hand_over_slots(meeting: Meeting, from_person: Person, to_person: Person) -> list[SpeakerSlot]:
    """Give ``from_person``'s speaker slots in ``meeting`` to ``to_person`` (who speaks in their
    place, having been handed their invitation). `InvalidInput` when ``to_person`` already speaks
    at one of those times, here or in another meeting; nothing changes then."""
    slots = list(db.session.scalars(
        sa.select(SpeakerSlot).join(AgendaItem, AgendaItem.id == SpeakerSlot.agenda_item_id)
        .where(AgendaItem.meeting_id == meeting.id, SpeakerSlot.person_id == from_person.id)
        .order_by(SpeakerSlot.start_at)))
    if not slots:
        return []
    for slot in slots:
        clash = db.session.execute(
            sa.select(SpeakerSlot.start_at, SpeakerSlot.end_at)
            .join(AgendaItem, AgendaItem.id == SpeakerSlot.agenda_item_id)
            .join(Meeting, Meeting.id == AgendaItem.meeting_id)
            .where(SpeakerSlot.person_id == to_person.id, Meeting.status != MeetingStatus.CANCELLED,
                   SpeakerSlot.start_at < slot.end_at, SpeakerSlot.end_at > slot.start_at)
            .limit(1)).first()
        if clash is not None:
            raise InvalidInput(
                _("%(name)s already speaks from %(start)s to %(end)s (%(zone)s), when %(speaker)s was to "
                  "speak: hand the place to someone else.", name=to_person.name,
                  start=_wall(meeting, clash.start_at), end=_wall(meeting, clash.end_at)[11:],
                  zone=meeting.timezone, speaker=from_person.name), "delegate_email")
    for slot in slots:
        slot.person = to_person
    db.session.flush()
    record_change(meeting, {"agenda"}, speaker=to_person.email, replacing=from_person.email)
    return slots


def shift_agenda(meeting: Meeting, shift: timedelta) -> None:
    """Move every agenda item and speaker slot of ``meeting`` by ``shift``."""
    for item in meeting.agenda_items:
        item.start_at = item.start_at + shift
        layout_slots(item)


def check_agenda_fits(meeting: Meeting) -> None:
    """Every item inside the meeting, none overlapping, speakers free (after a move)."""
    db.session.flush()
    for item in meeting.agenda_items:
        _check_item(meeting, item)
        _check_speakers_free(meeting, item)


def running_order(meeting: Meeting) -> list[dict]:
    """The agenda as rows with running times (minutes from the meeting's start) and gaps."""
    rows, cursor = [], meeting.start_at
    for item in meeting.agenda_items:
        rows.append({
            "item": item,
            "gap_minutes": int((item.start_at - cursor).total_seconds() // 60),
            "offset_minutes": int((item.start_at - meeting.start_at).total_seconds() // 60),
        })
        cursor = max(cursor, item.end_at)
    return rows
