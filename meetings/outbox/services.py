"""Writing to the outbox: queue, cancel, retry, count.

Every function here runs inside the caller's transaction, so an email is queued if and only if
the change that causes it is committed.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from meetings.core.db import UTCDateTime, insert_ignoring_duplicates, rowcount, utcnow
from meetings.core.errors import Conflict, NotFound
from meetings.extensions import db
from meetings.outbox.models import OutboxMessage, OutboxStatus

#: The columns an INSERT ... SELECT into the outbox fills, in the order its SELECT lists them.
_COLUMNS = ["key", "kind", "status", "due_at", "attempts", "meeting_id", "invitation_id", "person_id", "payload",
            "created_at"]


def enqueue(key: str, kind: str, *, due_at: datetime | None = None, meeting_id: int | None = None,
            invitation_id: int | None = None, person_id: int | None = None, payload: dict | None = None) -> None:
    """Queue one email; a key that is already queued is left as it is."""
    enqueue_many([dict(key=key, kind=kind, due_at=due_at, meeting_id=meeting_id, invitation_id=invitation_id,
                       person_id=person_id, payload=payload)])


def enqueue_many(rows: list[dict]) -> None:
    """Queue several emails in one statement (same fields as `enqueue`)."""
    if not rows:
        return
    now = utcnow()
    values = [{"key": row["key"], "kind": row["kind"], "status": OutboxStatus.PENDING,
               "due_at": row.get("due_at") or now, "attempts": 0, "meeting_id": row.get("meeting_id"),
               "invitation_id": row.get("invitation_id"), "person_id": row.get("person_id"),
               "payload": row.get("payload") or {}, "created_at": now} for row in rows]
    db.session.execute(insert_ignoring_duplicates(OutboxMessage, ["key"]), values)


def enqueue_coalesced_for(recipients: sa.Select, *, kind: str, due_at: datetime | None = None) -> None:
    """Queue one ``kind`` email, due at ``due_at`` (default: now), per row of ``recipients`` (as for `enqueue_for`) whose
    invitation has none waiting to go out, in one INSERT ... SELECT.

    The waiting row is the one every further call meets: its key numbers the rows of ``kind``
    for that invitation that have left the queue (sending, sent, failed...), so calls before it
    goes share its key and the outbox's unique key keeps one; the first call after it went makes
    the next. An email rendered when it is sent (a confirmation shows the answer as it is then)
    so carries the last change, however many came in a burst.
    """
    source = recipients.subquery()
    gone = (sa.select(sa.func.count() + 1).select_from(OutboxMessage)
            .where(OutboxMessage.invitation_id == source.c.invitation_id, OutboxMessage.kind == kind,
                   OutboxMessage.status != OutboxStatus.PENDING).scalar_subquery())
    key = sa.literal(f"{kind}:") + sa.cast(source.c.invitation_id, sa.String) + sa.literal(":") + sa.cast(gone, sa.String)
    _insert_selected(key, kind, due_at, source.c.meeting_id, source.c.invitation_id, source.c.person_id, None)


def _keyed(recipients: sa.Select, key_prefix: str, key_suffix: str):
    """``recipients`` as a subquery, and the key each of its rows gets."""
    source = recipients.subquery()
    key = sa.literal(key_prefix) + sa.cast(source.c.invitation_id, sa.String) + sa.literal(key_suffix)
    return source, key


def keys_for(recipients: sa.Select, *, key_prefix: str, key_suffix: str) -> sa.Select:
    """SQL: the keys `enqueue_for` gives the rows of ``recipients``."""
    source, key = _keyed(recipients, key_prefix, key_suffix)
    return sa.select(key.label("key")).select_from(source)


def enqueue_for(recipients: sa.Select, *, key_prefix: str, key_suffix: str, kind: str,
                due_at: datetime | None = None, payload: dict | None = None) -> None:
    """Queue one email per row of ``recipients`` in one INSERT ... SELECT, whatever their number.

    ``recipients`` selects ``invitation_id``, ``meeting_id`` and ``person_id`` (labelled so);
    each row's key is ``{key_prefix}{invitation_id}{key_suffix}``. Keys already queued are
    skipped, as with `enqueue`.
    """
    source, key = _keyed(recipients, key_prefix, key_suffix)
    _insert_selected(key, kind, due_at, source.c.meeting_id, source.c.invitation_id, source.c.person_id, payload)


def _insert_selected(key, kind: str, due_at: datetime | None, meeting_id, invitation_id, person_id,
                     payload: dict | None) -> None:
    """One INSERT ... SELECT of pending rows whose key and ids are SQL expressions (columns of
    the FROM they bring, or literals); keys already queued are skipped."""
    now = utcnow()
    rows = sa.select(
        key, sa.literal(kind), sa.literal(OutboxStatus.PENDING.value),
        sa.literal(due_at or now, type_=UTCDateTime()), sa.literal(0), meeting_id, invitation_id, person_id,
        sa.literal(payload or {}, type_=sa.JSON()), sa.literal(now, type_=UTCDateTime()),
    ).where(sa.true())  # SQLite needs a WHERE before ON CONFLICT in an INSERT ... SELECT
    db.session.execute(insert_ignoring_duplicates(OutboxMessage, ["key"]).from_select(_COLUMNS, rows))


def requeue_cancelled_for(recipients: sa.Select, *, key_prefix: str, key_suffix: str, due_at: datetime) -> int:
    """Queue again, due at ``due_at``, the cancelled emails that `enqueue_for` would queue for
    ``recipients`` (same keys); returns how many.

    A key is written once, so an email that was cancelled and is wanted again (a reminder of
    someone who declined, then accepted) must be brought back rather than inserted. Emails that
    were sent, skipped or failed stay as they are: they are never sent twice by this.
    """
    keys = keys_for(recipients, key_prefix=key_prefix, key_suffix=key_suffix)
    result = db.session.execute(
        sa.update(OutboxMessage).where(OutboxMessage.status == OutboxStatus.CANCELLED, OutboxMessage.key.in_(keys))
        .values(status=OutboxStatus.PENDING, due_at=due_at, attempts=0, last_error=None, claimed_by=None,
                claimed_until=None)
        .execution_options(synchronize_session=False))
    return rowcount(result) or 0


def pending_exists(invitation_id, kinds: tuple[str, ...]) -> sa.Exists:
    """SQL: an email of ``kinds`` for ``invitation_id`` (a column or a value) is still waiting."""
    return sa.exists().where(OutboxMessage.invitation_id == invitation_id, OutboxMessage.kind.in_(kinds),
                             OutboxMessage.status == OutboxStatus.PENDING)


def has_pending(*, invitation_id: int, kinds: tuple[str, ...]) -> bool:
    """Whether an email of ``kinds`` for ``invitation_id`` is still waiting to be sent."""
    return db.session.scalar(sa.select(sa.exists().where(
        OutboxMessage.invitation_id == invitation_id, OutboxMessage.kind.in_(kinds),
        OutboxMessage.status == OutboxStatus.PENDING))) or False


def cancel_pending(*where, kinds: tuple[str, ...] | None = None, reason: str = "", **subject) -> int:
    """Cancel waiting emails about a subject (``meeting_id=``, ``invitation_id=``) that also meet
    the SQL conditions ``where``; returns how many.

    Emails already being sent are left to finish.
    """
    conditions = [*where, *(getattr(OutboxMessage, name) == value for name, value in subject.items())]
    if kinds is not None:
        conditions.append(OutboxMessage.kind.in_(kinds))
    # A Core UPDATE on the session's connection, after the session's own changes are flushed:
    # it runs for every decline in the rush of answers, where the ORM's bulk UPDATE (no object of
    # the outbox is loaded here to keep in step) made about 170 more Python calls per decline.
    db.session.flush()
    table = OutboxMessage.__table__
    result = db.session.connection().execute(
        sa.update(table).where(table.c.status == OutboxStatus.PENDING, *conditions)
        .values(status=OutboxStatus.CANCELLED, last_error=reason or None))
    return rowcount(result) or 0


def retry(message_id: int) -> OutboxMessage:
    """Send a failed email again, now."""
    message = db.session.get(OutboxMessage, message_id)
    if message is None:
        raise NotFound(f"No outbox message with id {message_id}.")
    if message.status != OutboxStatus.FAILED:
        raise Conflict(f"Message {message_id} is {message.status}; only failed messages are retried.")
    message.status = OutboxStatus.PENDING
    message.attempts = 0
    message.due_at = utcnow()
    message.claimed_by = message.claimed_until = None
    db.session.flush()
    return message


def counts_by_status() -> dict[str, int]:
    """How many messages are in each state."""
    rows = db.session.execute(sa.select(OutboxMessage.status, sa.func.count()).group_by(OutboxMessage.status))
    counts = {status.value: 0 for status in OutboxStatus}
    counts.update({str(status): n for status, n in rows})
    return counts
