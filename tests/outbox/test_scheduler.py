"""The scheduler: a fixed set of jobs, whatever the data; delivery that can stop between batches."""

import logging
import sqlite3
import threading

import pytest
import sqlalchemy as sa

from meetings.extensions import db
from meetings.outbox import delivery, services
from meetings.outbox.models import OutboxMessage
from meetings.outbox.scheduler import _in_app, build_scheduler
from tests import factories


def jobs(app):
    """The jobs of a scheduler as it runs (started paused: job defaults apply only once started)."""
    scheduler = build_scheduler(app)
    scheduler.start(paused=True)
    try:
        return {job.id: job for job in scheduler.get_jobs()}
    finally:
        scheduler.shutdown(wait=False)


def test_one_delivery_job_coalesced_one_at_a_time_and_the_housekeeping(app, api):
    before = jobs(app)
    assert set(before) == {"deliver", "finish-meetings", "remove-expired-rosters", "heartbeat", "materials-reminders",
                           "chase_overdue_actions", "storage-sweep"}
    deliver = before["deliver"]
    assert deliver.coalesce is True and deliver.max_instances == 1
    assert deliver.trigger.interval.total_seconds() == app.config["OUTBOX_POLL_SECONDS"]
    for n in range(3):
        meeting = factories.meeting(api.user, title=f"Meeting {n}")
        factories.crowd(meeting, 20, prefix=f"m{n}-")
        factories.publish(meeting)
    assert set(jobs(app)) == set(before)  # due work lives in the outbox, not in APScheduler


def test_a_delivery_asked_to_stop_finishes_its_batch_and_leaves_the_rest_pending(app, smtp):
    services.enqueue_many([{"key": f"test:{n}", "kind": "nothing-renders-this"} for n in range(5)])
    db.session.commit()
    stop = threading.Event()
    asked = []

    def should_stop():
        asked.append(True)
        if len(asked) > 1:
            stop.set()
        return stop.is_set()

    stats = delivery.deliver_due(batch_size=2, should_stop=should_stop)
    assert stats.claimed == 2
    db.session.expire_all()
    statuses = sorted(row.status.value for row in db.session.query(OutboxMessage))
    assert statuses == ["failed", "failed", "pending", "pending", "pending"]  # none left held by a lease


@pytest.mark.slow
def test_a_job_that_waits_past_sqlites_busy_timeout_logs_a_warning_not_a_traceback(app, database_url, caplog):
    # As deployed: a long import held SQLite's write lock past the busy timeout, and every
    # scheduler job logged an ERROR with a traceback until it ended.
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite only: PostgreSQL writers do not lock the whole database")
    holder = sqlite3.connect(sa.engine.make_url(database_url).database, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process's long write
    job = _in_app(app, "deliver", lambda: db.session.execute(sa.update(OutboxMessage).values(attempts=0)))
    try:
        with caplog.at_level(logging.WARNING, logger="meetings.outbox.scheduler"):
            job()
    finally:
        holder.rollback()
        holder.close()
    [record] = [r for r in caplog.records if r.name == "meetings.outbox.scheduler"]
    assert record.levelno == logging.WARNING and record.exc_info is None
    assert "database was busy" in record.getMessage()
    job()  # the lock gone, the next run works
