"""The scheduler: APScheduler only triggers work; what is due lives in the outbox.

One interval job delivers due outbox rows (coalesced, one at a time); housekeeping jobs are
registered by the domains that own them. No job is stored in APScheduler's job store, so the
number of jobs is fixed, whatever the number of meetings or people, and several scheduler
processes can run side by side (the outbox claim decides who sends what).
"""

from __future__ import annotations

import functools
import logging
import os
import socket
import threading
from collections.abc import Callable
from datetime import UTC

import click
import sqlalchemy as sa
from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask

from meetings.core.database import write_intent
from meetings.core.db import utcnow
from meetings.extensions import db

log = logging.getLogger(__name__)

#: name -> (function, interval in seconds); filled by the domains' init_app.
_housekeeping: dict[str, tuple[Callable[[], object], int]] = {}


def register_housekeeping(name: str, function: Callable[[], object], seconds: int) -> None:
    """Run ``function`` (inside the app context, committed after) every ``seconds``."""
    _housekeeping[name] = (function, seconds)


def _in_app(app: Flask, name: str, function: Callable[[], object]) -> Callable[[], None]:
    def job() -> None:
        with app.app_context(), write_intent():
            try:
                result = function()
                db.session.commit()
                if result:
                    log.info("%s: %s", name, result)
            except sa.exc.OperationalError as error:
                db.session.rollback()
                if not _busy(error):
                    log.exception("scheduler job %s failed", name)
                else:
                    # SQLite: another process held the write lock past the busy timeout (a long
                    # import does). Nothing was done; the next run tries again. A warning, not a
                    # failure with a traceback in the logs that monitoring pages someone for.
                    log.warning("scheduler job %s: the database was busy (%s); the next run tries again",
                                name, error.orig)
            except Exception:
                db.session.rollback()
                log.exception("scheduler job %s failed", name)
            finally:
                db.session.remove()
    return job


def _busy(error: sa.exc.OperationalError) -> bool:
    """Whether ``error`` is SQLite's "database is locked": waiting for a writer, not a fault."""
    return db.engine.dialect.name == "sqlite" and "database is locked" in str(error.orig)


HEARTBEAT_SECONDS = 15


def heartbeat(worker: str, started_at) -> None:
    """Record that this scheduler is alive, and forget ones silent for a day."""
    from datetime import timedelta

    import sqlalchemy as sa

    from meetings.core.db import rowcount, utcnow
    from meetings.outbox.models import SchedulerHeartbeat

    now = utcnow()
    if rowcount(db.session.execute(sa.update(SchedulerHeartbeat).where(SchedulerHeartbeat.worker == worker)
                                   .values(seen_at=now))) == 0:
        db.session.add(SchedulerHeartbeat(worker=worker, started_at=started_at, seen_at=now))
    db.session.execute(sa.delete(SchedulerHeartbeat).where(SchedulerHeartbeat.seen_at < now - timedelta(days=1)))


def latest_heartbeat():
    """When any scheduler last said it was alive (None: never)."""
    import sqlalchemy as sa

    from meetings.outbox.models import SchedulerHeartbeat

    return db.session.scalar(sa.select(sa.func.max(SchedulerHeartbeat.seen_at)))


def build_scheduler(app: Flask, stopping: threading.Event | None = None) -> BackgroundScheduler:
    """A scheduler with the delivery job, every registered housekeeping job and the heartbeat
    (not started).

    Once ``stopping`` is set, a running delivery ends after the batch it is sending, so that a
    shutdown waits seconds, not for the whole queue.
    """
    from meetings.outbox.delivery import deliver_due

    stopping = stopping or threading.Event()
    scheduler = BackgroundScheduler(timezone=UTC, job_defaults={
        "coalesce": True, "max_instances": 1, "misfire_grace_time": 60})
    scheduler.add_job(_in_app(app, "deliver", functools.partial(deliver_due, should_stop=stopping.is_set)),
                      "interval", id="deliver", seconds=app.config["OUTBOX_POLL_SECONDS"])
    for name, (function, seconds) in sorted(_housekeeping.items()):
        scheduler.add_job(_in_app(app, name, function), "interval", id=name, seconds=seconds)
    worker, started_at = f"{socket.gethostname()}:{os.getpid()}"[:100], utcnow()
    scheduler.add_job(_in_app(app, "heartbeat", lambda: heartbeat(worker, started_at)), "interval",
                      id="heartbeat", seconds=HEARTBEAT_SECONDS, next_run_time=utcnow())
    return scheduler


_started_lock = threading.Lock()
_started: dict[int, BackgroundScheduler] = {}


def start_in_process(app: Flask) -> BackgroundScheduler:
    """Start the scheduler inside this process, once per app (used by the development server)."""
    with _started_lock:
        scheduler = _started.get(id(app))
        if scheduler is None:
            scheduler = build_scheduler(app)
            scheduler.start()
            _started[id(app)] = scheduler
            # Said on stderr like the development server's own lines, so that `make run` shows it.
            click.echo(f" * Scheduler running in process {os.getpid()}: "
                       + ", ".join(job.id for job in scheduler.get_jobs()), err=True)
        return scheduler
