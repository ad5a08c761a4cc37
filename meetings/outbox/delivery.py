"""Delivering the outbox: claim due rows, render them, send them over one SMTP connection,
and record each outcome.

Claiming is one conditional UPDATE: on PostgreSQL its subquery takes rows with
``FOR UPDATE SKIP LOCKED`` so several workers share the work; on SQLite the statement itself is
atomic (under ``BEGIN IMMEDIATE``) and its returned rows decide who sends. A row stays claimed for
a lease (``OUTBOX_LEASE_SECONDS``); a worker that dies mid-batch leaves its rows to be taken over
when the lease runs out.

Each row is marked sent in its own commit right after the SMTP server accepts it (`Ledger`). An
email goes out twice only in these windows:

- a worker killed (SIGKILL, out of memory, power) between the server's "250 OK" for a message
  and that commit: the message goes out again when its lease runs out. At most one email per
  killed worker; what it had marked sent never goes out again, what it had not sent yet goes
  out once.
- the server's reply lost on the way (the connection breaks, or ``MAIL_TIMEOUT`` passes, after
  the message's last byte): nobody can know it arrived, so it is tried again. SMTP itself has
  this window (RFC 1047).
- on PostgreSQL, a crash of the database server itself (not of a worker) that forgets the last
  "sent" marks, which are committed without waiting for the disk (see `Ledger`).

A worker that is alive but slow does not race the one that takes its rows over: it starts no
send past `send_deadline` and hands the rest of its batch back. Rows that come due while no
worker runs go out when one is back; renderers decide whether that is still worth it (a late
reminder is skipped once what it announces has started).
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import logging
import os
import socket
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app

from meetings.core.database import autocommit, write_intent
from meetings.core.db import utcnow
from meetings.extensions import db
from meetings.outbox.mail import (
    InlineImage,
    PermanentDeliveryError,
    SmtpSession,
    TemporaryDeliveryError,
    build_message,
)
from meetings.outbox.models import WAITING, OutboxMessage, OutboxStatus

log = logging.getLogger(__name__)

def lease() -> timedelta:
    """How long a claim holds a row before another worker may take it over (OUTBOX_LEASE_SECONDS)."""
    return timedelta(seconds=current_app.config["OUTBOX_LEASE_SECONDS"])


@dataclass
class RenderedEmail:
    """What a renderer makes of an outbox row: the content of one email."""

    recipient: str
    recipient_name: str | None
    subject: str
    text: str
    html: str | None = None
    calendar: bytes | None = None
    method: str | None = None
    reply_to: str | None = None
    #: Images the HTML shows by Content-ID (a check-in code).
    images: tuple[InlineImage, ...] = ()


@dataclass
class Skip:
    """A row that must not be sent any more (a reminder for a meeting that has started...)."""

    reason: str


#: kind -> function(rows, now) -> {row id: RenderedEmail | Skip, or the Exception a row failed with};
#: ``now`` is the time of the run that claimed the rows, at which the renderer judges whether each
#: still stands (a reminder of something that has started does not).
Renderer = Callable[[list[OutboxMessage], datetime], dict[int, "RenderedEmail | Skip | Exception"]]
_renderers: dict[str, Renderer] = {}


#: What queues, at each batch of a delivery run, the emails that waited elsewhere until due
#: (`register_feed`).
_feeds: list[Callable[[datetime], object]] = []


def register_feed(feed: Callable[[datetime], object]) -> None:
    """Have ``feed(now)`` run before each batch of a delivery run claims its rows: it queues the
    emails that have come due by ``now`` and waited elsewhere until then (the confirmation an
    answer owes waits on its invitation: `notifications.confirmations`), in its own short
    transactions. A feed that finds nothing due should cost one read."""
    if feed not in _feeds:
        _feeds.append(feed)


def register_renderer(kind: str, renderer: Renderer) -> None:
    """Let ``renderer`` turn rows of ``kind`` into emails (the notifications domain does this)."""
    _renderers[kind] = renderer


@dataclass
class DeliveryStats:
    """What one delivery run did."""

    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0
    released: int = 0
    errors: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return self.claimed > 0

    def add(self, other: DeliveryStats) -> None:
        for name in ("claimed", "sent", "retried", "failed", "skipped", "released"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.errors.extend(other.errors)


def worker_name() -> str:
    """Who is claiming: host, process and thread."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"[:100]


def claim(*, now: datetime, limit: int, worker: str) -> list[OutboxMessage]:
    """Take up to ``limit`` due rows (and rows whose claim expired) for ``worker``; commits.

    The claim is one short write transaction (the UPDATE); the rows are then loaded in a read
    transaction, the one the batch is rendered in, which holds no write lock.
    """
    due = sa.or_(
        sa.and_(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.due_at <= now),
        sa.and_(OutboxMessage.status == OutboxStatus.SENDING, OutboxMessage.claimed_until < now),
    )
    # WAITING is implied by `due`, but said outright, as the partial index says it, it lets
    # SQLite read that index in due order instead of scanning and sorting every email ever sent.
    candidates = (sa.select(OutboxMessage.id).where(sa.text(WAITING), due).order_by(OutboxMessage.due_at, OutboxMessage.id)
                  .limit(limit).with_for_update(skip_locked=True))
    # Whatever the session had open ends first (the read of the last batch, say): on SQLite an
    # UPDATE in a transaction that began with reads fails at once when another writer came between.
    db.session.commit()
    with write_intent():
        ids = db.session.scalars(
            sa.update(OutboxMessage).where(OutboxMessage.id.in_(candidates.scalar_subquery()))
            .values(status=OutboxStatus.SENDING, claimed_by=worker, claimed_until=now + lease())
            .returning(OutboxMessage.id).execution_options(synchronize_session=False)
        ).all()
        db.session.commit()
    if not ids:
        return []
    with write_intent(False):
        return list(db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.id.in_(ids))
                                       .order_by(OutboxMessage.due_at, OutboxMessage.id)))


def message_id(row) -> str:
    """The Message-ID of a row's email: the same on every attempt, so a resend is recognisable."""
    host = urlsplit(current_app.config["BASE_URL"]).hostname or "meetings.invalid"
    digest = hashlib.sha256(row.key.encode()).hexdigest()[:16]
    return f"<outbox.{row.id}.{digest}@{host}>"


def send_deadline() -> float:
    """When (``time.monotonic()``) a batch claimed now must stop starting sends: early enough
    that the last one ends before the lease does, and another worker could take the rows over."""
    lease_seconds = lease().total_seconds()
    margin = min(current_app.config["MAIL_TIMEOUT"], lease_seconds / 2)
    return time.monotonic() + lease_seconds - margin


def retry_delay(attempts: int) -> timedelta:
    """Backoff after the ``attempts``-th failure: doubling from the base, capped at an hour."""
    base = current_app.config["OUTBOX_RETRY_BASE_SECONDS"]
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), 3600))


def deliver_due(*, now: datetime | None = None, batch_size: int | None = None, worker: str | None = None,
                max_batches: int | None = None, should_stop: Callable[[], bool] | None = None) -> DeliveryStats:
    """Deliver every due row, batch after batch, until none is left (or ``max_batches``, or
    ``should_stop()`` says so between two batches: a scheduler asked to stop finishes the batch it
    holds, and leaves the rest to the next run rather than to a lease).

    ``now`` is the time the run takes it to be (default: the clock, read at each batch's claim):
    which rows are due, and, for the renderers, whether what a row announces has already begun. A
    run at a given time is how benchmarks and tests see what a scheduler would do then."""
    stats = DeliveryStats()
    worker = worker or worker_name()
    batch_size = batch_size or current_app.config["OUTBOX_BATCH_SIZE"]
    batches = 0
    while (max_batches is None or batches < max_batches) and not (should_stop and should_stop()):
        at = now or utcnow()
        for feed in _feeds:
            feed(at)
        rows = claim(now=at, limit=batch_size, worker=worker)
        deadline = send_deadline()
        if not rows:
            break
        batches += 1
        stats.add(deliver_batch(rows, worker=worker, send_until=deadline, now=at))
    return stats


#: The writes the renderers of the batch being rendered asked for (`after_render`).
_staged: contextvars.ContextVar[list[Callable[[], object]] | None] = contextvars.ContextVar(
    "outbox_staged_writes", default=None)


def after_render(write: Callable[[], object]) -> None:
    """Have ``write`` (statements through ``db.session``) run in the batch's one short write
    transaction, once every row of the batch is rendered and before any is sent: the links an
    email carries exist before it leaves, and rendering itself holds no write lock (on SQLite,
    the database's one lock, which answers posted meanwhile wait for). Outside a delivery (a
    preview, a test rendering rows itself) it runs at once.

    Objects a renderer adds to the session (``db.session.add``) are written there too.
    """
    staged = _staged.get()
    if staged is None:
        write()
    else:
        staged.append(write)


@contextlib.contextmanager
def _staging() -> Iterator[list[Callable[[], object]]]:
    writes: list[Callable[[], object]] = []
    token = _staged.set(writes)
    try:
        yield writes
    finally:
        _staged.reset(token)


def _render(rows: list[OutboxMessage], now: datetime) -> dict[int, RenderedEmail | Skip | Exception]:
    by_kind: dict[str, list[OutboxMessage]] = defaultdict(list)
    for row in rows:
        by_kind[row.kind].append(row)
    rendered: dict[int, RenderedEmail | Skip | Exception] = {}
    for kind, group in by_kind.items():
        renderer = _renderers.get(kind)
        if renderer is None:
            for row in group:
                rendered[row.id] = LookupError(f"nothing renders emails of kind {kind!r}")
            continue
        try:
            rendered.update(renderer(group, now))
        except Exception as error:  # a renderer bug must not stop the other kinds
            log.exception("rendering %d %s emails failed", len(group), kind)
            for row in group:
                rendered[row.id] = error
    return rendered


def deliver_batch(rows: list[OutboxMessage], *, worker: str, send_until: float | None = None,
                  now: datetime | None = None) -> DeliveryStats:
    """Render and send claimed ``rows`` over one SMTP connection, recording each outcome; the
    renderers judge the rows at ``now``, the time they were claimed at (default: the clock).

    Past ``send_until`` (``time.monotonic()``, see `send_deadline`) no send starts: the rows
    left are handed back, due at once, rather than raced for with a worker that takes them over
    when the lease runs out (both would send them).
    """
    stats = DeliveryStats(claimed=len(rows))
    # Rendered in a read transaction (no lock held, however long it takes), with nothing flushed
    # on the way: what the renderers write waits for `_write_staged`.
    with write_intent(False), _staging() as writes, db.session.no_autoflush:
        claimed = [Claimed(row.id, row.key, row.attempts) for row in rows]
        rendered = _render(rows, now or utcnow())
        added = list(db.session.new)
        for instance in added:
            db.session.expunge(instance)
    db.session.rollback()  # the end of the read: nothing of it was written
    problem = _write_staged(writes, added)
    if problem is not None:
        return _hand_back(claimed, worker, problem, stats)
    # From here on the session is left alone (touching it would open a transaction, and on
    # SQLite one that holds the write lock the ledger needs).
    sender = current_app.config["MAIL_DEFAULT_SENDER"]
    last_error = None
    with Ledger(worker) as ledger, SmtpSession() as session:  # SMTP connects on the first send
        for row in claimed:
            result = rendered.get(row.id)
            if isinstance(result, Skip):
                ledger.finish(row, OutboxStatus.SKIPPED, error=result.reason)
                stats.skipped += 1
            elif not isinstance(result, RenderedEmail):
                ledger.finish(row, OutboxStatus.FAILED, error=f"could not render: {result!r}", attempt=True)
                stats.failed += 1
                stats.errors.append(f"{row.key}: could not render")
            elif not session.alive:
                # The server went away on an earlier row: the rest wait for it like that row does.
                stats.add(ledger.retry(row, last_error or "the SMTP connection was lost"))
            elif send_until is not None and time.monotonic() > send_until:
                ledger.release(row)
                stats.released += 1
            else:
                outcome = _send(session, ledger, row, result, sender)
                last_error = outcome.errors[-1] if outcome.errors else last_error
                stats.add(outcome)
    return stats


def _write_staged(writes: list[Callable[[], object]], added: list) -> sa.exc.SQLAlchemyError | None:
    """Run what the renderers staged, and insert what they added, in one write transaction of
    its own; the error if it failed (nothing of it is then written)."""
    if not writes and not added:
        return None
    try:
        with write_intent():
            db.session.add_all(added)
            for write in writes:
                write()
            db.session.commit()
    except sa.exc.SQLAlchemyError as error:
        db.session.rollback()
        return error
    return None


def _hand_back(claimed: list[Claimed], worker: str, error: sa.exc.SQLAlchemyError, stats: DeliveryStats) -> DeliveryStats:
    """The batch's links (or what else its renderers wrote) could not be written, so none of its
    emails may leave: on SQLite a writer held the lock past the busy timeout (a long import):
    the rows go back as they were, due now; anything else (someone deleted in the meantime):
    they are tried again later, the error kept, and rendered afresh."""
    busy = isinstance(error, sa.exc.OperationalError) and "database is locked" in str(error.orig)
    reason = f"could not record what the batch's emails carry: {error.orig if hasattr(error, 'orig') else error}"
    log.warning("outbox batch of %d handed back: %s", len(claimed), reason)
    with Ledger(worker) as ledger:
        for row in claimed:
            if busy:
                ledger.release(row)
                stats.released += 1
            else:
                stats.add(ledger.retry(row, reason))
    return stats


@dataclass(frozen=True)
class Claimed:
    """What delivery needs of a claimed row once it is rendered."""

    id: int
    key: str
    attempts: int


def _send(session: SmtpSession, ledger: Ledger, row: Claimed, email: RenderedEmail, sender: str) -> DeliveryStats:
    try:
        session.send(build_message(
            sender=sender, recipient=email.recipient, recipient_name=email.recipient_name,
            subject=email.subject, text=email.text, html=email.html, calendar=email.calendar,
            method=email.method, message_id=message_id(row), reply_to=email.reply_to, images=email.images))
    except TemporaryDeliveryError as error:
        outcome = ledger.retry(row, str(error))
        outcome.errors.append(str(error))
        return outcome
    except PermanentDeliveryError as error:
        ledger.finish(row, OutboxStatus.FAILED, error=str(error), attempt=True)
        return DeliveryStats(failed=1, errors=[f"{row.key}: {error}"])
    ledger.finish(row, OutboxStatus.SENT, attempt=True, recipient=email.recipient, subject=email.subject)
    return DeliveryStats(sent=1)


# Built once: the ledger runs them for every row, and building a statement costs more than
# running it.
_OWNED = (sa.update(OutboxMessage)
          .where(OutboxMessage.id == sa.bindparam("row_id"), OutboxMessage.claimed_by == sa.bindparam("worker"),
                 OutboxMessage.status == OutboxStatus.SENDING))
_FINISH = _OWNED.values(status=sa.bindparam("new_status"), claimed_by=None, claimed_until=None,
                        last_error=sa.bindparam("error"), attempts=sa.bindparam("attempts"),
                        sent_at=sa.bindparam("sent_at"), recipient=sa.bindparam("recipient"),
                        subject=sa.bindparam("subject"))
_RETRY = _OWNED.values(status=OutboxStatus.PENDING, claimed_by=None, claimed_until=None,
                       last_error=sa.bindparam("error"), attempts=sa.bindparam("attempts"),
                       due_at=sa.bindparam("due_at"))
_RELEASE = _OWNED.values(status=OutboxStatus.PENDING, claimed_by=None, claimed_until=None)


class Ledger:
    """Records each row's outcome in a transaction of its own, on a connection of its own.

    One short UPDATE per row, committed by itself (a SQLAlchemy connection in AUTOCOMMIT),
    right after the SMTP server's answer: the rendering session (with everything it loaded) is
    not flushed or expired for it. On PostgreSQL these commits do not wait for the WAL flush
    (``synchronous_commit off``, for this connection's session only): a killed worker loses
    nothing it recorded; only a crash of the database server itself could forget the last few
    "sent" marks, and those emails would go out once more.
    """

    def __init__(self, worker: str):
        self.worker = worker
        self.connection: sa.Connection  # opened by __enter__
        self._opened = contextlib.ExitStack()

    def __enter__(self) -> Ledger:
        # On SQLite, a lone UPDATE in autocommit is its own transaction, and waits for the write
        # lock within the busy timeout (`autocommit` keeps our BEGIN out of it).
        self.connection = self._opened.enter_context(autocommit(db.engine))
        if self.connection.dialect.name == "postgresql":
            self.connection.exec_driver_sql("SET synchronous_commit TO OFF")
        return self

    def __exit__(self, *exc_info) -> None:
        try:
            if self.connection.dialect.name == "postgresql" and not self.connection.invalidated:
                self.connection.exec_driver_sql("RESET synchronous_commit")
        finally:
            self._opened.close()

    def _update(self, statement, row: Claimed, values: dict) -> None:
        result = self.connection.execute(statement, {"row_id": row.id, "worker": self.worker, **values})
        if result.rowcount == 0:
            log.warning("outbox row %s was taken over by another worker before %s finished it", row.id,
                        self.worker)

    def finish(self, row: Claimed, status: OutboxStatus, *, error: str | None = None, attempt: bool = False,
               recipient: str | None = None, subject: str | None = None) -> None:
        """Record a final outcome: sent, failed or skipped."""
        sent = status == OutboxStatus.SENT
        self._update(_FINISH, row, {
            "new_status": status, "error": error, "attempts": row.attempts + 1 if attempt else row.attempts,
            "sent_at": utcnow() if sent else None, "recipient": recipient if sent else None,
            "subject": (subject or "")[:300] if sent else None})

    def release(self, row: Claimed) -> None:
        """Hand an unsent row back as it was (no attempt counted), for any worker to take now."""
        self._update(_RELEASE, row, {})

    def retry(self, row: Claimed, error: str) -> DeliveryStats:
        """Put the row back for a later try, or fail it after the last one."""
        attempts = row.attempts + 1
        if attempts >= current_app.config["OUTBOX_MAX_ATTEMPTS"]:
            self.finish(row, OutboxStatus.FAILED, error=error, attempt=True)
            return DeliveryStats(failed=1, errors=[f"{row.key}: {error}"])
        self._update(_RETRY, row, {"attempts": attempts, "error": error, "due_at": utcnow() + retry_delay(attempts)})
        return DeliveryStats(retried=1)
