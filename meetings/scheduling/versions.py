"""A meeting's content version: a number that moves whenever what its pages share changes.

The join page and the RSVP page are opened by everyone invited, each through their own link,
and all of them show the same meeting and agenda. So that part is read and rendered once per
content version (`meetings.scheduling.contentview`, `meetings.core.pagecache`), while what
belongs to one person (their invitation and answer) is read on every request: an answer moves
no version, so answers to one meeting neither queue behind its row nor discard what is kept.
The meeting's JSON (``GET /api/meetings/<id>``), which room systems and calendars poll, is kept
the same way, and its ETag follows.

The version is kept right by construction, not by each service remembering to move it: every
model whose rows those pages show registers, with `touches`, how to find the meetings a change
to one of its rows concerns; a session hook collects them at each flush and moves their
versions once, just before the transaction commits (so the meeting's row is locked last and
for the shortest time, and a rollback moves nothing). A statement that changes such rows
without the ORM's unit of work (``session.execute(sa.update(Site)...)``) is refused unless it
says, with ``.execution_options(**MOVED)``, that it moved the versions itself (`moved_version`
in an update of meetings, or `changed` for other rows). `watched_tables` names the tables;
tests/test_page_versions.py checks that every table the kept parts read is one of them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session, scoped_session

from meetings.core.db import Base
from meetings.directory.models import Person
from meetings.scheduling.models import AgendaItem, Meeting, ReminderPolicy, Site, SpeakerSlot

#: The execution option of a statement that moved the versions it concerns itself.
MOVED = {"content_version": "moved"}

_direct: dict[type[Base], Callable[[Any], int | None]] = {}
_through: dict[type[Base], tuple[Callable[[Any], int | None], Callable[[list[int]], sa.Select]]] = {}
_inserts_free: set[str] = set()
_TOUCHED = "meetings_content_touched"
_meetings = Meeting.__table__


def touches(model: type[Base], meeting_id: Callable[[Any], int | None]) -> None:
    """Declare that a change to a row of ``model`` (added, changed or deleted) changes what the
    pages of meeting ``meeting_id(row)`` show."""
    _direct[model] = meeting_id


def touches_through(model: type[Base], key: Callable[[Any], int | None],
                    meetings_of: Callable[[list[int]], sa.Select], *, new_rows_matter: bool = True) -> None:
    """Declare that a change to a row of ``model`` changes the pages of the meetings that
    ``meetings_of(keys)`` selects, given the ``key(row)`` of each changed row (a person's
    meetings, found when the transaction commits: one statement however many rows changed).
    ``new_rows_matter=False``: a new row concerns no meeting yet (a person is on an agenda only
    once a slot names them), so a statement may insert such rows without moving anything."""
    _through[model] = (key, meetings_of)
    if not new_rows_matter:
        _inserts_free.add(model.__table__.name)


def moved_version():
    """The value that moves a meeting's version, for ``sa.update(Meeting).values(...)`` (with
    ``.execution_options(**MOVED)``)."""
    return Meeting.content_version + 1


def changed(session: Session | scoped_session, meeting_ids=(), *, through: type | None = None, keys=()) -> None:
    """Note a change made outside the ORM's unit of work (a bulk INSERT or UPDATE, run with
    ``.execution_options(**MOVED)``): the versions of ``meeting_ids``, and of the meetings that
    `touches_through` finds for the rows of model ``through`` with these ``keys``, move when the
    transaction commits, as for rows the ORM wrote.

    The meetings of ``keys`` are found now, a few thousand keys at a time, so that a change of
    50,000 people never puts 50,000 parameters in one statement (SQLite takes 32,766)."""
    meetings = session.info.setdefault(_TOUCHED, {}).setdefault(None, set())
    meetings.update(meeting_id for meeting_id in meeting_ids if meeting_id is not None)
    if through is None:
        return
    if through not in _through:
        raise ValueError(f"{through.__name__} is not declared with touches_through")
    keys = sorted({key for key in keys if key is not None})
    meetings_of = _through[through][1]
    for start in range(0, len(keys), _CHUNK):
        meetings.update(session.scalars(meetings_of(keys[start:start + _CHUNK])))


_CHUNK = 5000


def watched_tables() -> set[sa.Table]:
    """The tables whose changes move content versions."""
    return {model.__table__ for model in (*_direct, *_through)}


touches(Meeting, lambda meeting: meeting.id)
touches(Site, lambda site: site.meeting_id)
touches(AgendaItem, lambda item: item.meeting_id)
touches(ReminderPolicy, lambda policy: policy.meeting_id)  # the meeting's JSON shows them
touches_through(SpeakerSlot, lambda slot: slot.agenda_item_id,
                lambda items: sa.select(AgendaItem.meeting_id).where(AgendaItem.id.in_(items)))
# The agenda names its speakers: a change to a person moves the meetings they speak in.
touches_through(Person, lambda person: person.id, lambda people: (
    sa.select(AgendaItem.meeting_id).join(SpeakerSlot, SpeakerSlot.agenda_item_id == AgendaItem.id)
    .where(SpeakerSlot.person_id.in_(people))), new_rows_matter=False)


@event.listens_for(Session, "do_orm_execute")
def _refuse_unseen_changes(state) -> None:
    # The ORM's flush never comes here; a statement run through the session does.
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    if table is None or getattr(table, "name", None) not in _WATCHED_NAMES:
        return
    if state.is_insert and table.name in _inserts_free:
        return
    if state.execution_options.get("content_version") != MOVED["content_version"]:
        raise UnseenContentChange(
            f"a statement changes {table.name} outside the ORM's unit of work: move the meetings' "
            f"content versions (versions.changed, or moved_version) and run it with "
            f".execution_options(**versions.MOVED)")


class UnseenContentChange(RuntimeError):
    """A statement would change what kept pages show without moving their version."""


_WATCHED_NAMES = frozenset(table.name for table in watched_tables())


@event.listens_for(Session, "after_flush")
def _collect(session: Session, _flush_context) -> None:
    # After a flush the session still lists what it wrote as new, dirty and deleted.
    # (Each of `new`, `dirty` and `deleted` is built anew when read: read once.)
    touched = None
    dirty = [row for row in session.dirty if type(row) in _direct or type(row) in _through]
    for row in (*session.new, *(row for row in dirty if session.is_modified(row)), *session.deleted):
        model = type(row)
        if model not in _direct and model not in _through:
            continue
        if touched is None:
            touched = session.info.setdefault(_TOUCHED, {})
        if model in _direct:
            touched.setdefault(None, set()).add(_direct[model](row))
        else:
            touched.setdefault(model, set()).add(_through[model][0](row))


@event.listens_for(Session, "before_commit")
def _move_versions(session: Session) -> None:
    session.flush()  # what commit would flush next, so that it is collected too
    touched = session.info.pop(_TOUCHED, None)
    if not touched:
        return
    concerned = []
    for model, keys in touched.items():
        keys = sorted(key for key in keys if key is not None)
        if not keys:
            continue
        if model is None:
            concerned.append(_meetings.c.id.in_(keys))
        else:
            concerned.append(_meetings.c.id.in_(_through[model][1](keys).scalar_subquery()))
    if concerned:
        session.execute(sa.update(_meetings).where(sa.or_(*concerned))
                        .values(content_version=_meetings.c.content_version + 1).execution_options(**MOVED))


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction) -> None:
    # The whole transaction ended without a commit (a commit took them already); a savepoint's
    # rollback keeps them: moving a version for nothing only costs one more rendering.
    if transaction.parent is None:
        session.info.pop(_TOUCHED, None)
