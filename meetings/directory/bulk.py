"""Many people written at once (the roster import): a few statements per thousands of rows.

A roster holds up to 50,000 people. Written one ORM object at a time, that took minutes (and on
SQLite held the one write lock all along, so the scheduler's delivery failed meanwhile). Here
the rows are checked in Python first, then looked up, inserted and updated in chunks of
`CHUNK` rows, each chunk one statement (or one executemany), all in the caller's transaction:
all rows or none, and on SQLite the write lock is held for the seconds the statements take.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

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


def unit_ids(names: Iterable[str]) -> dict[str, tuple[int, str | None]]:
    """Each unit named (id and time zone), the missing ones made (one INSERT for all of them)."""
    names = sorted({name for name in names if name})
    found: dict[str, tuple[int, str | None]] = {}

    def read(part):
        for unit_id, name, zone in db.session.execute(
                sa.select(Unit.id, Unit.name, Unit.timezone).where(Unit.name.in_(part))):
            found[name] = (unit_id, zone)

    for part in chunks(names):
        read(part)
    missing = [name for name in names if name not in found]
    if missing:
        now = utcnow()
        db.session.execute(sa.insert(Unit), [{"name": name, "kind": "enterprise", "created_at": now}
                                             for name in missing])
        for part in chunks(missing):
            read(part)
    return found


def write_people(rows: Sequence[dict], known: dict[str, int] | None = None) -> None:
    """Add or update people from checked fields (`services.clean_person_fields`), keyed by email.

    New people take their unit's time zone unless the row names one; for known people only the
    fields a row has change; ``tags``, when present, become exactly the person's tags (as
    `services.update_person` does one at a time). ``known`` is `existing_people` of the rows'
    emails, when the caller has read it already."""
    if not rows:
        return
    if known is None:
        known = existing_people(row["email"] for row in rows)
    units = unit_ids(row["unit"] for row in rows if row.get("unit"))
    inserts, updates = [], []
    for row in rows:
        values = {name: row[name] for name in _COLUMNS if name in row}
        if "unit" in row:
            values["unit_id"] = units[row["unit"]][0] if row["unit"] else None
        person_id = known.get(row["email"])
        if person_id is None:
            zone = units[row["unit"]][1] if row.get("unit") else None
            values.setdefault("timezone", zone or DEFAULT_ZONE)
            values.setdefault("title", "")
            values.setdefault("language", "zh_Hans")
            values.setdefault("unit_id", None)
            inserts.append(values)
        else:
            updates.append({**values, "id": person_id})
    ids = dict(known)
    ids.update(insert_rows(Person.__table__, inserts, key="email", created_at=utcnow()))
    update_rows(Person.__table__, updates, options=versions.MOVED)
    # What the link pages of their meetings show of them may have changed.
    versions.changed(db.session, through=Person, keys=[row["id"] for row in updates])
    tags_of = {ids[row["email"]]: row["tags"] for row in rows if "tags" in row}
    if tags_of:
        people = sorted(tags_of)
        for part in chunks(people, CHUNK * 4 if on_postgresql() else CHUNK):
            db.session.execute(sa.delete(PersonTag).where(among(PersonTag.person_id, part)))
        insert_rows(PersonTag.__table__, [{"person_id": person_id, "tag": tag}
                                      for person_id in people for tag in tags_of[person_id]])
