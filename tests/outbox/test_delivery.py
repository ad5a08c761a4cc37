"""Delivering the outbox: claims, retries with backoff, failures kept, nothing sent twice."""

import socket
import threading
from datetime import timedelta

import pytest

from meetings.core.database import engines, write_intent
from meetings.core.db import utcnow
from meetings.extensions import db
from meetings.outbox import delivery, services
from meetings.outbox.models import OutboxMessage, OutboxStatus
from tests import factories


@pytest.fixture()
def queued(api):
    """A published meeting with three invites waiting in the outbox."""
    meeting = factories.meeting(api.user)
    for n in range(3):
        factories.invite(meeting, factories.person(email=f"guest{n}@example.com"))
    factories.publish(meeting)
    return meeting


def rows():
    """The invites (the meeting's reminders wait far ahead and play no part here)."""
    db.session.expire_all()
    return db.session.query(OutboxMessage).filter_by(kind="invite").order_by(OutboxMessage.id).all()


@pytest.fixture()
def smtp_down(app, monkeypatch):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens here once the socket is closed
    monkeypatch.setattr(app.extensions["mail"], "port", port)


def test_a_refusing_server_makes_rows_retry_with_backoff_then_they_go_out_once(queued, smtp):
    smtp.mailbox.refuse_with = "451 4.3.0 Try again later"
    stats = factories.deliver()
    assert stats.retried == 3 and stats.sent == 0
    first = rows()
    assert all(r.status == "pending" and r.attempts == 1 and "451" in r.last_error for r in first)
    assert all(r.due_at > utcnow() + timedelta(seconds=20) for r in first)
    assert factories.deliver().claimed == 0  # not due again yet
    smtp.mailbox.refuse_with = None
    assert factories.deliver(later_minutes=1).sent == 3
    assert len(smtp.mailbox.wait_for(3)) == 3
    assert all(r.status == "sent" and r.attempts == 2 and r.sent_at for r in rows())
    assert factories.deliver(later_minutes=600).sent == 0


def test_a_server_that_is_down_keeps_everything_for_later(queued, smtp, smtp_down):
    stats = factories.deliver()
    assert (stats.claimed, stats.sent, stats.retried) == (3, 0, 3)  # one try, not a loop on a dead server
    assert all(r.status == "pending" and r.attempts == 1 and r.due_at > utcnow() for r in rows())
    assert all("Cannot open an SMTP session" in r.last_error for r in rows())


def test_a_permanent_refusal_fails_at_once_with_the_error_kept(queued, smtp):
    smtp.mailbox.refuse_with = "550 5.1.1 No such user"
    stats = factories.deliver()
    assert stats.failed == 3
    assert all(r.status == "failed" and "550" in r.last_error for r in rows())


def test_after_the_last_try_a_row_fails_and_can_be_retried_by_hand(app, queued, smtp, runner, monkeypatch):
    monkeypatch.setitem(app.config, "OUTBOX_MAX_ATTEMPTS", 2)
    smtp.mailbox.refuse_with = "451 4.3.0 Try again later"
    factories.deliver()
    factories.deliver(later_minutes=60)
    failed = rows()
    assert all(r.status == "failed" and r.attempts == 2 and "451" in r.last_error for r in failed)
    status = runner.invoke(args=["outbox", "status"])
    assert "failed     3" in status.output
    smtp.mailbox.refuse_with = None
    result = runner.invoke(args=["outbox", "retry", str(failed[0].id)])
    assert result.exit_code == 0 and "queued again" in result.output
    assert factories.deliver().sent == 1
    assert runner.invoke(args=["outbox", "retry", str(failed[0].id)]).exit_code != 0  # only failed ones


def test_backoff_doubles_and_is_capped(app):
    assert [delivery.retry_delay(n).total_seconds() for n in (1, 2, 3, 10, 20)] == [30, 60, 120, 3600, 3600]


def test_a_row_claimed_by_a_worker_that_died_is_taken_over_after_its_lease(queued, smtp):
    claimed = delivery.claim(now=utcnow(), limit=10, worker="dead-worker")
    assert len(claimed) == 3
    assert delivery.deliver_due().claimed == 0  # still held
    later = utcnow() + delivery.lease() + timedelta(seconds=1)
    assert delivery.deliver_due(now=later).sent == 3
    assert len(smtp.mailbox.wait_for(3)) == 3


def test_two_workers_never_claim_the_same_row(queued):
    extra = [{"key": f"test:{n}", "kind": "invite"} for n in range(200)]
    services.enqueue_many(extra)
    db.session.commit()
    claims: dict[str, list[int]] = {}

    def work(name):
        with queued_app.app_context(), write_intent():
            mine = []
            while batch := delivery.claim(now=utcnow(), limit=7, worker=name):
                mine.extend(row.id for row in batch)
            claims[name] = mine
            db.session.remove()

    from flask import current_app

    queued_app = current_app._get_current_object()
    threads = [threading.Thread(target=work, args=(f"worker-{n}",)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    all_ids = claims["worker-0"] + claims["worker-1"]
    assert len(all_ids) == len(set(all_ids)) == 203


def test_a_worker_whose_lease_runs_out_hands_its_rows_back_instead_of_racing_for_them(app, api, smtp, monkeypatch):
    meeting = factories.meeting(api.user)
    guests = factories.crowd(meeting, 10)
    factories.publish(meeting)
    monkeypatch.setitem(app.config, "OUTBOX_LEASE_SECONDS", 2)  # no send starts after 1 s
    smtp.mailbox.delay = 0.3  # a slow server: the batch would take 3 s
    first = delivery.deliver_due(max_batches=1)
    assert first.sent >= 1 and first.released >= 1 and first.sent + first.released == 10
    left = [r for r in rows() if r.status != "sent"]
    assert len(left) == first.released
    assert all(r.status == "pending" and r.attempts == 0 and r.claimed_by is None for r in left)
    smtp.mailbox.delay = 0
    assert factories.deliver().sent == first.released
    assert sorted(mail.rcpt_tos[0] for mail in smtp.mailbox.received) == sorted(guests)



def test_claiming_reads_the_index_of_waiting_rows_not_every_email_ever_sent(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("the plan checked here is SQLite's")
    import sqlalchemy as sa

    statements = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().startswith("UPDATE outbox"):
            statements.append((statement, parameters))

    for engine in engines(db.engine):  # the session's and `autocommit`'s
        sa.event.listen(engine, "before_cursor_execute", capture)
    try:
        delivery.claim(now=utcnow(), limit=5, worker="w")
    finally:
        for engine in engines(db.engine):
            sa.event.remove(engine, "before_cursor_execute", capture)
    [(statement, parameters)] = statements
    with db.engine.connect() as connection:
        plan = [row[-1] for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)]
    assert any("USING INDEX ix_outbox_due" in step for step in plan), plan
    assert not any(step == "SCAN outbox" or "TEMP B-TREE" in step for step in plan), plan
