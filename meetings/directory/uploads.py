"""Rosters checked on the import page but not yet imported (`PendingRoster`): kept in the
database between the page's two steps, for at most `MAX_AGE`.

Behind the proxy, the check and the confirmation are two requests that may reach two app hosts:
a file on one host's disk was not there for the other. In the database, any host imports it.
A pending roster is read only for the user who uploaded it (another user's id, or a forged one,
is "gone"), once (`claim` deletes it), within `MAX_AGE`. What is never confirmed is deleted by the
scheduler's housekeeping (`remove_expired`); each user keeps at most `MAX_PER_USER` at a time, so
the table stays bounded even where no scheduler runs.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from meetings.core.db import rowcount, utcnow
from meetings.core.errors import InvalidInput
from meetings.directory.models import PENDING_ROSTER_MAX_BYTES, PendingRoster
from meetings.extensions import db

#: How long a checked roster waits for its import.
MAX_AGE = timedelta(hours=1)
#: The largest file kept between the two steps (bytes).
MAX_BYTES = PENDING_ROSTER_MAX_BYTES
#: Checked rosters one user keeps at once (the newest; older ones are dropped by the next check).
MAX_PER_USER = 3


@dataclass(frozen=True)
class Claimed:
    """A pending roster taken for its import."""

    content: bytes
    filename: str
    content_type: str


def _hash(upload_id: str) -> str:
    return hashlib.sha256(upload_id.encode()).hexdigest()


def require_within_bound(content: bytes) -> None:
    """`InvalidInput` (on ``file``) when ``content`` is longer than a pending roster may be."""
    if len(content) > MAX_BYTES:
        raise InvalidInput(_("The file is too large: at most %(num)d MB.", num=MAX_BYTES // (1024 * 1024)), "file")


def keep(user_id: int, content: bytes, filename: str, content_type: str) -> str:
    """Keep a checked roster for its import by ``user_id`` (in the caller's transaction); the
    random id the page sends back. `InvalidInput` (on ``file``) past `MAX_BYTES`."""
    require_within_bound(content)
    newest = (sa.select(PendingRoster.id).where(PendingRoster.user_id == user_id)
              .order_by(PendingRoster.id.desc()).limit(MAX_PER_USER - 1))
    db.session.execute(sa.delete(PendingRoster).where(
        PendingRoster.user_id == user_id,
        sa.or_(PendingRoster.created_at < utcnow() - MAX_AGE, PendingRoster.id.not_in(newest.scalar_subquery())))
        .execution_options(synchronize_session=False))
    upload_id = secrets.token_urlsafe(24)
    db.session.execute(sa.insert(PendingRoster).values(
        token_hash=_hash(upload_id), user_id=user_id, filename=filename[:255], content_type=content_type[:255],
        size=len(content), data=content, created_at=utcnow()))
    return upload_id


def claim(upload_id: str, user_id: int) -> Claimed:
    """Take the pending roster ``upload_id`` of ``user_id`` for its import: deleted in the
    caller's transaction, so two clicks on "Import" import it once (on PostgreSQL the second
    waits for the first's commit, then finds nothing). `InvalidInput` (on ``file``) when there
    is none for this user, or when it has expired."""
    row = db.session.execute(
        sa.delete(PendingRoster).where(PendingRoster.token_hash == _hash(upload_id), PendingRoster.user_id == user_id)
        .returning(PendingRoster.data, PendingRoster.filename, PendingRoster.content_type, PendingRoster.created_at)
        .execution_options(synchronize_session=False)).first()
    if row is None:
        raise InvalidInput(_("That upload is gone; choose the file again."), "file")
    if row.created_at < utcnow() - MAX_AGE:
        raise InvalidInput(_("This checked file has expired: a roster waits %(minutes)d minutes for its import. "
                             "Choose the file again.", minutes=int(MAX_AGE.total_seconds() // 60)), "file")
    return Claimed(bytes(row.data), row.filename, row.content_type)


def remove_expired() -> int:
    """Delete the pending rosters older than `MAX_AGE`; returns how many went."""
    return rowcount(db.session.execute(sa.delete(PendingRoster).where(PendingRoster.created_at < utcnow() - MAX_AGE)
                                       .execution_options(synchronize_session=False)))
