"""Chasers computed and sent by a real ``flask scheduler`` process killed mid-batch: each overdue
action's owner is chased once, never twice, whatever the restarts and however often the job runs."""

from collections import Counter
from datetime import timedelta

import pytest
import sqlalchemy as sa

from meetings.core.db import utcnow
from meetings.extensions import db
from meetings.minutes import followup
from meetings.minutes.models import ActionItem
from meetings.outbox.models import OutboxMessage, OutboxStatus
from tests import factories
from tests.processes import FlaskProcess, app_env, eventually

pytestmark = pytest.mark.slow
OWNERS = 80


def chaser_rows() -> list[OutboxMessage]:
    db.session.rollback()  # a fresh snapshot: another process writes these rows
    return list(db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.kind == followup.CHASER_KIND)))


def received(mailbox) -> Counter:
    return Counter(mail.rcpt_tos[0] for mail in mailbox.received if mail.message["Subject"].startswith("Overdue"))


def test_a_scheduler_killed_while_chasing_sends_each_chaser_once(api, database_url, smtp, tmp_path):
    meeting = factories.meeting(api.user, title="May meeting")
    owners = factories.crowd(meeting, OWNERS, prefix="owner")
    due = factories.future_day(7, 1).isoformat()
    base = f"/api/meetings/{meeting.id}/minutes"
    put = api.client.put(base, headers={"Authorization": f"Bearer {api.token}"}, json={"actions": [
        {"title": f"Task {n}", "owner_email": email, "due": due} for n, email in enumerate(owners)]})
    assert put.status_code == 200, put.json
    api.post(base + "/submit")
    api.post(base + "/approve")
    assert api.post(base + "/publish", json={"audience": "attended"}).status_code == 200
    factories.deliver()  # the minutes themselves (the owners get theirs), out of the way
    # Time passes: the actions' day came and went (set in the rows; nothing else of the app moves).
    db.session.execute(sa.update(ActionItem).values(due_on=(utcnow() - timedelta(days=10)).date()))
    db.session.commit()
    smtp.mailbox.clear()
    smtp.mailbox.delay = 0.04  # about 3 s for the batch: time to kill the sender in the middle
    env = app_env(database_url, smtp.port, OUTBOX_LEASE_SECONDS=2, ACTION_CHASE_SECONDS=1)
    with FlaskProcess(tmp_path, "scheduler", env=env) as scheduler:
        smtp.mailbox.wait_for(20, timeout=40)
        scheduler.kill()
    marked_sent = {row.recipient for row in chaser_rows() if row.status == OutboxStatus.SENT}
    assert 0 < len(marked_sent) < OWNERS
    smtp.mailbox.delay = 0
    with FlaskProcess(tmp_path, "scheduler", env=env):  # the job runs again each second: no new rows
        eventually(lambda: len(rows := chaser_rows()) == OWNERS and all(r.status == OutboxStatus.SENT for r in rows),
                   40, "every chaser to be sent")
        eventually(lambda: len(received(smtp.mailbox)) == OWNERS, 10, "the last chaser to arrive")
    rows = chaser_rows()
    assert len({row.key for row in rows}) == OWNERS  # one row per action and week, however many runs
    counts = received(smtp.mailbox)
    assert set(counts) == set(owners)
    assert all(counts[email] == 1 for email in marked_sent)
    # The one email in flight when the worker died may go out twice, never more (delivery.py).
    assert sum(counts.values()) - OWNERS <= 1
