"""The outbox: one row per email that must go out."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from meetings.core.db import UTCDateTime, enum_column, utcnow
from meetings.extensions import Model


class OutboxStatus(enum.StrEnum):
    """Where an email is: waiting (maybe for its due time or a retry), being sent, done."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"
    SKIPPED = "skipped"


#: "Waiting": pending or being sent. Literal SQL, shared by the partial index and the claim, so
#: that SQLite (which matches a partial index only on the same literal condition) uses it.
WAITING = "status IN ('pending', 'sending')"


class OutboxMessage(Model):
    """An email that must go out: invite, update, cancellation, reminder, confirmation.

    Its content is rendered when it is delivered, from the state of things at that moment, so a
    pending invite always says what is true when it leaves.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        # "Due and not yet sent": what the delivery job scans, kept small by the condition.
        sa.Index("ix_outbox_due", "due_at", sqlite_where=sa.text(WAITING), postgresql_where=sa.text(WAITING)),
        sa.Index("ix_outbox_meeting_person", "meeting_id", "person_id"),
        sa.Index("ix_outbox_invitation_status", "invitation_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: What makes the email unique (``invite:{invitation}:{n}``, ``reminder:...``): never sent twice.
    key: Mapped[str] = mapped_column(sa.String(200), unique=True, nullable=False)
    #: invite, update, cancel, reminder, rsvp_confirmation...: who renders it.
    kind: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    #: pending, sending, sent, failed, cancelled, skipped.
    status: Mapped[OutboxStatus] = mapped_column(enum_column(OutboxStatus, "outbox_status"), nullable=False,
                                                 default=OutboxStatus.PENDING)
    #: Not before this time (a reminder's time, or the next retry).
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    #: Delivery attempts so far.
    attempts: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    #: Why the last attempt failed, or why it was skipped.
    last_error: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    #: The worker sending it, and until when it holds it (after that another may take it over).
    claimed_by: Mapped[str | None] = mapped_column(sa.String(100), nullable=True)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: When the SMTP server accepted it.
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: The address and subject it went out with (filled in when sent).
    recipient: Mapped[str | None] = mapped_column(sa.String(254), nullable=True)
    subject: Mapped[str | None] = mapped_column(sa.String(300), nullable=True)
    #: What it is about, for listing a meeting's or a person's emails.
    meeting_id: Mapped[int | None] = mapped_column(sa.ForeignKey("meetings.id", ondelete="CASCADE"), nullable=True)
    invitation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("invitations.id", ondelete="CASCADE"),
                                                      nullable=True)
    person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id", ondelete="CASCADE"), nullable=True,
                                                  index=True)
    #: Details the renderer needs (a reminder's offset, the reason of a cancellation...).
    payload: Mapped[dict] = mapped_column(sa.JSON, nullable=False, default=dict)
    #: When the row was written.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.id} {self.key} {self.status}>"


class SchedulerHeartbeat(Model):
    """A running scheduler process says it is alive (readiness checks look for a recent one)."""

    __tablename__ = "scheduler_heartbeats"

    #: host:pid of the process.
    worker: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    #: When the process started.
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    #: When it last said it was alive.
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, index=True)

    def __repr__(self) -> str:
        return f"<SchedulerHeartbeat {self.worker} {self.seen_at:%H:%M:%S}>"
