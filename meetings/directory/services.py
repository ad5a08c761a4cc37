"""Directory actions: units, people, role tags, and roster import."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from meetings.core.db import utcnow
from meetings.core.emails import comparable_email
from meetings.core.errors import Conflict, InvalidInput, NotFound
from meetings.core.timezones import DEFAULT_ZONE, get_zone
from meetings.core.validation import clean_email, clean_language, clean_tag, clean_text
from meetings.directory.models import Person, PersonTag, Unit
from meetings.extensions import db


def get_or_create_unit(name: str, *, kind: str = "enterprise", parent: Unit | None = None,
                       timezone: str | None = None) -> Unit:
    """The unit called ``name``, made if it does not exist yet."""
    name = clean_text(name, "unit", required=True)
    unit = db.session.scalar(sa.select(Unit).where(Unit.name == name))
    if unit is None:
        if timezone:
            get_zone(timezone, "timezone")
        unit = Unit(name=name, kind=kind, parent=parent, timezone=timezone)
        db.session.add(unit)
        db.session.flush()
    return unit


def unit_and_descendant_ids(unit: Unit) -> list[int]:
    """``unit``'s id and those of every unit below it."""
    rows = db.session.execute(sa.select(Unit.id, Unit.parent_id)).all()
    children: dict[int | None, list[int]] = {}
    for unit_id, parent_id in rows:
        children.setdefault(parent_id, []).append(unit_id)
    found, stack = [], [unit.id]
    while stack:
        current = stack.pop()
        if current in found:
            continue
        found.append(current)
        stack.extend(children.get(current, []))
    return found


def get_person(person_id: int) -> Person:
    """The person with ``person_id``; `NotFound` otherwise."""
    person = db.session.get(Person, person_id)
    if person is None:
        raise NotFound(_("No person with id %(id)s.", id=person_id), "person_id")
    return person


def get_person_by_email(email: str) -> Person | None:
    """The person with ``email`` (any case), or None."""
    return db.session.scalar(sa.select(Person).where(Person.email == comparable_email(email)))


def require_person_by_email(email: object, field: str = "email") -> Person:
    """The person with ``email``; `InvalidInput` naming ``field`` when there is none."""
    address = clean_email(email, field)
    person = get_person_by_email(address)
    if person is None or person.removed_at is not None:
        raise InvalidInput(_("No one with the email %(email)s is in the directory; add them first.", email=address),
                           field)
    return person


def clean_person_fields(data: dict, *, partial: bool) -> dict:
    """Checked values for the fields present in ``data`` (all required ones unless ``partial``)."""
    clean: dict = {}
    if not partial or "name" in data:
        clean["name"] = clean_text(data.get("name"), "name", required=True)
    if not partial or "email" in data:
        clean["email"] = clean_email(data.get("email"), "email")
    if "unit" in data:
        unit_name = clean_text(data.get("unit"), "unit")
        clean["unit"] = unit_name or None
    if "title" in data:
        clean["title"] = clean_text(data.get("title"), "title")
    if "tags" in data:
        tags = data.get("tags") or []
        if isinstance(tags, str):
            tags = [t for t in tags.replace(";", ",").split(",") if t.strip()]
        if not isinstance(tags, list | tuple):
            raise InvalidInput("Tags must be a list.", "tags")
        clean["tags"] = sorted({clean_tag(tag) for tag in tags})
    if data.get("timezone"):
        get_zone(data["timezone"], "timezone")
        clean["timezone"] = data["timezone"]
    if data.get("language"):
        clean["language"] = clean_language(data["language"])
    return clean


def create_person(data: dict) -> Person:
    """A new person from API-shaped ``data``; `Conflict` when the email is taken."""
    fields = clean_person_fields(data, partial=False)
    existing = get_person_by_email(fields["email"])
    if existing is not None and existing.removed_at is not None:
        # Someone who left and comes back: the same entry, with their history.
        existing.removed_at = None
        _apply(existing, fields, new=False)
        db.session.flush()
        return existing
    if existing is not None:
        raise Conflict(_("%(email)s is already in the directory (person %(id)d).", email=fields["email"],
                         id=existing.id), "email")
    person = Person(name=fields["name"], email=fields["email"], timezone=DEFAULT_ZONE)
    db.session.add(person)
    _apply(person, fields, new=True)
    db.session.flush()
    return person


def update_person(person: Person, data: dict) -> Person:
    """Change the fields present in ``data``."""
    fields = clean_person_fields(data, partial=True)
    if "email" in fields and fields["email"] != person.email:
        other = get_person_by_email(fields["email"])
        if other is not None:
            raise Conflict(_("%(email)s is already in the directory (person %(id)d).", email=fields["email"],
                             id=other.id), "email")
    _apply(person, fields, new=False)
    db.session.flush()
    return person


def _apply(person: Person, fields: dict, *, new: bool) -> None:
    for name in ("name", "email", "title", "language"):
        if name in fields:
            setattr(person, name, fields[name])
    if "unit" in fields:
        person.unit = get_or_create_unit(fields["unit"]) if fields["unit"] else None
    if "timezone" in fields:
        person.timezone = fields["timezone"]
    elif new:
        person.timezone = (person.unit.timezone if person.unit and person.unit.timezone else DEFAULT_ZONE)
    if "tags" in fields:
        set_tags(person, fields["tags"])


def set_tags(person: Person, tags: Iterable[str]) -> None:
    """Make ``person``'s role tags exactly ``tags``."""
    wanted = sorted({clean_tag(tag) for tag in tags})
    current = {row.tag: row for row in person.tag_rows}
    for tag, row in current.items():
        if tag not in wanted:
            person.tag_rows.remove(row)
    for tag in wanted:
        if tag not in current:
            person.tag_rows.append(PersonTag(tag=tag))


def people_query(tags: Iterable[str] = (), unit: str | None = None, search: str | None = None) -> sa.Select:
    """People in the directory with any of ``tags``, in ``unit`` or below it, matching ``search``.

    An unknown unit matches no one rather than everyone.
    """
    return (people_selection(tags, unit, search).options(selectinload(Person.tag_rows))
            .order_by(Person.name, Person.id))


def people_selection(tags: Iterable[str] = (), unit: str | None = None, search: str | None = None) -> sa.Select:
    """`people_query` without its order and loading options: for statements that take some of
    its columns (``.with_only_columns(Person.id)``) or count it."""
    query = sa.select(Person).where(Person.removed_at.is_(None))
    tags = [clean_tag(tag, "tag") for tag in tags if tag]
    if tags:
        query = query.where(Person.id.in_(sa.select(PersonTag.person_id).where(PersonTag.tag.in_(tags))))
    if unit:
        found = db.session.scalar(sa.select(Unit).where(Unit.name == unit.strip()))
        if found is None:
            return query.where(sa.false())
        query = query.where(Person.unit_id.in_(unit_and_descendant_ids(found)))
    if search:
        pattern = "%" + search.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(sa.or_(sa.func.lower(Person.name).like(pattern, escape="\\"),
                                   Person.email.like(pattern, escape="\\")))
    return query


def find_people(tags: Iterable[str] = (), unit: str | None = None, search: str | None = None) -> list[Person]:
    """The people `people_query` selects."""
    return list(db.session.scalars(people_query(tags, unit, search)))


def remove_person(person: Person) -> None:
    """Take ``person`` out of the directory; their past invitations and attendance stay."""
    person.removed_at = utcnow()


#: The most people a search-as-you-type answer lists.
SEARCH_LIMIT = 20


def search_people(text: str, limit: int = SEARCH_LIMIT) -> list[Person]:
    """Up to ``limit`` people whose name or email holds ``text`` (any case, Chinese names too),
    names that start with it first: what a picker offers while someone types."""
    text = (text or "").strip()
    if not text:
        return []
    starts = sa.case((sa.func.lower(Person.name).like(_pattern(text, prefix=True), escape="\\"), 0), else_=1)
    query = people_selection(search=text).order_by(starts, Person.name, Person.id).limit(max(1, min(limit, 50)))
    return list(db.session.scalars(query))


def _pattern(text: str, *, prefix: bool = False) -> str:
    escaped = text.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%" if prefix else "%" + escaped + "%"


def email_of(text: str | None, field: str = "email") -> str | None:
    """What someone typed to choose a person: an email as it is, or a person's exact name (as
    the directory writes it, any case) turned into their email. `InvalidInput` naming ``field``
    when no one, or more than one person, has that name."""
    text = (text or "").strip()
    if not text or "@" in text:
        return text or None
    found = db.session.execute(sa.select(Person.email).where(
        Person.removed_at.is_(None), sa.func.lower(Person.name) == text.lower()).limit(2)).scalars().all()
    if not found:
        raise InvalidInput(_("No one called %(name)s is in the directory; type their email.", name=text), field)
    if len(found) > 1:
        raise InvalidInput(_("More than one person is called %(name)s; type the email of the one you mean.",
                             name=text), field)
    return found[0]
