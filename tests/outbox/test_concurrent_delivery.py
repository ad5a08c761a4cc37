"""Two delivery workers on the same due reminders: each is sent exactly once.

Threads share the test's database (SQLite or PostgreSQL); on PostgreSQL two real processes
claim with FOR UPDATE SKIP LOCKED.
"""

import re
import threading
from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from meetings.core.db import utcnow
from meetings.extensions import db
from meetings.outbox.delivery import deliver_due
from meetings.outbox.models import OutboxMessage
from tests import factories
from tests.factories import NEXT_YEAR
from tests.processes import FlaskProcess, app_env, eventually

START = datetime(NEXT_YEAR, 6, 10, 1, 0, tzinfo=timezone.utc)  # the factories' meeting, 09:00 in Shanghai


def reminders(mailbox) -> list:
    return [mail for mail in mailbox.received if mail.message["Subject"].startswith("Reminder:")]


def test_two_threads_send_each_due_reminder_exactly_once(app, api, smtp):
    meeting = factories.meeting(api.user)
    guests = factories.crowd(meeting, 150)
    factories.publish(meeting)
    factories.deliver()  # the invites
    smtp.mailbox.clear()
    stats = {}

    def work(name):
        with app.app_context():
            # The day-before and hour-before reminders are both due then: 300 rows.
            stats[name] = deliver_due(now=START - timedelta(minutes=59), batch_size=7, worker=name)
            db.session.remove()

    threads = [threading.Thread(target=work, args=(f"worker-{n}",)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(s.sent for s in stats.values())[0] > 0  # both took part
    assert sum(s.sent for s in stats.values()) == 300 and not any(s.errors for s in stats.values())
    received = reminders(smtp.mailbox)
    assert len({mail.message["Message-ID"] for mail in received}) == len(received) == 300
    assert Counter(mail.rcpt_tos[0] for mail in received) == {guest: 2 for guest in guests}


@pytest.mark.slow
def test_two_processes_send_each_due_reminder_exactly_once(api, database_url, smtp, tmp_path):
    if sa.engine.make_url(database_url).get_backend_name() != "postgresql":
        pytest.skip("two delivery processes claim with FOR UPDATE SKIP LOCKED on PostgreSQL; run with "
                    "make test-postgres (SQLite is covered by the threads above and the scheduler tests)")
    meeting, guests = factories.meeting_soon(api.user, reminder_in=3, people=300)
    factories.deliver()  # the invites
    smtp.mailbox.clear()
    smtp.mailbox.delay = 0.01  # about 3 s of sending: both processes are at it together
    db.session.rollback()
    due = db.session.scalar(sa.select(sa.func.max(OutboxMessage.due_at)).where(OutboxMessage.kind == "reminder"))
    eventually(lambda: utcnow() > due, 20, "the reminders to come due")
    env = app_env(database_url, smtp.port, OUTBOX_BATCH_SIZE=10)
    with FlaskProcess(tmp_path, "outbox", "deliver", env=env) as first, \
            FlaskProcess(tmp_path, "outbox", "deliver", env=env) as second:
        assert first.process.wait(timeout=60) == 0 and second.process.wait(timeout=60) == 0
        sent = [int(re.search(r"sent (\d+)", worker.output).group(1)) for worker in (first, second)]
    assert min(sent) > 0 and sum(sent) == 300
    assert Counter(mail.rcpt_tos[0] for mail in reminders(smtp.mailbox)) == {guest: 1 for guest in guests}
