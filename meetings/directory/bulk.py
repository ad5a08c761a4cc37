"""Many people written at once (the roster import): a few statements per thousands of rows.

A roster holds up to 50,000 people. Written one ORM object at a time, that took minutes (and on
SQLite held the one write lock all along, so the scheduler's delivery failed meanwhile). Here
the rows are checked in Python first, then looked up, inserted and updated in chunks of
`CHUNK` rows, each chunk one statement (or one executemany), all in the caller's transaction:
all rows or none, and on SQLite the write lock is held for the seconds the statements take.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa

from meetings.core.bulk import CHUNK, among, chunks, insert_rows, on_postgresql, update_rows
from meetings.core.db import utcnow
from meetings.core.timezones import DEFAULT_ZONE
from meetings.directory.models import Person, PersonTag, Unit
from meetings.extensions import db
from meetings.scheduling import versions

#: Person columns an import may set, as `services.clean_person_fields` names them.
_COLUMNS = ("name", "email", "title", "language", "timezone")


def existing_people(emails: Iterable[str]) -> dict[str, int]:
    """The id of each person already in the directory among ``emails`` (lower-cased), left or not."""
    emails = sorted(set(emails))
    found: dict[str, int] = {}
    for part in chunks(emails, CHUNK * 4 if on_postgresql() else CHUNK):
        found.update(db.session.execute(sa.select(Person.email, Person.id).where(among(Person.email, part))).all())
    return found


def existing_units(names: Iterable[str]) -> dict[str, tuple[int, str | None]]:
    """Each unit named that exists (id and time zone)."""
    found: dict[str, tuple[int, str | None]] = {}
    for part in chunks(sorted({name for name in names if name})):
        for unit_id, name, zone in db.session.execute(
                sa.select(Unit.id, Unit.name, Unit.timezone).where(Unit.name.in_(part))):
            found[name] = (unit_id, zone)
    return found


def unit_ids(names: Iterable[str]) -> dict[str, tuple[int, str | None]]:
    """Each unit named (id and time zone), the missing ones made (one INSERT for all of them)."""
    names = sorted({name for name in names if name})
    found = existing_units(names)
    missing = [name for name in names if name not in found]
    if missing:
        now = utcnow()
        db.session.execute(sa.insert(Unit), [{"name": name, "kind": "enterprise", "created_at": now}
                                             for name in missing])
        found.update(existing_units(missing))
    return found


def write_people(rows: Sequence[dict], known: dict[str, int] | None = None) -> None:
    """Add or update people from checked fields (`services.clean_person_fields`), keyed by email.

    New people take their unit's time zone unless the row names one; for known people only the
    fields a row has change; ``tags``, when present, become exactly the person's tags (as
    `services.update_person` does one at a time). ``known`` is `existing_people` of the rows'
    emails, when the caller has read it already."""
    apply_people(prepare_people(rows, known))


@dataclass
class PeopleWrite:
    """What `apply_people` writes, read and worked out beforehand by `prepare_people`."""

    #: New people's columns; ``unit_id`` is None for a unit that does not exist yet (``unit_of``).
    inserts: list[dict] = field(default_factory=list)
    #: Known people's columns, with their ``id``.
    updates: list[dict] = field(default_factory=list)
    #: Each new person's (by email) or known person's (by id) new unit, among `missing_units`.
    unit_of: dict[str | int, str] = field(default_factory=dict)
    #: Units named that do not exist yet.
    missing_units: list[str] = field(default_factory=list)
    #: The tags of the people whose rows name them: by email (new) or by id (known).
    tags_of: dict[str | int, list[str]] = field(default_factory=dict)
    #: The ids of the people known, by email.
    known: dict[str, int] = field(default_factory=dict)


def prepare_people(rows: Sequence[dict], known: dict[str, int] | None = None) -> PeopleWrite:
    """Read what `write_people` needs and build its rows, writing nothing: the part of an import
    that takes seconds, done before any lock is taken (on SQLite, the database's one write lock)."""
    plan = PeopleWrite()
    if not rows:
        return plan
    if known is None:
        known = existing_people(row["email"] for row in rows)
    plan.known = dict(known)
    units = existing_units(row["unit"] for row in rows if row.get("unit"))
    plan.missing_units = sorted({row["unit"] for row in rows if row.get("unit") and row["unit"] not in units})
    for row in rows:
        values = {name: row[name] for name in _COLUMNS if name in row}
        person_id = known.get(row["email"])
        key = row["email"] if person_id is None else person_id
        if "unit" in row:
            unit = units.get(row["unit"]) if row["unit"] else None
            values["unit_id"] = unit[0] if unit is not None else None
            if row["unit"] and unit is None:
                plan.unit_of[key] = row["unit"]
        if "tags" in row:
            plan.tags_of[key] = row["tags"]
        if person_id is None:
            zone = units[row["unit"]][1] if row.get("unit") and row["unit"] in units else None
            values.setdefault("timezone", zone or DEFAULT_ZONE)
            values.setdefault("title", "")
            values.setdefault("language", "zh_Hans")
            values.setdefault("unit_id", None)
            plan.inserts.append(values)
        else:
            plan.updates.append({**values, "id": person_id})
    return plan


def apply_people(plan: PeopleWrite) -> None:
    """Write what `prepare_people` prepared: a few statements per thousands of rows. The
    directory may have changed since it was read: a new person with one of the emails fails the
    statement (the email is unique), and the caller starts again."""
    if plan.missing_units:
        made = unit_ids(plan.missing_units)  # those made meanwhile are found, the others made
        for values in plan.inserts:
            if values["email"] in plan.unit_of:
                values["unit_id"] = made[plan.unit_of[values["email"]]][0]
        for values in plan.updates:
            if values["id"] in plan.unit_of:
                values["unit_id"] = made[plan.unit_of[values["id"]]][0]
    ids = dict(plan.known)
    ids.update(insert_rows(Person.__table__, plan.inserts, key="email", created_at=utcnow()))
    update_rows(Person.__table__, plan.updates, options=versions.MOVED)
    # What the link pages of their meetings show of them may have changed.
    versions.changed(db.session, through=Person, keys=[row["id"] for row in plan.updates])
    if plan.tags_of:
        tags_of = {key if isinstance(key, int) else ids[key]: tags for key, tags in plan.tags_of.items()}
        people = sorted(tags_of)
        for part in chunks(people, CHUNK * 4 if on_postgresql() else CHUNK):
            db.session.execute(sa.delete(PersonTag).where(among(PersonTag.person_id, part)))
        insert_rows(PersonTag.__table__, [{"person_id": person_id, "tag": tag}
                                          for person_id in people for tag in tags_of[person_id]])
