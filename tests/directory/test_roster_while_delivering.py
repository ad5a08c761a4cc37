"""A big roster import while a real ``flask scheduler`` process delivers due invites: the import
is all there, and the delivery goes on meanwhile, every email once, none failed or retried
(it used to fail with "database is locked" on SQLite for minutes)."""

import csv
import io

import pytest
import sqlalchemy as sa

from meetings.extensions import db
from meetings.outbox.models import OutboxMessage, OutboxStatus
from tests import factories
from tests.processes import FlaskProcess, app_env, eventually

pytestmark = pytest.mark.slow

ROWS = 20_000
GUESTS = 150


def roster(guests: list[str]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["name", "email", "unit", "title", "tags"])
    for n in range(ROWS):
        email = guests[n] if n < len(guests) else f"staff{n}@example.com"
        writer.writerow([f"员工{n}", email, f"Unit {n % 50}", "Engineer", "hq-staff;dispatched" if n % 2 else ""])
    return out.getvalue().encode()


def test_delivery_goes_on_while_a_big_roster_is_imported(api, database_url, smtp, tmp_path):
    meeting = factories.meeting(api.user)
    guests = factories.crowd(meeting, GUESTS)
    factories.publish(meeting)
    smtp.mailbox.delay = 0.02  # a few seconds of delivery, long enough to overlap the import
    content = roster(guests)
    with FlaskProcess(tmp_path, "scheduler", env=app_env(database_url, smtp.port, OUTBOX_BATCH_SIZE=20)) as scheduler:
        smtp.mailbox.wait_for(5, timeout=60)
        before = len(smtp.mailbox.received)
        response = api.post("/api/people/import", data=content, headers={"Content-Type": "text/csv"})
        during = len(smtp.mailbox.received) - before
        eventually(lambda: len(smtp.mailbox.received) >= GUESTS, 120, "every invite")
        output = scheduler.output
    assert response.status_code == 200, response.json
    assert (response.json["created"], response.json["updated"]) == (ROWS - GUESTS, GUESTS)
    assert during > 0, "nothing was delivered while the roster was imported"
    assert "locked" not in output and "Traceback" not in output
    db.session.rollback()
    rows = db.session.execute(sa.select(OutboxMessage.status, OutboxMessage.attempts)
                              .where(OutboxMessage.kind == "invite")).all()
    assert len(rows) == GUESTS and all(row == (OutboxStatus.SENT, 1) for row in rows)
    assert sorted(mail.rcpt_tos[0] for mail in smtp.mailbox.received) == sorted(guests)
    assert db.session.scalar(sa.text("SELECT count(*) FROM people WHERE email LIKE 'staff%'")) == ROWS - GUESTS

