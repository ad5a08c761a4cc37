"""Capability links of the minutes: the chair's approval link and each owner's action link.

The same rules as the invitations' links (DESIGN.md "Capability links"): a random token of which
only the SHA-256 is stored, one purpose, an expiry, a fresh token per email; GET shows, POST acts.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from meetings.core.db import utcnow
from meetings.core.tokens import hash_token, new_token, plausible_token
from meetings.core.urls import token_url
from meetings.extensions import db
from meetings.minutes.models import MinutesLink, MinutesLinkPurpose

#: How long a link works after it was sent.
LIFETIME = {MinutesLinkPurpose.APPROVE: timedelta(days=30), MinutesLinkPurpose.ACTION: timedelta(days=400),
            MinutesLinkPurpose.CONFIRM: timedelta(days=30)}
ENDPOINTS = {MinutesLinkPurpose.APPROVE: "minutes_links.approve_page",
             MinutesLinkPurpose.ACTION: "minutes_links.action_page",
             MinutesLinkPurpose.CONFIRM: "minutes_links.confirm_page"}


def mint(purpose: MinutesLinkPurpose, *, person_id: int, minutes_id: int | None = None,
         action_id: int | None = None) -> str:
    """A new token for ``purpose``; its row is written at once (in the caller's transaction)."""
    raw, digest = new_token()
    db.session.add(MinutesLink(token_hash=digest, purpose=purpose, person_id=person_id, minutes_id=minutes_id,
                               action_id=action_id, created_at=utcnow()))
    return raw


def url(purpose: MinutesLinkPurpose, raw: str) -> str:
    """The absolute URL of a link, from BASE_URL."""
    return token_url(ENDPOINTS[purpose], raw)


def resolve(raw: str | None, purpose: MinutesLinkPurpose) -> MinutesLink | None:
    """The live link behind ``raw`` with ``purpose``; None for anything else (shown as a 404)."""
    if not plausible_token(raw):
        return None
    link = db.session.scalar(sa.select(MinutesLink).where(
        MinutesLink.token_hash == hash_token(raw), MinutesLink.purpose == purpose, MinutesLink.revoked_at.is_(None)))
    if link is None or utcnow() >= link.created_at + LIFETIME[purpose]:
        return None
    return link
