"""Check-ins: who attended, when, where and how."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from meetings.core.db import UTCDateTime, enum_column, utcnow
from meetings.extensions import Model


class CheckinMethod(enum.StrEnum):
    """How attendance was recorded."""

    QR = "qr"                # main-venue staff scanned the person's code
    ROLL_CALL = "roll_call"  # a site host ticked them present
    JOIN_LINK = "join_link"  # they (or their site's room system) joined through our link
    MANUAL = "manual"        # an organizer recorded it


class CheckIn(Model):
    """One record of attendance. The first for an invitation counts (it sets the invitation's
    ``checked_in_at`` and is marked ``counted``); later ones are kept as a log. A row without an
    invitation is a site's: its room joined, or its host counted people who were not on the list
    (``head_count``)."""

    __tablename__ = "checkins"
    __table_args__ = (
        sa.CheckConstraint("invitation_id IS NOT NULL OR site_id IS NOT NULL", name="has_subject"),
        sa.CheckConstraint("head_count IS NULL OR head_count >= 0", name="head_count_not_negative"),
        sa.Index("ix_checkins_meeting_at", "meeting_id", "at"),
        # Nothing is counted twice, whatever two check-ins at once do: one counted row per person.
        sa.Index("uq_checkins_counted", "invitation_id", unique=True,
                 sqlite_where=sa.text("counted"), postgresql_where=sa.text("counted")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The meeting.
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meetings.id", ondelete="CASCADE"), nullable=False)
    #: Who attended (None for a site-level record).
    invitation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("invitations.id", ondelete="CASCADE"),
                                                      nullable=True, index=True)
    #: Where.
    site_id: Mapped[int | None] = mapped_column(sa.ForeignKey("sites.id", ondelete="SET NULL"), nullable=True,
                                                index=True)
    #: qr, roll_call, join_link or manual.
    method: Mapped[CheckinMethod] = mapped_column(enum_column(CheckinMethod, "checkin_method"), nullable=False)
    #: When.
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    #: Whether this is the invitation's first check-in, the one that counts (its method is "how").
    counted: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    #: People present at the site who are not on the list (roll call), when counted.
    head_count: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    #: The organizer or admin who recorded it, if one did.
    recorded_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"),
                                                            nullable=True)
    #: The site host who recorded it, if one did.
    recorded_by_person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id", ondelete="SET NULL"),
                                                              nullable=True)

    def __repr__(self) -> str:
        return f"<CheckIn {self.id} {self.method} invitation {self.invitation_id} site {self.site_id}>"
