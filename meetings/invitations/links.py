"""Capability links: make, resolve, revoke. One place for how links live and die.

Every email that carries a link gets a fresh token; all tokens of a purpose and subject stay
valid until the organizer rotates them or the link expires. Meeting links expire a while after
the meeting ends (``LINK_GRACE_HOURS`` for join, site and check-in links; RSVP links at the end),
computed from the meeting's current end, so moving a meeting moves its links' lives too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from meetings.core.db import rowcount, utcnow
from meetings.core.tokens import hash_token, new_token, plausible_token
from meetings.core.urls import token_url
from meetings.extensions import db
from meetings.invitations.models import CapabilityLink, LinkPurpose
from meetings.scheduling.models import Meeting

#: The page each purpose opens.
ENDPOINTS = {
    LinkPurpose.RSVP: "invitations.rsvp_page",
    LinkPurpose.JOIN: "conferencing.join_page",
    LinkPurpose.SITE: "conferencing.join_page",
    LinkPurpose.CHECKIN: "attendance.checkin_page",
    LinkPurpose.FEED: "invitations.feed",
}


@dataclass
class PendingLinks:
    """Links made while rendering a batch of emails, inserted together."""

    rows: list[dict]

    def __init__(self):
        self.rows = []

    def mint(self, purpose: LinkPurpose, *, meeting_id=None, invitation_id=None, site_id=None,
             person_id=None) -> str:
        """A new token for ``purpose``; the link row is written by `flush`."""
        raw, digest = new_token()
        self.rows.append({"token_hash": digest, "purpose": purpose, "meeting_id": meeting_id,
                          "invitation_id": invitation_id, "site_id": site_id, "person_id": person_id,
                          "created_at": utcnow()})
        return raw

    def flush(self) -> None:
        """Write every link made so far."""
        if self.rows:
            # The table, not the entity: a plain executemany, without the ORM's bulk machinery.
            db.session.execute(sa.insert(CapabilityLink.__table__), self.rows)
            self.rows = []


def mint(purpose: LinkPurpose, **subject) -> str:
    """A new token for ``purpose`` and its subject (``meeting_id``, ``invitation_id``, ``site_id``,
    ``person_id``), written at once."""
    pending = PendingLinks()
    raw = pending.mint(purpose, **subject)
    pending.flush()
    return raw


def link_url(purpose: LinkPurpose, raw: str) -> str:
    """The absolute URL of a link, from BASE_URL."""
    return token_url(ENDPOINTS[purpose], raw)


def roll_call_url(raw: str) -> str:
    """The absolute URL of a site link's roll-call page (the site host's list), from BASE_URL."""
    return token_url("conferencing.roll_call_page", raw)


def _grace(purpose: LinkPurpose) -> timedelta | None:
    """How long after its meeting's end a link of ``purpose`` still works (None: it never stops).
    The one rule of expiry: `expires_at`, `is_expired` and `expiry_cutoff` follow it."""
    if purpose == LinkPurpose.FEED:
        return None
    if purpose == LinkPurpose.RSVP:
        return timedelta(0)  # answers close when the meeting ends
    return timedelta(hours=current_app.config["LINK_GRACE_HOURS"])


def expires_at(purpose: LinkPurpose, meeting_end: datetime | None) -> datetime | None:
    """When a link of ``purpose`` stops working, given the meeting's end (None: never)."""
    grace = _grace(purpose)
    return None if grace is None or meeting_end is None else meeting_end + grace


def live_conditions(token_hash, *purposes: LinkPurpose) -> list:
    """SQL conditions on `CapabilityLink` that hold for the unrevoked link whose hash is
    ``token_hash`` (a value, or a bind parameter of a prebuilt statement) with one of
    ``purposes``. Check `is_expired` on what they find; `resolve` does both. Pages that load
    more with the link in the same statement use them (the join page)."""
    # OR rather than IN: a prebuilt statement then needs no rewriting at each execution.
    return [CapabilityLink.token_hash == token_hash, CapabilityLink.revoked_at.is_(None),
            sa.or_(*(CapabilityLink.purpose == purpose for purpose in purposes))]


def is_expired(purpose: LinkPurpose, meeting_end: datetime | None, now: datetime | None = None) -> bool:
    """Whether a link of ``purpose`` has stopped working, given its meeting's current end."""
    cutoff = expiry_cutoff(purpose, now)
    return cutoff is not None and meeting_end is not None and meeting_end <= cutoff


def expiry_cutoff(purpose: LinkPurpose, now: datetime | None = None) -> datetime | None:
    """`expires_at` turned around, for a statement that acts through a link without reading it
    first (`meetings.invitations.answers`): at ``now``, a link of ``purpose`` works while its
    meeting ends after this (None: it never stops)."""
    grace = _grace(purpose)
    return None if grace is None else (now or utcnow()) - grace


def resolve(raw: str | None, *purposes: LinkPurpose) -> CapabilityLink | None:
    """The live link behind ``raw`` if it has one of ``purposes``; None for anything else.

    Unknown, revoked, expired and wrong-purpose tokens look the same to the caller (a 404).
    """
    if not plausible_token(raw):
        return None
    row = db.session.execute(
        sa.select(CapabilityLink, Meeting.end_at)
        .outerjoin(Meeting, Meeting.id == CapabilityLink.meeting_id)
        .where(*live_conditions(hash_token(raw), *purposes))
    ).first()
    if row is None:
        return None
    link, meeting_end = row
    if is_expired(link.purpose, meeting_end):
        return None
    return link


def revoke(purpose: LinkPurpose, **subject) -> int:
    """Revoke every live link of ``purpose`` for a subject (``site_id=...``, ``invitation_id=...``,
    ``person_id=...``, ``meeting_id=...``); returns how many."""
    if not subject:
        raise ValueError("revoke needs a subject")
    conditions = [getattr(CapabilityLink, name) == value for name, value in subject.items()]
    result = db.session.execute(
        sa.update(CapabilityLink)
        .where(CapabilityLink.purpose == purpose, CapabilityLink.revoked_at.is_(None), *conditions)
        .values(revoked_at=utcnow())
    )
    return rowcount(result) or 0


@dataclass(frozen=True)
class IssuedLinks:
    """The links of one purpose and subject a meeting has sent out (one per email)."""

    purpose: LinkPurpose
    invitation_id: int | None
    site_id: int | None
    holder: str
    issued: int
    live: int
    last_issued_at: datetime
    expires_at: datetime | None


def issued_links(meeting: Meeting) -> list[IssuedLinks]:
    """Every link the meeting has issued, grouped by purpose and subject (person or site), with
    how many are still live: what an organizer reviews and revokes."""
    from meetings.directory.models import Person
    from meetings.invitations.models import Invitation
    from meetings.scheduling.models import Site

    live = sa.func.sum(sa.case((CapabilityLink.revoked_at.is_(None), 1), else_=0))
    rows = db.session.execute(
        sa.select(CapabilityLink.purpose, CapabilityLink.invitation_id, CapabilityLink.site_id,
                  sa.func.coalesce(Person.name, Site.name), sa.func.count(), live,
                  sa.func.max(CapabilityLink.created_at))
        .outerjoin(Invitation, Invitation.id == CapabilityLink.invitation_id)
        .outerjoin(Person, Person.id == Invitation.person_id)
        .outerjoin(Site, Site.id == CapabilityLink.site_id)
        .where(CapabilityLink.meeting_id == meeting.id)
        .group_by(CapabilityLink.purpose, CapabilityLink.invitation_id, CapabilityLink.site_id, Person.name,
                  Site.name)
        .order_by(CapabilityLink.purpose, sa.func.coalesce(Person.name, Site.name)))
    return [IssuedLinks(LinkPurpose(purpose), invitation_id, site_id, holder or "", issued, int(live or 0), last,
                        expires_at(LinkPurpose(purpose), meeting.end_at))
            for purpose, invitation_id, site_id, holder, issued, live, last in rows]


def revoke_for(meeting: Meeting, purpose, *, invitation_id: int | None = None, site_id: int | None = None) -> int:
    """Revoke every link of ``purpose`` the meeting issued to one person or site; returns how many.

    `InvalidInput` for a purpose or subject the meeting has no links of.
    """
    from meetings.accounts import audit
    from meetings.core.errors import InvalidInput

    try:
        purpose = LinkPurpose(purpose)
    except ValueError:
        raise InvalidInput("Unknown kind of link.", "purpose") from None
    if (invitation_id is None) == (site_id is None):
        raise InvalidInput("Say whose links: an invitation_id or a site_id.", "invitation_id")
    subject = {"invitation_id": invitation_id} if invitation_id is not None else {"site_id": site_id}
    count = revoke(purpose, meeting_id=meeting.id, **subject)
    audit.record("links.revoked", meeting=meeting, purpose=purpose.value, count=count, **subject)
    return count
