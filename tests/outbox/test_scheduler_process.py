"""The scheduler as a real process (``flask --app wsgi scheduler``) on the test's database and
SMTP server, killed, restarted and starved of SMTP: reminders are never lost and never doubled."""

import os
import time
from collections import Counter
from datetime import timedelta

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from meetings.core.db import utcnow
from meetings.extensions import db
from meetings.outbox.models import OutboxMessage, OutboxStatus
from tests import factories
from tests.conftest import Mailbox, _free_port
from tests.processes import FlaskProcess, app_env, eventually

pytestmark = pytest.mark.slow


def reminder_rows() -> list[OutboxMessage]:
    db.session.rollback()  # a fresh snapshot: another process writes these rows
    return list(db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.kind == "reminder")
                                   .order_by(OutboxMessage.id)))


def received_reminders(mailbox) -> Counter:
    return Counter(mail.rcpt_tos[0] for mail in mailbox.received if mail.message["Subject"].startswith("Reminder:"))


def test_a_scheduler_killed_before_a_reminder_sends_it_late_once_when_back(api, database_url, smtp, tmp_path):
    meeting, [guest] = factories.meeting_soon(api.user, reminder_in=10)
    env = app_env(database_url, smtp.port)
    with FlaskProcess(tmp_path, "scheduler", env=env) as scheduler:
        scheduler.wait_for_output("Scheduler running")
        smtp.mailbox.wait_for(1)  # the invite: it works
        scheduler.kill()
    [row] = reminder_rows()
    assert row.status == OutboxStatus.PENDING, "too slow a machine: the reminder went out before the kill"
    eventually(lambda: utcnow() > row.due_at + timedelta(seconds=2), 30, "the reminder's time to pass")
    assert received_reminders(smtp.mailbox) == {}
    with FlaskProcess(tmp_path, "scheduler", env=env) as scheduler:
        eventually(lambda: received_reminders(smtp.mailbox), 20, "the late reminder")
        time.sleep(3)  # a few more polls: nothing more
        assert received_reminders(smtp.mailbox) == {guest: 1}
        [row] = reminder_rows()
        assert row.status == OutboxStatus.SENT and row.sent_at > row.due_at
        assert scheduler.terminate() == 0  # SIGTERM: a clean stop
        assert "Scheduler stopped." in scheduler.output


def test_a_scheduler_killed_mid_batch_never_resends_what_it_marked_sent(api, database_url, smtp, tmp_path):
    meeting, guests = factories.meeting_soon(api.user, reminder_in=4, people=120)
    factories.deliver()  # the invites, out of the way
    smtp.mailbox.clear()
    smtp.mailbox.delay = 0.04  # about 5 s for the batch: time to kill the sender in the middle
    env = app_env(database_url, smtp.port, OUTBOX_LEASE_SECONDS=2)
    eventually(lambda: utcnow() > reminder_rows()[0].due_at, 20, "the reminders to come due")
    with FlaskProcess(tmp_path, "scheduler", env=env) as scheduler:
        smtp.mailbox.wait_for(30, timeout=30)
        scheduler.kill()
    marked_sent = {row.recipient for row in reminder_rows() if row.status == OutboxStatus.SENT}
    assert 0 < len(marked_sent) < len(guests)
    smtp.mailbox.delay = 0
    with FlaskProcess(tmp_path, "scheduler", env=env):  # takes the dead one's rows over after the lease
        eventually(lambda: all(row.status == OutboxStatus.SENT for row in reminder_rows()), 30,
                   "every reminder to be sent")
    counts = received_reminders(smtp.mailbox)
    assert set(counts) == set(guests)
    assert all(counts[email] == 1 for email in marked_sent)
    # The one email in flight when the worker died may go out twice, never more (README, delivery.py).
    assert sum(counts.values()) - len(guests) <= 1


def test_an_smtp_server_down_then_up_gets_each_email_once(api, database_url, smtp, tmp_path):
    port = _free_port()  # nothing listens here yet
    meeting, [guest] = factories.meeting_soon(api.user, reminder_in=3)
    with FlaskProcess(tmp_path, "scheduler", env=app_env(database_url, port)):
        eventually(lambda: (rows := reminder_rows()) and rows[0].attempts >= 2, 30, "two failed tries")
        [row] = reminder_rows()
        assert row.status == OutboxStatus.PENDING and "Cannot open an SMTP session" in row.last_error
        assert row.due_at > utcnow() - timedelta(seconds=1)  # waiting for its next try, with backoff
        mailbox = Mailbox()
        server = Controller(mailbox, hostname="127.0.0.1", port=port)
        server.start()
        try:
            mailbox.wait_for(2, timeout=30)  # the invite and the reminder
            time.sleep(3)
            subjects = Counter(mail.message["Subject"].split(",")[0] for mail in mailbox.received)
            assert subjects == {"Invitation: Soon": 1, "Reminder: Soon": 1}
        finally:
            server.stop()
    [row] = reminder_rows()
    assert row.status == OutboxStatus.SENT and row.attempts >= 3


def test_the_development_server_runs_one_scheduler_and_other_commands_none(api, database_url, smtp, tmp_path):
    meeting, [guest] = factories.meeting_soon(api.user, reminder_in=30)
    env = app_env(database_url, smtp.port, FLASK_DEBUG=1, SCHEDULER_ENABLED=1)
    with FlaskProcess(tmp_path, "run", "--port", str(_free_port()), env=env) as server:
        server.wait_for_output("Debugger is active")
        smtp.mailbox.wait_for(1)  # the invite, sent by the scheduler inside the server
        time.sleep(2)
        lines = [line for line in server.output.splitlines() if "Scheduler running in process" in line]
        assert len(lines) == 1  # in the server child, not in the reloader's watcher
        assert f"process {server.process.pid}:" not in lines[0]
    for args, debug in ((("outbox", "status"), 0), (("outbox", "status"), 1), (("run", "--help"), 0)):
        with FlaskProcess(tmp_path, *args, env=app_env(database_url, smtp.port, SCHEDULER_ENABLED=1,
                                                        FLASK_DEBUG=debug)) as command:
            assert command.process.wait(timeout=30) == 0
            assert "Scheduler running" not in command.output
    with FlaskProcess(tmp_path, "scheduler", env=app_env(database_url, smtp.port, SCHEDULER_ENABLED=1)) as command:
        command.wait_for_output("Scheduler running with")
        time.sleep(1)
        assert "Scheduler running in process" not in command.output  # its own, not a second one
        assert command.terminate() == 0


def test_the_scheduler_yields_the_cpu_to_the_web_workers(database_url, smtp, tmp_path):
    # SCHEDULER_NICE: delivery renders emails at a lower priority than the pages served beside it.
    ours = os.getpriority(os.PRIO_PROCESS, 0)
    with FlaskProcess(tmp_path, "scheduler", env=app_env(database_url, smtp.port, SCHEDULER_NICE=7)) as scheduler:
        scheduler.wait_for_output("Scheduler running")
        assert os.getpriority(os.PRIO_PROCESS, scheduler.process.pid) == min(ours + 7, 19)
    with FlaskProcess(tmp_path, "scheduler", env=app_env(database_url, smtp.port, SCHEDULER_NICE=25)) as scheduler:
        assert scheduler.process.wait(timeout=30) != 0
        assert "SCHEDULER_NICE must be between 0 and 19" in scheduler.output
