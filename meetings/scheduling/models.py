"""Meetings, their sites, their agenda and its speaker slots."""

from __future__ import annotations

import enum
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from meetings.core.db import UTCDateTime, enum_column, utcnow
from meetings.core.roles import MAX_REMINDER_MINUTES, Role
from meetings.extensions import Model


class MeetingStatus(enum.StrEnum):
    """Where a meeting is in its life: draft → scheduled → finished, or cancelled."""

    DRAFT = "draft"
    SCHEDULED = "scheduled"
    FINISHED = "finished"
    CANCELLED = "cancelled"

    @property
    def is_editable(self) -> bool:
        """Whether a meeting in this state may still change (and its people still answer)."""
        return self in (MeetingStatus.DRAFT, MeetingStatus.SCHEDULED)


class SiteKind(enum.StrEnum):
    """The in-person main venue, or a remote site joined by videoconference."""

    MAIN = "main"
    REMOTE = "remote"


class VcProvider(enum.StrEnum):
    """Videoconference systems a site can use (the implementations live in `conferencing`)."""

    JITSI = "jitsi"
    BBB = "bbb"
    URL = "url"


class AgendaKind(enum.StrEnum):
    """What happens in an agenda block."""

    REPORT = "report"
    SPEECH = "speech"
    DISCUSSION = "discussion"
    BREAK = "break"
    OTHER = "other"


#: Changes that participants must see, and that therefore raise the iCalendar SEQUENCE.
SEQUENCE_CHANGES = frozenset({"time", "place", "agenda", "status", "join_link"})


class Meeting(Model):
    """An operation meeting: when, where, what, and in which state."""

    __tablename__ = "meetings"
    __table_args__ = (
        sa.CheckConstraint("end_at > start_at", name="end_after_start"),
        sa.CheckConstraint("sequence >= 0", name="sequence_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: What people see first.
    title: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    #: The title in Chinese, when it has one; readers of Chinese see it, others `title`.
    title_zh: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="", server_default="")
    #: Longer text for the invite body.
    description: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    #: The kind of meeting (operation, party-committee, ...), free text.
    kind: Mapped[str] = mapped_column(sa.String(50), nullable=False, default="operation")
    #: draft, scheduled (published), finished or cancelled.
    status: Mapped[MeetingStatus] = mapped_column(
        enum_column(MeetingStatus, "meeting_status"), nullable=False, default=MeetingStatus.DRAFT
    )
    #: Start, UTC.
    start_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, index=True)
    #: End, UTC.
    end_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    #: IANA zone the meeting is planned in (the main venue's, usually).
    timezone: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    #: iCalendar UID, fixed for the meeting's whole life.
    uid: Mapped[str] = mapped_column(sa.String(255), unique=True, nullable=False)
    #: The conference every site joins: room on Jitsi, meeting id on BigBlueButton; random, so it
    #: cannot be guessed.
    vc_room: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    #: iCalendar SEQUENCE: goes up with every change participants must see once published.
    sequence: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    #: Goes up, in the same transaction, with every change to anything a page behind the
    #: meeting's links shows (see `meetings.scheduling.versions`): those pages are rendered once
    #: per version and reused until it moves.
    content_version: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0, server_default="0")
    #: When speakers' materials are due (None: `meetings.materials` takes 2 days before the start).
    materials_due: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: Whether the organizer set the reminders (else every role gets its defaults).
    reminders_customized: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    #: The organizer who made it.
    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), nullable=False, index=True)
    #: When it was made.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    #: When it last changed.
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    #: When invites first went out.
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: When it was cancelled.
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    owner = relationship("User", lazy="joined")
    sites: Mapped[list[Site]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan", order_by="(Site.kind, Site.id)"
    )
    agenda_items: Mapped[list[AgendaItem]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan",
        order_by="(AgendaItem.start_at, AgendaItem.id)",
    )
    reminder_policies: Mapped[list[ReminderPolicy]] = relationship(
        cascade="all, delete-orphan", order_by="(ReminderPolicy.role, ReminderPolicy.before_minutes.desc())"
    )
    shares: Mapped[list[MeetingShare]] = relationship(cascade="all, delete-orphan")

    @property
    def duration(self) -> timedelta:
        """How long the meeting lasts."""
        return self.end_at - self.start_at

    @property
    def is_published(self) -> bool:
        """Whether invites have gone out (participants see its changes)."""
        return self.published_at is not None

    @property
    def is_live(self) -> bool:
        """Published and not over nor cancelled: its people get updates and reminders."""
        return self.live(self.published_at, self.status)

    @staticmethod
    def live(published_at: datetime | None, status: MeetingStatus) -> bool:
        """`is_live` of a meeting read as plain values."""
        return published_at is not None and status == MeetingStatus.SCHEDULED

    @classmethod
    def live_condition(cls) -> sa.ColumnElement[bool]:
        """`is_live` as an SQL condition on the meetings table, for a statement that decides on
        it (`invitations.answers`); the same rule as `live`."""
        return sa.and_(cls.published_at.is_not(None), cls.status == MeetingStatus.SCHEDULED)

    @property
    def is_editable(self) -> bool:
        """Whether its details may still change."""
        return MeetingStatus(self.status).is_editable

    @property
    def main_site(self) -> Site | None:
        """The in-person main venue, if set."""
        return next((s for s in self.sites if s.kind == SiteKind.MAIN), None)

    def __repr__(self) -> str:
        return f"<Meeting {self.id} {self.title!r} {self.status}>"


class MeetingShare(Model):
    """Another organizer who may see and change a meeting."""

    __tablename__ = "meeting_shares"

    #: The meeting shared.
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True)
    #: The organizer it is shared with.
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)


class ReminderPolicy(Model):
    """One reminder a role gets, when the meeting overrides the defaults."""

    __tablename__ = "reminder_policies"
    __table_args__ = (
        sa.UniqueConstraint("meeting_id", "role", "before_minutes", name="uq_reminder_policies_once"),
        sa.CheckConstraint(f"before_minutes >= 0 AND before_minutes <= {MAX_REMINDER_MINUTES}",
                           name="before_minutes_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The meeting.
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meetings.id", ondelete="CASCADE"), nullable=False, index=True)
    #: Which role it is for.
    role: Mapped[Role] = mapped_column(enum_column(Role, "role"), nullable=False)
    #: Minutes before the meeting (speakers: before their slot).
    before_minutes: Mapped[int] = mapped_column(sa.Integer, nullable=False)

    def __repr__(self) -> str:
        return f"<ReminderPolicy {self.role} -{self.before_minutes}min>"


class Site(Model):
    """Where people attend: the main venue, or a remote room on the videoconference."""

    __tablename__ = "sites"
    __table_args__ = (
        sa.UniqueConstraint("meeting_id", "name", name="uq_sites_meeting_name"),
        # At most one main venue per meeting, whatever two requests do at once.
        sa.Index("uq_sites_one_main", "meeting_id", unique=True,
                 sqlite_where=sa.text("kind = 'main'"), postgresql_where=sa.text("kind = 'main'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The meeting.
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meetings.id", ondelete="CASCADE"), nullable=False, index=True)
    #: "Main hall, HQ 12F", "Rotterdam plant meeting room".
    name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    #: main or remote.
    kind: Mapped[SiteKind] = mapped_column(enum_column(SiteKind, "site_kind"), nullable=False)
    #: IANA zone of the site, for its join page and its people's invites.
    timezone: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    #: Address and room, as it goes into the invite's LOCATION.
    location: Mapped[str] = mapped_column(sa.String(300), nullable=False, default="")
    #: Who runs the room: checks people in, tests the AV.
    host_person_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("people.id", ondelete="SET NULL"), nullable=True, index=True
    )
    #: Videoconference system; None means the app's default (VC_PROVIDER).
    vc_provider: Mapped[VcProvider | None] = mapped_column(enum_column(VcProvider, "vc_provider"), nullable=True)
    #: The fixed link for the ``url`` provider (Zoom, Teams, a room system).
    vc_url: Mapped[str | None] = mapped_column(sa.String(1000), nullable=True)
    #: When the site was added.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    meeting: Mapped[Meeting] = relationship(back_populates="sites")
    host = relationship("Person", lazy="joined")

    def __repr__(self) -> str:
        return f"<Site {self.id} {self.kind} {self.name!r}>"


class AgendaItem(Model):
    """An ordered block of the meeting: a report, a block of speeches, a discussion, a break."""

    __tablename__ = "agenda_items"
    __table_args__ = (
        sa.CheckConstraint("duration_minutes > 0", name="duration_positive"),
        sa.Index("ix_agenda_items_meeting_start", "meeting_id", "start_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The meeting.
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meetings.id", ondelete="CASCADE"), nullable=False)
    #: "Half-year operation report".
    title: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    #: "半年经营报告": the title in Chinese, when it has one.
    title_zh: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="", server_default="")
    #: report, speech, discussion, break, other.
    kind: Mapped[AgendaKind] = mapped_column(enum_column(AgendaKind, "agenda_kind"), nullable=False)
    #: Start, UTC.
    start_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    #: Length in minutes.
    duration_minutes: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    #: Notes shown with the item.
    description: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")

    meeting: Mapped[Meeting] = relationship(back_populates="agenda_items")
    speaker_slots: Mapped[list[SpeakerSlot]] = relationship(
        back_populates="agenda_item", cascade="all, delete-orphan",
        order_by="(SpeakerSlot.position, SpeakerSlot.id)", lazy="selectin",
    )

    @property
    def end_at(self) -> datetime:
        """End, UTC."""
        return self.start_at + timedelta(minutes=self.duration_minutes)

    def __repr__(self) -> str:
        return f"<AgendaItem {self.id} {self.kind} {self.title!r}>"


class SpeakerSlot(Model):
    """One speaker's turn inside an agenda item: who, on what, for how long, in which order."""

    __tablename__ = "speaker_slots"
    __table_args__ = (
        sa.CheckConstraint("minutes > 0", name="minutes_positive"),
        sa.CheckConstraint("end_at > start_at", name="end_after_start"),
        sa.Index("ix_speaker_slots_person_start", "person_id", "start_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The agenda item it belongs to.
    agenda_item_id: Mapped[int] = mapped_column(
        sa.ForeignKey("agenda_items.id", ondelete="CASCADE"), nullable=False, index=True
    )
    #: The speaker.
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id"), nullable=False)
    #: What they speak about.
    topic: Mapped[str] = mapped_column(sa.String(300), nullable=False, default="")
    #: How long they have.
    minutes: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    #: Order within the item, from 0.
    position: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    #: Start, UTC: the item's start plus the minutes of the slots before it (kept by the services).
    start_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    #: End, UTC.
    end_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)

    agenda_item: Mapped[AgendaItem] = relationship(back_populates="speaker_slots")
    person = relationship("Person", lazy="joined")

    def __repr__(self) -> str:
        return f"<SpeakerSlot {self.id} person {self.person_id} {self.minutes}min>"
