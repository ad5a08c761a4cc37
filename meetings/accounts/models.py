"""Users who log in, and their API tokens."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from meetings.core.db import UTCDateTime, enum_column, utcnow
from meetings.extensions import Model


class UserRole(enum.StrEnum):
    """What a user may do: admins everything, organizers their own and shared meetings."""

    ADMIN = "admin"
    ORGANIZER = "organizer"


class User(UserMixin, Model):
    """Someone who logs in to organize meetings or administer the service."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Login name; stored lower-case so lookups ignore case.
    email: Mapped[str] = mapped_column(sa.String(254), unique=True, nullable=False)
    #: Display name.
    name: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")
    #: werkzeug.security hash (scrypt); never the password.
    password_hash: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    #: admin or organizer.
    role: Mapped[UserRole] = mapped_column(enum_column(UserRole, "user_role"), nullable=False)
    #: The directory entry of this user, when they are also someone who can be invited.
    person_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("people.id", ondelete="SET NULL"), nullable=True, index=True
    )
    #: Zone the user reads times in on pages.
    timezone: Mapped[str] = mapped_column(sa.String(64), nullable=False, default="Asia/Shanghai")
    #: Language of pages for this user (en or zh_Hans); None follows the browser's Accept-Language.
    language: Mapped[str | None] = mapped_column(sa.String(16), nullable=True, default=None)
    #: Whether the user may log in.
    active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    #: Goes up at logout and password change so copied session cookies stop working.
    session_version: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=1)
    #: When the account was made.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    person = relationship("Person", lazy="joined")
    tokens: Mapped[list[ApiToken]] = relationship(back_populates="user", cascade="all, delete-orphan")

    @property
    def is_admin(self) -> bool:
        """Whether the user may see and change everything."""
        return self.role == UserRole.ADMIN

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    def get_id(self) -> str:  # Flask-Login: the session names the user *and* the session version
        return f"{self.id}:{self.session_version}"

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email} {self.role}>"


class ApiToken(Model):
    """A bearer token for the JSON API; only its SHA-256 is kept."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Whose token it is.
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    #: SHA-256 of the token, hex.
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True, nullable=False)
    #: What the token is for, as its owner named it.
    name: Mapped[str] = mapped_column(sa.String(100), nullable=False, default="")
    #: When it was issued.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    #: When it was last used (to the minute, to spare writes).
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: When it was revoked; a revoked token opens nothing.
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    user: Mapped[User] = relationship(back_populates="tokens")

    def __repr__(self) -> str:
        return f"<ApiToken {self.id} of user {self.user_id}>"


class AuditEvent(Model):
    """Something an organizer or admin did (or the system did for them): who, what, when."""

    __tablename__ = "audit_events"
    __table_args__ = (sa.Index("ix_audit_events_meeting_at", "meeting_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: When.
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow, index=True)
    #: Who (None: a person through a link, or the system).
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True,
                                                index=True)
    #: Their email then, kept even if the account goes.
    actor: Mapped[str] = mapped_column(sa.String(254), nullable=False, default="")
    #: What: ``meeting.published``, ``invitation.removed``, ``attendance.exported``...
    action: Mapped[str] = mapped_column(sa.String(60), nullable=False, index=True)
    #: The meeting it concerns, if one (its title is kept in ``details``).
    meeting_id: Mapped[int | None] = mapped_column(sa.ForeignKey("meetings.id", ondelete="SET NULL"),
                                                   nullable=True)
    #: What exactly: ids, names, the fields changed.
    details: Mapped[dict] = mapped_column(sa.JSON, nullable=False, default=dict)
    #: The request it came from (matches the logs), if any.
    request_id: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)

    def __repr__(self) -> str:
        return f"<AuditEvent {self.id} {self.action} by {self.actor or 'system'}>"
