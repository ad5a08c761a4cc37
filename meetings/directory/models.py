"""Units and people."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from meetings.core.db import UTCDateTime, utcnow
from meetings.extensions import Model

#: The largest roster the import page keeps between its two steps: the app's request bound.
PENDING_ROSTER_MAX_BYTES = 10 * 1024 * 1024


class Unit(Model):
    """A part of the group: the headquarters, a member enterprise, a branch (a tree)."""

    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Unique name, as people write it on rosters.
    name: Mapped[str] = mapped_column(sa.String(200), unique=True, nullable=False)
    #: headquarters, enterprise, branch, department... (free text, for display and grouping).
    kind: Mapped[str] = mapped_column(sa.String(50), nullable=False, default="enterprise")
    #: The unit this one belongs to; None for the top of the tree.
    parent_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("units.id", ondelete="SET NULL"), nullable=True, index=True
    )
    #: Zone new people of this unit get unless they say otherwise.
    timezone: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    #: When the unit was added.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    parent: Mapped[Unit | None] = relationship(remote_side=[id])

    def __repr__(self) -> str:
        return f"<Unit {self.id} {self.name!r}>"


class Person(Model):
    """Someone who can be invited."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Full name as it is written in their language.
    name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    #: Lower-cased, so uniqueness ignores case.
    email: Mapped[str] = mapped_column(sa.String(254), unique=True, nullable=False)
    #: Where they work.
    unit_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("units.id", ondelete="SET NULL"), nullable=True, index=True
    )
    #: Job title (President, Vice director, Engineer...).
    title: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")
    #: IANA zone they read times in.
    timezone: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    #: Language of their emails and invites (en or zh_Hans).
    language: Mapped[str] = mapped_column(sa.String(16), nullable=False, default="zh_Hans")
    #: Set when the person leaves the directory; their past invitations and attendance stay.
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: When the person was added.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    unit: Mapped[Unit | None] = relationship(lazy="joined")
    #: Loaded when asked for: lists that show tags load them with ``selectinload``.
    tag_rows: Mapped[list[PersonTag]] = relationship(
        cascade="all, delete-orphan", lazy="select", order_by="PersonTag.tag"
    )

    @property
    def tags(self) -> list[str]:
        """The person's role tags, sorted."""
        return [row.tag for row in self.tag_rows]

    @property
    def unit_name(self) -> str | None:
        """The name of their unit, if any."""
        return self.unit.name if self.unit else None

    def __repr__(self) -> str:
        return f"<Person {self.id} {self.email}>"


class PersonTag(Model):
    """One role tag of one person (``vice-director-and-above``, ``enterprise-representative``...)."""

    __tablename__ = "person_tags"

    #: Whose tag.
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id", ondelete="CASCADE"), primary_key=True)
    #: The tag: lower case letters, digits and dashes.
    tag: Mapped[str] = mapped_column(sa.String(64), primary_key=True, index=True)

    def __repr__(self) -> str:
        return f"<PersonTag {self.person_id} {self.tag}>"


class PendingRoster(Model):
    """A roster checked on the import page and waiting for its import (the page's second step).

    Kept in the database, not on the disk of the app host that checked it, so the confirmation
    may land on any host behind the proxy. Only the user who uploaded it may import it; it
    expires after `meetings.directory.uploads.MAX_AGE` (the scheduler's housekeeping deletes it).
    """

    __tablename__ = "pending_rosters"
    __table_args__ = (
        sa.CheckConstraint(f"size >= 0 AND size <= {PENDING_ROSTER_MAX_BYTES}", name="size_bounded"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: SHA-256 (hex) of the random id the import page carries to its second step; not the id itself.
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True, nullable=False)
    #: Who uploaded it: the only user who may import it.
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    #: The file's name as uploaded (its extension tells CSV from XLSX).
    filename: Mapped[str] = mapped_column(sa.String(255), nullable=False, default="")
    #: The content type the browser sent with it.
    content_type: Mapped[str] = mapped_column(sa.String(255), nullable=False, default="")
    #: Length of ``data`` in bytes (at most `PENDING_ROSTER_MAX_BYTES`).
    size: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    #: The file as uploaded: checked again, against the directory as it is then, when imported.
    data: Mapped[bytes] = mapped_column(sa.LargeBinary, nullable=False)
    #: When it was checked; it expires `uploads.MAX_AGE` later.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow, index=True)

    def __repr__(self) -> str:
        return f"<PendingRoster {self.id} user {self.user_id} {self.size}B>"
