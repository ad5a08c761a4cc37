"""What changed since a person's last copy: the lines an update leads with.

When an invite, update or confirmation is rendered, what it told its reader is kept on their
invitation (``sent_snapshot``: times, their place, their slots, their join link, the agenda), as
plain JSON. The next update compares the meeting as it stands with that snapshot, so each person
reads what changed *for them* since the copy they hold (a person who missed an update still
learns the earlier change), not a generic "has changed".

A difference is a tuple of plain values (hashable: it is part of the mail merge's variant key,
so two people with different histories never share a rendered update). Templates word it in the
reader's language and zone (``templates/email/_changes.txt``).
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime
from typing import NamedTuple

import sqlalchemy as sa
from flask import current_app

from meetings.extensions import db
from meetings.invitations.models import Invitation, Mode


class Change(NamedTuple):
    """One difference: ``kind`` is time, place, slot, slot_added, slot_removed, join,
    item_added, item_moved or item_removed; ``old`` and ``new`` its values ((start, end) aware
    datetimes, a slot's (start, end, topic), a place's (name, address));
    ``title`` and ``title_zh`` the agenda item's, when it is about one."""

    kind: str
    old: tuple | str | None = None
    new: tuple | str | None = None
    title: str = ""
    title_zh: str = ""


def _iso(value: datetime) -> str:
    return value.isoformat()


def snapshot(invitation: Invitation, slots) -> dict:
    """What a copy for ``invitation`` tells its reader, as JSON-able values."""
    meeting = invitation.meeting
    site = invitation.venue
    online = invitation.mode == Mode.ONLINE or site is None
    return {
        "start": _iso(meeting.start_at), "end": _iso(meeting.end_at),
        "place": None if online else {"id": site.id, "name": site.name, "location": site.location or ""},
        # Our join link is stable in what it opens; what changes is where it leads.
        "join": None if site is None else f"{getattr(site.vc_provider, 'value', site.vc_provider)}|{site.vc_url or ''}",
        "slots": [{"id": slot.id, "start": _iso(slot.start_at), "end": _iso(slot.end_at), "topic": slot.topic,
                   "title": slot.agenda_item.title, "title_zh": slot.agenda_item.title_zh} for slot in slots],
        "agenda": [{"id": item.id, "title": item.title, "title_zh": item.title_zh, "start": _iso(item.start_at),
                    "end": _iso(item.end_at)} for item in meeting.agenda_items],
    }


def differences(old: dict | None, new: dict) -> tuple[Change, ...]:
    """What ``new`` says that ``old`` (the last copy sent) did not, in reading order: the time,
    the place, the join link, the person's slots, then the agenda. Empty without an old copy."""
    if not old:
        return ()
    found: list[Change] = []
    if (old.get("start"), old.get("end")) != (new["start"], new["end"]):
        found.append(Change("time", _times(old.get("start"), old.get("end")), _times(new["start"], new["end"])))
    if old.get("place") != new["place"]:
        found.append(Change("place", _place_words(old.get("place")), _place_words(new["place"])))
    if old.get("join") != new["join"] and old.get("join") is not None and new["join"] is not None:
        found.append(Change("join"))
    found += _slot_changes(old.get("slots") or [], new["slots"])
    shift = parse_time(new["start"]) - parse_time(old["start"]) if old.get("start") else None
    found += _agenda_changes(old.get("agenda") or [], new["agenda"], shift)
    return tuple(found)


def _times(start: str | None, end: str | None) -> tuple | None:
    """A snapshot's (start, end), as aware datetimes the templates write in the reader's zone."""
    if start is None or end is None:
        return None
    return parse_time(start), parse_time(end)


def _slot(slot: dict) -> tuple:
    return parse_time(slot["start"]), parse_time(slot["end"]), slot["topic"]


def _place_words(place: dict | None) -> tuple | None:
    return None if place is None else (place["name"], place["location"])


def _slot_changes(old: list[dict], new: list[dict]) -> list[Change]:
    before = {slot["id"]: slot for slot in old}
    after = {slot["id"]: slot for slot in new}
    found = []
    for slot in new:
        was = before.get(slot["id"])
        if was is None:
            found.append(Change("slot_added", None, _slot(slot), slot["title"], slot["title_zh"]))
        elif (was["start"], was["end"], was["topic"]) != (slot["start"], slot["end"], slot["topic"]):
            found.append(Change("slot", _slot(was), _slot(slot), slot["title"], slot["title_zh"]))
    for slot in old:
        if slot["id"] not in after:
            found.append(Change("slot_removed", _slot(slot), None, slot["title"], slot["title_zh"]))
    return found


def _agenda_changes(old: list[dict], new: list[dict], shift) -> list[Change]:
    """Items added, moved or removed. An item that only moved with the whole meeting (by its
    ``shift``) is said by the time's line, not again here."""
    before = {item["id"]: item for item in old}
    after = {item["id"]: item for item in new}
    found = []
    for item in new:
        was = before.get(item["id"])
        if was is None:
            found.append(Change("item_added", None, _times(item["start"], item["end"]), item["title"],
                                item["title_zh"]))
        elif (was["start"], was["end"]) != (item["start"], item["end"]) and not (
                shift is not None and parse_time(was["start"]) + shift == parse_time(item["start"])
                and parse_time(was["end"]) + shift == parse_time(item["end"])):
            found.append(Change("item_moved", _times(was["start"], was["end"]), _times(item["start"], item["end"]),
                                item["title"], item["title_zh"]))
    for item in old:
        if item["id"] not in after:
            found.append(Change("item_removed", _times(item["start"], item["end"]), None, item["title"],
                                item["title_zh"]))
    return found


def parse_time(value: str) -> datetime:
    """An ISO time of a snapshot, back as an aware datetime (for the templates' filters)."""
    return datetime.fromisoformat(value)


def record_snapshots(copies) -> None:
    """Keep what each ``(invitation id, snapshot)`` copy told its reader, in one UPDATE per
    distinct snapshot (most people of a meeting share one)."""
    by_value: dict[str, set[int]] = defaultdict(set)
    for invitation_id, value in copies:
        by_value[json.dumps(value, sort_keys=True)].add(invitation_id)
    table = Invitation.__table__
    for text, ids in by_value.items():
        db.session.execute(sa.update(table).where(table.c.id.in_(ids)).values(sent_snapshot=json.loads(text)))


def lines(changes: tuple[Change, ...], zone: str) -> list[str]:
    """``changes`` worded in the language being rendered, times in ``zone``: one line each
    (``templates/email/changes.txt``), for the email's text, its HTML (escaped there) and the
    calendar's description."""
    if not changes:
        return []
    text = current_app.jinja_env.get_template("email/changes.txt").render(changes=changes, zone=zone)
    return [line.strip() for line in text.splitlines() if line.strip()]
