"""Minutes of a meeting, their published versions, decisions, action items and their follow-up,
the capability links that reach approvers and owners, and the series meetings form when copied.

Shaped like Indico's notes (one note per object, revisions never overwritten): a meeting has one
`Minutes`, whose content is edited while it is a draft; each publication freezes a
`MinutesVersion` (content snapshot and what changed since the one before), never edited again.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from meetings.core.db import UTCDateTime, enum_column, utcnow
from meetings.extensions import Model


class MinutesState(enum.StrEnum):
    """draft → submitted (for approval) → approved → published; reopened to draft for a correction."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    PUBLISHED = "published"


class ActionStatus(enum.StrEnum):
    """Where an action item is: open, reported done (waiting for the organizer or chair), done, dropped."""

    OPEN = "open"
    DONE_REPORTED = "done_reported"
    DONE = "done"
    CANCELLED = "cancelled"

    @property
    def is_closed(self) -> bool:
        """Whether follow-up has ended (no more reminders nor chasers)."""
        return self in (ActionStatus.DONE, ActionStatus.CANCELLED)


class UpdateKind(enum.StrEnum):
    """What an entry of an action item's log records."""

    PROGRESS = "progress"              # the owner reports progress
    EXTENSION_REQUESTED = "extension_requested"
    EXTENSION_APPROVED = "extension_approved"
    EXTENSION_REFUSED = "extension_refused"
    DONE_REPORTED = "done_reported"    # the owner says it is done
    DONE_CONFIRMED = "done_confirmed"  # the organizer or the chair agrees
    REOPENED = "reopened"
    DUE_CHANGED = "due_changed"        # the organizer moved the due date
    CANCELLED = "cancelled"


class MinutesLinkPurpose(enum.StrEnum):
    """What a minutes link lets its holder do."""

    APPROVE = "approve"  # the chair approves the submitted minutes
    ACTION = "action"    # an action's owner reports on it
    CONFIRM = "confirm"  # the chair confirms an action its owner reported done


class Minutes(Model):
    """The minutes of one meeting: state, approver, and the number of the last published version."""

    __tablename__ = "minutes"
    __table_args__ = (
        sa.UniqueConstraint("meeting_id", name="uq_minutes_meeting"),
        sa.CheckConstraint("version >= 0", name="version_not_negative"),
        sa.CheckConstraint("approver_user_id IS NULL OR approver_person_id IS NULL", name="one_approver"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The meeting they record.
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meetings.id", ondelete="CASCADE"), nullable=False)
    #: draft, submitted, approved, published.
    state: Mapped[MinutesState] = mapped_column(enum_column(MinutesState, "minutes_state"), nullable=False,
                                                default=MinutesState.DRAFT)
    #: Number of the last published version (0: never published).
    version: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    #: An organizer named approver by the owner (None with no person either: the owner approves).
    approver_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"),
                                                         nullable=True)
    #: The chair (a person, no account needed) named approver by the owner; approves by emailed link.
    approver_person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id", ondelete="SET NULL"),
                                                           nullable=True)
    #: Who publishes next: ``invited`` or ``attended`` (the last audience chosen).
    audience: Mapped[str] = mapped_column(sa.String(20), nullable=False, default="invited")
    #: How many times they were submitted (keys the approval emails: one per submission).
    submissions: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    #: When they were last submitted, approved, published.
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: Who approved the current content (an email or a name).
    approved_by: Mapped[str | None] = mapped_column(sa.String(254), nullable=True)
    #: Why they were reopened after publishing (goes into the next version's "what changed").
    correction_reason: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    #: When the content last changed.
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    meeting = relationship("Meeting", lazy="joined", innerjoin=True)
    notes: Mapped[list[MinutesNote]] = relationship(cascade="all, delete-orphan", order_by="MinutesNote.id")
    decisions: Mapped[list[Decision]] = relationship(cascade="all, delete-orphan",
                                                     order_by="(Decision.position, Decision.id)")
    actions: Mapped[list[ActionItem]] = relationship(back_populates="minutes", cascade="all, delete-orphan",
                                                     order_by="(ActionItem.position, ActionItem.id)")
    versions: Mapped[list[MinutesVersion]] = relationship(cascade="all, delete-orphan",
                                                          order_by="MinutesVersion.number")

    def __repr__(self) -> str:
        return f"<Minutes {self.id} meeting {self.meeting_id} {self.state} v{self.version}>"


class MinutesVersion(Model):
    """One published version: what was published, to whom, and what changed since the one before.
    Immutable once written (an update raises)."""

    __tablename__ = "minutes_versions"
    __table_args__ = (
        sa.UniqueConstraint("minutes_id", "number", name="uq_minutes_versions_number"),
        sa.CheckConstraint("number >= 1", name="number_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The minutes.
    minutes_id: Mapped[int] = mapped_column(sa.ForeignKey("minutes.id", ondelete="CASCADE"), nullable=False)
    #: 1, 2, ...
    number: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    #: The content as published: notes, decisions, actions and attendance.
    content: Mapped[dict] = mapped_column(sa.JSON, nullable=False)
    #: What changed from the version before (lines), with the reason of the correction.
    changes: Mapped[list] = mapped_column(sa.JSON, nullable=False, default=list)
    #: invited or attended.
    audience: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    #: Who approved it and who published it.
    approved_by: Mapped[str] = mapped_column(sa.String(254), nullable=False, default="")
    published_by: Mapped[str] = mapped_column(sa.String(254), nullable=False, default="")
    #: When.
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    def __repr__(self) -> str:
        return f"<MinutesVersion {self.minutes_id} v{self.number}>"


@event.listens_for(MinutesVersion, "before_update")
def _versions_are_immutable(mapper, connection, target):
    raise ValueError("a published minutes version is never changed; publish a new one")


class MinutesNote(Model):
    """The notes taken on one agenda item (or on the meeting as a whole)."""

    __tablename__ = "minutes_notes"
    __table_args__ = (
        sa.UniqueConstraint("minutes_id", "agenda_item_id", name="uq_minutes_notes_item"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The minutes.
    minutes_id: Mapped[int] = mapped_column(sa.ForeignKey("minutes.id", ondelete="CASCADE"), nullable=False)
    #: The agenda item (None: about the meeting as a whole).
    agenda_item_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agenda_items.id", ondelete="SET NULL"),
                                                       nullable=True)
    #: Plain text with simple formatting (lines, "- " lists, **bold**).
    text: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")

    def __repr__(self) -> str:
        return f"<MinutesNote {self.id} item {self.agenda_item_id}>"


class NotesRevision(Model):
    """The notes as one save left them (all agenda items), who saved them and when: the history
    organizers read. Saves by the same author within `services.COALESCE_SECONDS` of a revision's
    start amend it; only the last `services.REVISIONS_KEPT` are kept."""

    __tablename__ = "minutes_notes_revisions"
    __table_args__ = (
        sa.UniqueConstraint("minutes_id", "number", name="uq_minutes_notes_revisions_number"),
        sa.CheckConstraint("number >= 1", name="number_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The minutes.
    minutes_id: Mapped[int] = mapped_column(sa.ForeignKey("minutes.id", ondelete="CASCADE"), nullable=False)
    #: 1, 2, ...: the order of saves (numbers of pruned revisions are not reused).
    number: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    #: Every note as saved: ``[{"agenda_item_id", "text"}]``.
    notes: Mapped[list] = mapped_column(sa.JSON, nullable=False, default=list)
    #: Who saved it (their email).
    author: Mapped[str] = mapped_column(sa.String(254), nullable=False)
    #: When its first save was made, and its last (saves close together amend one revision).
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    def __repr__(self) -> str:
        return f"<NotesRevision {self.minutes_id}.{self.number} by {self.author}>"


class Decision(Model):
    """A decision the meeting took."""

    __tablename__ = "minutes_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The minutes.
    minutes_id: Mapped[int] = mapped_column(sa.ForeignKey("minutes.id", ondelete="CASCADE"), nullable=False,
                                            index=True)
    #: The agenda item it was taken under (None: the meeting as a whole).
    agenda_item_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agenda_items.id", ondelete="SET NULL"),
                                                       nullable=True)
    #: What was decided.
    text: Mapped[str] = mapped_column(sa.Text, nullable=False)
    #: Order in the minutes, from 0.
    position: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)

    def __repr__(self) -> str:
        return f"<Decision {self.id}>"


class ActionItem(Model):
    """Something a person (or a unit, through a responsible person) must do by a date (督办)."""

    __tablename__ = "action_items"
    __table_args__ = (
        sa.Index("ix_action_items_status_due", "status", "due_on"),
        sa.CheckConstraint("(status = 'done') = (done_at IS NOT NULL)", name="done_when_done_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The minutes it was recorded in.
    minutes_id: Mapped[int] = mapped_column(sa.ForeignKey("minutes.id", ondelete="CASCADE"), nullable=False,
                                            index=True)
    #: The meeting (repeated from the minutes: every list filters on it).
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meetings.id", ondelete="CASCADE"), nullable=False,
                                            index=True)
    #: The agenda item it came from.
    agenda_item_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agenda_items.id", ondelete="SET NULL"),
                                                       nullable=True)
    #: What must be done.
    title: Mapped[str] = mapped_column(sa.String(500), nullable=False)
    #: The responsible person (for a unit's action, the person who answers for the unit).
    owner_person_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id"), nullable=False, index=True)
    #: The unit that owns it, when a unit does (the person answers for it).
    owner_unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id", ondelete="SET NULL"),
                                                      nullable=True, index=True)
    #: The enterprise or unit it concerns.
    concerns_unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id", ondelete="SET NULL"),
                                                         nullable=True)
    #: The day it is due (in the meeting's time zone).
    due_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    #: A later day the owner asked for (waiting for the organizer).
    requested_due_on: Mapped[date | None] = mapped_column(sa.Date, nullable=True)
    #: open, done_reported, done, cancelled.
    status: Mapped[ActionStatus] = mapped_column(enum_column(ActionStatus, "action_status"), nullable=False,
                                                 default=ActionStatus.OPEN)
    #: The last progress the owner reported.
    progress: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    #: Order in the minutes, from 0.
    position: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    #: When follow-up started (the minutes were first published with it); None: not yet.
    followed_since: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: When it was confirmed done.
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: When it was recorded.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    minutes: Mapped[Minutes] = relationship(back_populates="actions")
    owner = relationship("Person", lazy="joined", innerjoin=True)
    owner_unit = relationship("Unit", foreign_keys=[owner_unit_id], lazy="joined")
    concerns_unit = relationship("Unit", foreign_keys=[concerns_unit_id], lazy="joined")
    updates: Mapped[list[ActionUpdate]] = relationship(cascade="all, delete-orphan",
                                                       order_by="ActionUpdate.id")
    evidence: Mapped[list[ActionEvidence]] = relationship(cascade="all, delete-orphan",
                                                          order_by="ActionEvidence.id")

    @property
    def is_open(self) -> bool:
        """Not closed: followed up, reminded and chased."""
        return not self.status.is_closed

    def __repr__(self) -> str:
        return f"<ActionItem {self.id} {self.status} due {self.due_on}>"


class ActionUpdate(Model):
    """One entry in an action item's log: progress, a request for more time, done, confirmed."""

    __tablename__ = "action_updates"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The action item.
    action_id: Mapped[int] = mapped_column(sa.ForeignKey("action_items.id", ondelete="CASCADE"), nullable=False,
                                           index=True)
    #: What it records.
    kind: Mapped[UpdateKind] = mapped_column(enum_column(UpdateKind, "action_update_kind"), nullable=False)
    #: What was said.
    text: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    #: The due date asked for or set.
    due_on: Mapped[date | None] = mapped_column(sa.Date, nullable=True)
    #: Who (an email or a name; owners by link have no account).
    author: Mapped[str] = mapped_column(sa.String(254), nullable=False, default="")
    #: When.
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    def __repr__(self) -> str:
        return f"<ActionUpdate {self.action_id} {self.kind}>"


class ActionEvidence(Model):
    """A file the owner attached to show what was done; its bytes are behind a storage reference."""

    __tablename__ = "action_evidence"
    __table_args__ = (sa.CheckConstraint("size > 0", name="size_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The action item.
    action_id: Mapped[int] = mapped_column(sa.ForeignKey("action_items.id", ondelete="CASCADE"), nullable=False,
                                           index=True)
    #: The file's name as uploaded (no path).
    filename: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    #: Its length in bytes.
    size: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    #: Where its bytes are (`meetings.minutes.evidence.store`, in the materials storage). Indexed:
    #: the storage's sweep asks it of every old blob.
    ref: Mapped[str] = mapped_column(sa.String(100), nullable=False, index=True)
    #: Who attached it, and when.
    uploaded_by: Mapped[str] = mapped_column(sa.String(254), nullable=False, default="")
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    def __repr__(self) -> str:
        return f"<ActionEvidence {self.id} {self.filename!r}>"


class MinutesLink(Model):
    """A secret link sent by email to an approver or an action's owner; only the token's SHA-256 is kept."""

    __tablename__ = "minutes_links"
    __table_args__ = (
        sa.CheckConstraint("(purpose = 'approve') = (minutes_id IS NOT NULL)", name="approve_has_minutes"),
        sa.CheckConstraint("(purpose IN ('action', 'confirm')) = (action_id IS NOT NULL)", name="action_has_action"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: SHA-256 of the token, hex.
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True, nullable=False)
    #: approve or action.
    purpose: Mapped[MinutesLinkPurpose] = mapped_column(enum_column(MinutesLinkPurpose, "minutes_link_purpose"),
                                                        nullable=False)
    #: The minutes to approve.
    minutes_id: Mapped[int | None] = mapped_column(sa.ForeignKey("minutes.id", ondelete="CASCADE"), nullable=True,
                                                   index=True)
    #: The action item to report on.
    action_id: Mapped[int | None] = mapped_column(sa.ForeignKey("action_items.id", ondelete="CASCADE"),
                                                  nullable=True, index=True)
    #: Who it was sent to.
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id", ondelete="CASCADE"), nullable=False)
    #: When it was made; it works for `LINK_DAYS` after.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    #: When it was revoked.
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    def __repr__(self) -> str:
        return f"<MinutesLink {self.id} {self.purpose}>"


class MeetingSeries(Model):
    """Meetings copied from one another (the monthly operation meeting)."""

    __tablename__ = "meeting_series"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: When the first copy made it.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class SeriesMeeting(Model):
    """A meeting's place in its series."""

    __tablename__ = "series_meetings"

    #: The meeting.
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True)
    #: Its series.
    series_id: Mapped[int] = mapped_column(sa.ForeignKey("meeting_series.id", ondelete="CASCADE"), nullable=False,
                                           index=True)
    #: The meeting it was copied from (None for the first).
    copied_from_id: Mapped[int | None] = mapped_column(sa.ForeignKey("meetings.id", ondelete="SET NULL"),
                                                       nullable=True)


def _register_references() -> None:
    # Evidence bytes live in the materials storage: its sweep must know they are referenced here.
    from meetings.materials import storage

    storage.holds_references(ActionEvidence.ref)


_register_references()
