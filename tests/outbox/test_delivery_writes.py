"""A batch is rendered holding no write lock; what its renderers write (`after_render`) is
written in one short transaction after it is all rendered, before any email leaves, or the
batch goes back untouched."""

import pytest
import sqlalchemy as sa

from meetings.core.db import utcnow
from meetings.extensions import db
from meetings.outbox import delivery, services
from meetings.outbox.models import OutboxMessage, OutboxStatus

KIND = "test_writes"


@pytest.fixture()
def renderer(app):
    """Register a renderer of ``KIND`` whose behaviour the test sets (``renderer.during``,
    ``renderer.stage``); it is unregistered after."""

    class Renderer:
        during = None  # called while the batch renders
        stage = None  # staged with after_render

        def __call__(self, rows, now):
            if self.during is not None:
                self.during()
            if self.stage is not None:
                delivery.after_render(self.stage)
            return {row.id: delivery.RenderedEmail(recipient=f"{row.key}@example.com", recipient_name=None,
                                                   subject="Hello", text="Hello") for row in rows}

    made = Renderer()
    delivery.register_renderer(KIND, made)
    yield made
    delivery._renderers.pop(KIND, None)


def queue(count: int) -> None:
    services.enqueue_many([{"key": f"w{n}", "kind": KIND} for n in range(count)])
    db.session.commit()


def statuses() -> list[tuple[str, OutboxStatus, int]]:
    db.session.rollback()
    return db.session.execute(sa.select(OutboxMessage.key, OutboxMessage.status, OutboxMessage.attempts)
                              .where(OutboxMessage.kind == KIND).order_by(OutboxMessage.key)).all()


def test_another_writer_is_not_kept_waiting_while_a_batch_renders(app, smtp, renderer):
    written = []

    def write_elsewhere():
        # Another process's write (an answer, say): on SQLite it would wait for the database's
        # one write lock; with no wait allowed, it fails at once if the delivery holds it.
        with db.engine.connect() as connection:
            if connection.dialect.name == "sqlite":
                connection.exec_driver_sql("PRAGMA busy_timeout=0")
            now = utcnow()
            connection.execute(sa.insert(OutboxMessage).values(
                key="elsewhere", kind="other", status=OutboxStatus.CANCELLED, due_at=now, attempts=0, payload={},
                created_at=now))
            connection.commit()
            if connection.dialect.name == "sqlite":
                connection.exec_driver_sql("PRAGMA busy_timeout=10000")
        written.append(True)

    renderer.during = write_elsewhere
    queue(3)
    stats = delivery.deliver_due()
    assert written and stats.sent == 3
    assert len(smtp.mailbox.wait_for(3)) == 3


def test_what_renderers_stage_is_written_before_the_emails_leave(app, smtp, renderer):
    seen_when_sending = []
    renderer.stage = lambda: services.enqueue("staged", "other", due_at=None)
    original = delivery._send

    def send(session, ledger, row, email, sender):
        with db.engine.connect() as connection:  # what another process sees now
            seen_when_sending.append(connection.scalar(
                sa.select(sa.func.count()).select_from(OutboxMessage).where(OutboxMessage.key == "staged")))
        return original(session, ledger, row, email, sender)

    delivery._send = send
    try:
        queue(2)
        assert delivery.deliver_due().sent == 2
    finally:
        delivery._send = original
    assert seen_when_sending == [1, 1]


def test_a_batch_whose_staged_writes_fail_goes_back_and_nothing_leaves(app, smtp, renderer):
    queue(3)
    # A key that exists already: the staged INSERT fails (a plain one, not `enqueue`'s, which
    # would skip it).
    renderer.stage = lambda: db.session.execute(sa.insert(OutboxMessage).values(
        key="w0", kind=KIND, status=OutboxStatus.PENDING, due_at=utcnow(), attempts=0, payload={},
        created_at=utcnow()))
    stats = delivery.deliver_due()
    assert (stats.sent, stats.retried) == (0, 3)
    assert [(status, attempts) for _, status, attempts in statuses()] == [(OutboxStatus.PENDING, 1)] * 3
    assert smtp.mailbox.received == []
    renderer.stage = None
    assert delivery.deliver_due(now=utcnow() + delivery.retry_delay(1)).sent == 3
    assert len(smtp.mailbox.wait_for(3)) == 3
