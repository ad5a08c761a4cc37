"""Invitations and the capability links sent with them."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from meetings.core.db import UTCDateTime, enum_column, utcnow
from meetings.core.roles import Role
from meetings.directory.models import Person  # noqa: F401  (the relationships name it)
from meetings.extensions import Model
from meetings.scheduling import versions  # noqa: F401  (its session hooks, wherever invitations are used)
from meetings.scheduling.models import Site, SiteKind


class Mode(enum.StrEnum):
    """How a person attends."""

    IN_PERSON = "in_person"
    REMOTE_SITE = "remote_site"
    ONLINE = "online"


class Response(enum.StrEnum):
    """A person's answer; the values are iCalendar PARTSTATs in lower case."""

    NEEDS_ACTION = "needs-action"
    ACCEPTED = "accepted"
    TENTATIVE = "tentative"
    DECLINED = "declined"
    DELEGATED = "delegated"

    @property
    def partstat(self) -> str:
        """The iCalendar PARTSTAT."""
        return self.value.upper()

    @property
    def is_coming(self) -> bool:
        """Whether someone who answered this is still expected: not declined nor handed over.
        Reminders and updates go to them (`Invitation.is_coming`, `Invitation.coming`)."""
        return self not in NOT_COMING


#: The answers of someone no longer expected at the meeting: the one rule, in Python and in SQL.
NOT_COMING = (Response.DECLINED, Response.DELEGATED)


#: SQL: the invitation owes its person a confirmation (the partial index's condition).
CONFIRMATION_OWED = "confirmation_due_at IS NOT NULL"


class Invitation(Model):
    """A person invited to a meeting, in one role, at one site."""

    __tablename__ = "invitations"
    __table_args__ = (
        sa.UniqueConstraint("meeting_id", "person_id", name="uq_invitations_meeting_person"),
        sa.Index("ix_invitations_person", "person_id"),
        # "A confirmation is owed": what the scheduler looks for at every poll, kept small by the condition.
        sa.Index("ix_invitations_confirmation_due", "confirmation_due_at",
                 sqlite_where=sa.text(CONFIRMATION_OWED), postgresql_where=sa.text(CONFIRMATION_OWED)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The meeting.
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meetings.id", ondelete="CASCADE"), nullable=False)
    #: Who is invited.
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id"), nullable=False)
    #: Their part: chair, speaker, site_host, participant, observer.
    role: Mapped[Role] = mapped_column(enum_column(Role, "invitation_role"), nullable=False)
    #: Where they attend; None until a site is chosen (then the main venue is assumed).
    site_id: Mapped[int | None] = mapped_column(sa.ForeignKey("sites.id", ondelete="SET NULL"), nullable=True, index=True)
    #: In person at the main venue, in a remote site's room, or online on their own.
    mode: Mapped[Mode] = mapped_column(enum_column(Mode, "attendance_mode"), nullable=False)
    #: Their answer.
    response: Mapped[Response] = mapped_column(enum_column(Response, "invitation_response"), nullable=False,
                                               default=Response.NEEDS_ACTION)
    #: When they last answered.
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: When the email confirming their answer is due (None: none is owed). The answer sets it, in
    #: its own UPDATE (`invitations.answers`); the scheduler queues the confirmations that have
    #: come due and clears it (`notifications.confirmations`).
    confirmation_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: The invitation of the person they delegated to.
    delegated_to_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("invitations.id", ondelete="SET NULL"), nullable=True)
    #: The invitation of the person who delegated to them.
    delegated_from_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("invitations.id", ondelete="SET NULL"), nullable=True)
    #: SEQUENCE and DTSTAMP of the last calendar REPLY applied (older replies are ignored).
    reply_sequence: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    reply_stamp: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: The meeting SEQUENCE of the last calendar copy sent to them: their replies answer that one.
    sent_sequence: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    #: What their last invite, update or confirmation told them (times, place, slots, agenda),
    #: so the next update says what changed since (meetings.notifications.changes).
    sent_snapshot: Mapped[dict | None] = mapped_column(sa.JSON, nullable=True)
    #: When their first invite was queued (None while the meeting is a draft).
    invited_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: The first check-in (attendance keeps the full log).
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: When the organizer took them off the list (they got a cancellation); the row stays for history.
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: When the invitation was made.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    meeting = relationship("Meeting", lazy="joined", innerjoin=True)
    person = relationship("Person", lazy="joined", innerjoin=True)
    site = relationship("Site", lazy="joined")
    delegated_to: Mapped[Invitation | None] = relationship(
        foreign_keys=[delegated_to_id], remote_side=[id], lazy="select", post_update=True)
    delegated_from: Mapped[Invitation | None] = relationship(
        foreign_keys=[delegated_from_id], remote_side=[id], lazy="select", post_update=True)

    @property
    def venue(self):
        """Where they attend: their site, or the main venue for in-person attendees without one
        (None for online attendees). `attended_site_id` says the same in SQL."""
        if self.site is not None or self.mode != Mode.IN_PERSON:
            return self.site
        return self.meeting.main_site

    @property
    def conference_site(self):
        """The site whose videoconference they join and whose clock their join page shows: their
        venue; online attendees (no venue) join through the main venue's.
        `attended_site_id(..., conference=True)` says the same in SQL."""
        return self.venue or self.meeting.main_site

    @property
    def is_active(self) -> bool:
        """Still on the list (not removed)."""
        return self.removed_at is None

    @property
    def is_coming(self) -> bool:
        """Has not declined or handed their place over: reminders and updates go to them."""
        return self.is_active and self.response.is_coming

    @classmethod
    def coming(cls) -> sa.ColumnElement[bool]:
        """SQL: the answer is one of someone still expected (`Response.is_coming`); whether the
        invitation is still on the list is a condition of its own."""
        return cls.response.not_in(NOT_COMING)

    def __repr__(self) -> str:
        return f"<Invitation {self.id} meeting {self.meeting_id} person {self.person_id} {self.role}>"


#: The main venue's kind as SQL writes it (``'main'``), rendered by its column's type once.
_MAIN_KIND = str(sa.literal(SiteKind.MAIN, Site.__table__.c.kind.type).compile(compile_kwargs={"literal_binds": True}))


def attended_site_id(invitations, *, conference: bool = False):
    """The id of the site where each row of ``invitations`` (the table or an alias) attends, as
    an SQL expression: `Invitation.venue`, or with ``conference`` `Invitation.conference_site`;
    their own site, else the meeting's main venue when it applies, else NULL. The one rule of
    where a person attends, for statements that read it with other things (the RSVP and join
    pages, which look the id up among their meeting's sites: `meetings.scheduling.contentview`).

    One key to look up rather than "their site OR the main venue" (a union of two index searches
    per row on SQLite). The main venue's kind is written into the statement (`_MAIN_KIND`), not
    bound: the main venue is found through a partial index (``uq_sites_one_main``, ``WHERE
    kind = 'main'``), and SQLite prepares a statement again at every execution when a bound value
    decides whether such an index applies, which made a link page's statement several times slower.
    (SQLAlchemy's ``literal_execute`` writes it in too, but at every execution: a fiftieth of a
    link page's CPU.)"""
    main = Site.__table__.alias()
    main_kind = sa.literal_column(_MAIN_KIND, main.c.kind.type)
    main_venue = (sa.select(main.c.id)
                  .where(main.c.meeting_id == invitations.c.meeting_id, main.c.kind == main_kind,
                         *(() if conference else (invitations.c.mode == Mode.IN_PERSON,)))
                  .correlate(invitations).scalar_subquery())
    return sa.func.coalesce(invitations.c.site_id, main_venue)


class LinkPurpose(enum.StrEnum):
    """What a capability link lets its holder do."""

    RSVP = "rsvp"        # answer an invitation
    JOIN = "join"        # a person's own way into the videoconference
    SITE = "site"        # a remote site's room link: join page and roll call
    CHECKIN = "checkin"  # a person's QR code at the main venue
    FEED = "feed"        # a person's calendar of all their meetings


class CapabilityLink(Model):
    """A secret link sent by email. Only the token's SHA-256 is stored.

    A fresh token is made for each email that carries one; all of them work until the link's
    purpose is rotated (every token of that purpose and subject revoked at once) or it expires.
    """

    __tablename__ = "capability_links"
    __table_args__ = (
        sa.CheckConstraint("invitation_id IS NOT NULL OR site_id IS NOT NULL OR person_id IS NOT NULL",
                           name="has_subject"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: SHA-256 of the token, hex.
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True, nullable=False)
    #: rsvp, join, site, checkin or feed.
    purpose: Mapped[LinkPurpose] = mapped_column(enum_column(LinkPurpose, "link_purpose"), nullable=False)
    #: The meeting it belongs to (None for a person's feed).
    meeting_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("meetings.id", ondelete="CASCADE"), nullable=True, index=True)
    #: The invitation it acts for (rsvp, join, checkin).
    invitation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("invitations.id", ondelete="CASCADE"), nullable=True, index=True)
    #: The site it opens (site links).
    site_id: Mapped[int | None] = mapped_column(sa.ForeignKey("sites.id", ondelete="CASCADE"), nullable=True,
                                                index=True)
    #: The person whose calendar it is (feeds).
    person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id", ondelete="CASCADE"), nullable=True,
                                                  index=True)
    #: When it was made.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    #: When it was revoked (rotated); a revoked link is a 404.
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    def __repr__(self) -> str:
        return f"<CapabilityLink {self.id} {self.purpose}>"


class UnappliedReply(Model):
    """A calendar reply read from the organizer mailbox and not applied (its sender is not the
    attendee it answers for, or it breaks another rule): kept for the meeting's organizers to
    see, rather than dropped silently."""

    __tablename__ = "unapplied_replies"
    __table_args__ = (sa.Index("ix_unapplied_replies_meeting", "meeting_id", "received_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The meeting whose UID the reply names.
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meetings.id", ondelete="CASCADE"), nullable=False)
    #: When the mailbox reader took it.
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    #: The message's From (and envelope sender, when it had one), as written.
    sender: Mapped[str] = mapped_column(sa.String(500), nullable=False, default="")
    #: The ATTENDEE the reply answers for.
    attendee: Mapped[str] = mapped_column(sa.String(320), nullable=False, default="")
    #: The answer it carried (PARTSTAT).
    partstat: Mapped[str] = mapped_column(sa.String(40), nullable=False, default="")
    #: Why it was not applied.
    reason: Mapped[str] = mapped_column(sa.String(500), nullable=False, default="")

    def __repr__(self) -> str:
        return f"<UnappliedReply {self.id} meeting {self.meeting_id} {self.attendee} from {self.sender}>"
