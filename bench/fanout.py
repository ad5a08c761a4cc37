"""Invite fan-out as deployed: 2,000 online invitees, publish → the last message received
through a real ``flask scheduler`` process, by an SMTP server that parses each message, against
smtplib sending the same bytes over one connection to the same kind of server in the same run
(issue 15). The scheduler polls every second here (``OUTBOX_POLL_SECONDS=1``; 5 by default)."""

from __future__ import annotations

import smtplib
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

from bench.common import bench_app, report
from bench.roster import reading_smtp
from meetings.core.db import utcnow
from meetings.directory.models import Person
from meetings.extensions import db
from meetings.invitations.models import Invitation, Mode
from meetings.scheduling import services as scheduling
from meetings.scheduling import sites
from tests.processes import FlaskProcess, app_env

INVITEES = 2000
TARGET = 2.0


def make_meeting(count: int):
    """A draft meeting with ``count`` online invitees (bulk-inserted)."""
    from meetings.accounts.services import create_user
    from tests.factories import future_day, wall

    owner = create_user("organizer@example.com", "organizer", "bench password")
    meeting = scheduling.create_meeting({"title": "Mid-year operation meeting", "start": wall(future_day(), 9),
                                         "end": wall(future_day(), 12), "timezone": "Asia/Shanghai"}, owner)
    sites.add_site(meeting, {"name": "Main hall", "kind": "main", "location": "HQ 12F"})
    now = utcnow()
    db.session.execute(sa.insert(Person), [
        {"name": f"参会人 {n}", "email": f"guest{n}@example.com", "title": "", "timezone": "Asia/Shanghai",
         "language": "zh_Hans", "created_at": now} for n in range(count)])
    ids = db.session.scalars(sa.select(Person.id).where(Person.email.like("guest%@example.com"))).all()
    db.session.execute(sa.insert(Invitation), [
        {"meeting_id": meeting.id, "person_id": pid, "role": "participant", "site_id": None, "mode": Mode.ONLINE,
         "response": "needs-action", "created_at": now} for pid in ids])
    db.session.commit()
    return meeting


def through_scheduler(url: str, count: int) -> tuple[float, list[bytes], str]:
    """Seconds from publish to the last message received; the messages; the scheduler's log."""
    with reading_smtp() as (handler, port), bench_app(port, database_url=url) as app, \
            tempfile.TemporaryDirectory() as logs:
        handler.keep = True
        meeting = make_meeting(count)
        with FlaskProcess(Path(logs), "scheduler", env=app_env(url, port, OUTBOX_POLL_SECONDS=1)) as scheduler:
            scheduler.wait_for_output("Scheduler running")
            started = time.perf_counter()
            scheduling.publish_meeting(meeting)
            db.session.commit()
            deadline = time.monotonic() + 600
            while len(handler.arrivals) < count and time.monotonic() < deadline:
                time.sleep(0.01)
            output = scheduler.output
        del app
        return (handler.arrivals[-1] - started if len(handler.arrivals) >= count else float("inf"),
                handler.kept, output)


def smtplib_baseline(messages: list[bytes]) -> float:
    """Seconds to send ``messages`` as they are over one smtplib connection to a reading server."""
    with reading_smtp() as (handler, port):
        started = time.perf_counter()
        with smtplib.SMTP("127.0.0.1", port) as client:
            for n, message in enumerate(messages):
                client.sendmail("meetings@example.com", [f"guest{n}@example.com"], message)
        while len(handler.arrivals) < len(messages):
            time.sleep(0.005)
        return handler.arrivals[-1] - started


def run() -> bool:
    with tempfile.TemporaryDirectory() as tmp:
        elapsed, messages, output = through_scheduler(f"sqlite:///{tmp}/fanout.sqlite3", INVITEES)
    if len(messages) < INVITEES:
        print(f"   only {len(messages)} of {INVITEES} messages arrived; the scheduler said:\n{output[-2000:]}")
        report(f"publish -> last of {INVITEES} invites via flask scheduler", elapsed, 1, "s", f"<= {TARGET}x", False)
        return False
    baseline = min(smtplib_baseline(messages) for _ in range(2))
    ok = elapsed <= TARGET * baseline
    report(f"SQLite: publish -> last of {INVITEES} online invites, flask scheduler", elapsed, baseline, "s",
           f"<= {TARGET:.1f}x", ok)
    return ok
