"""Time the delivery holds write locks: 2,000 invites (in-person, so each carries an answer link
and a check-in code) delivered in process to a local SMTP server, on SQLite and PostgreSQL, with
every write transaction timed: on SQLite from the moment it holds the database's one write lock
(``BEGIN IMMEDIATE``, or its first write) to its end; on PostgreSQL from its first write (the
row locks) to its end. A write in autocommit is a transaction of its own. What an answer posted
meanwhile waits for is at most the longest of them (issue 15); less noisy than rates on a
shared machine. Target: no write transaction of the delivery over 50 ms.
"""

from __future__ import annotations

import os
import tempfile
import time
from contextlib import contextmanager

import sqlalchemy as sa

from bench.common import bench_app, report, smtp_server

INVITEES = 2000
TARGET_MS = 50.0
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


class WriteTimer:
    """Times the write transactions run on an engine (SQLAlchemy's public engine events)."""

    def __init__(self, engine: sa.Engine):
        self.engine = engine
        self.held: list[float] = []  # seconds, one per write transaction
        #: What each began with (its first statement's start), in the order of `held`.
        self.labels: list[str] = []
        self._open: dict[int, tuple[float, str]] = {}  # DBAPI connection -> when its lock was taken, by what

    def __enter__(self) -> WriteTimer:
        sa.event.listen(self.engine, "before_cursor_execute", self._before)
        sa.event.listen(self.engine, "after_cursor_execute", self._after)
        sa.event.listen(self.engine, "commit", self._end)
        sa.event.listen(self.engine, "rollback", self._end)
        return self

    def __exit__(self, *exc) -> None:
        sa.event.remove(self.engine, "before_cursor_execute", self._before)
        sa.event.remove(self.engine, "after_cursor_execute", self._after)
        sa.event.remove(self.engine, "commit", self._end)
        sa.event.remove(self.engine, "rollback", self._end)

    def _key(self, connection) -> int:
        # One SQLAlchemy Connection carries a transaction from its first statement to its commit
        # or rollback (the events pass the same object): it names the transaction, without
        # reaching under SQLAlchemy to the driver's connection.
        return id(connection)

    def _before(self, connection, cursor, statement, parameters, context, executemany) -> None:
        words = statement.lstrip().upper()
        key = self._key(connection)
        if key in self._open:
            return
        if words.startswith("BEGIN IMMEDIATE") or words.startswith(_WRITES):
            self._open[key] = (time.perf_counter(), " ".join(statement.split()[:3]))

    def _after(self, connection, cursor, statement, parameters, context, executemany) -> None:
        # A write outside any transaction (autocommit) ends with its statement.
        key = self._key(connection)
        if statement.lstrip().upper().startswith("BEGIN"):
            return  # run by our "begin" hook, before SQLAlchemy counts the transaction as begun
        options = connection.get_execution_options()
        autocommit = (not connection.in_transaction() or options.get("isolation_level") == "AUTOCOMMIT"
                      or options.get("meetings_autocommit"))  # `meetings.core.database.autocommit`
        if key in self._open and autocommit:
            self._close(key)

    def _end(self, connection) -> None:
        if self._key(connection) in self._open:
            self._close(self._key(connection))

    def _close(self, key: int) -> None:
        started, label = self._open.pop(key)
        self.held.append(time.perf_counter() - started)
        self.labels.append(label)

    def by_label(self) -> str:
        """Count, total and longest of the transactions by how they began."""
        groups: dict[str, list[float]] = {}
        for label, held in zip(self.labels, self.held, strict=True):
            groups.setdefault(label, []).append(held)
        return "; ".join(f"{label}: {len(v)} x, {sum(v) * 1000:.0f} ms, longest {max(v) * 1000:.1f} ms"
                         for label, v in sorted(groups.items(), key=lambda item: -max(item[1])))

    def summary(self) -> dict:
        held = sorted(self.held)
        if not held:
            return {"count": 0, "total": 0.0, "max": 0.0, "p99": 0.0}
        return {"count": len(held), "total": sum(held), "max": held[-1],
                "p99": held[min(len(held) - 1, int(len(held) * 0.99))]}


def make_meeting(count: int):
    """A draft meeting with ``count`` in-person invitees at its main hall (bulk-inserted)."""
    from bench.fanout import make_meeting as online_meeting
    from meetings.extensions import db
    from meetings.invitations.models import Invitation, Mode

    meeting = online_meeting(count)
    db.session.execute(sa.update(Invitation).where(Invitation.meeting_id == meeting.id)
                       .values(mode=Mode.IN_PERSON, site_id=meeting.sites[0].id))
    db.session.commit()
    return meeting


def run_on(label: str, url: str) -> bool:
    from meetings.extensions import db
    from meetings.outbox.delivery import deliver_due
    from meetings.scheduling import services as scheduling

    with smtp_server() as (handler, port), bench_app(port, database_url=url):
        meeting = make_meeting(INVITEES)
        scheduling.publish_meeting(meeting)
        db.session.commit()
        db.session.remove()
        started = time.perf_counter()
        with WriteTimer(db.engine) as timer:
            stats = deliver_due()
        elapsed = time.perf_counter() - started
        db.session.remove()
    figures = timer.summary()
    ok = stats.sent >= INVITEES and figures["max"] * 1000 <= TARGET_MS
    print(f"{label}: delivered {stats.sent} of {INVITEES} in {elapsed:.2f} s; {figures['count']} write "
          f"transactions holding locks {figures['total']:.2f} s in all ({figures['total'] / elapsed:.0%} of "
          f"the time), p99 {figures['p99'] * 1000:.1f} ms, longest {figures['max'] * 1000:.1f} ms", flush=True)
    print(f"    by first statement: {timer.by_label()}", flush=True)
    report(f"{label}: delivery's longest write transaction", figures["max"] * 1000, TARGET_MS, "ms",
           f"<= {TARGET_MS:.0f} ms", ok)
    return ok


@contextmanager
def _sqlite():
    with tempfile.TemporaryDirectory() as tmp:
        yield "SQLite", f"sqlite:///{tmp}/writelocks.sqlite3"


def run() -> bool:
    from bench.load import postgres_database

    ok = True
    which = os.environ.get("BENCH_DATABASES", "sqlite,postgresql").split(",")
    if "sqlite" in which:
        with _sqlite() as (label, url):
            ok &= run_on(label, url)
    if "postgresql" in which:
        with postgres_database() as (label, url, _instance):
            ok &= run_on(label, url)
    return ok


if __name__ == "__main__":
    import sys

    sys.exit(0 if run() else 1)
