"""The audit log: who changed, published, cancelled or exported what, and when.

Services record their own actions (one place for each, whichever page or API call led there);
the actor is whoever the current request is signed in as, by session or API token.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import g, has_request_context
from flask_login import current_user

from meetings.accounts.models import AuditEvent, User
from meetings.extensions import db


def acting_user() -> User | None:
    """The user behind the current request, if any."""
    if not has_request_context():
        return None
    user = g.get("api_user")
    if user is None and g.get("api_caller") is not None:  # an API request (meetings.accounts.auth)
        user = g.api_user = db.session.get(User, g.api_caller.id)
    if user is None and current_user and current_user.is_authenticated:
        user = current_user._get_current_object()
    return user


def record(action: str, *, meeting=None, **details) -> None:
    """Note ``action`` in the audit log, in the current transaction."""
    db.session.add(entry(action, meeting=meeting, **details))


def entry(action: str, *, meeting=None, **details) -> AuditEvent:
    """The event `record` adds, made now (who, which request) but not added: for an action that is
    only done later, a streamed export, which adds it once it has been produced."""
    user = acting_user()
    if meeting is not None:
        details.setdefault("meeting", getattr(meeting, "title", None))
    return AuditEvent(
        action=action, user_id=user.id if user else None, actor=user.email if user else "",
        meeting_id=getattr(meeting, "id", None), details=_plain(details),
        request_id=g.get("request_id") if has_request_context() else None)


def _plain(value):
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(v) for v in sorted(value, key=str)] if isinstance(value, (set, frozenset)) else \
            [_plain(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def events(*, meeting_id: int | None = None, action: str | None = None, user_id: int | None = None,
           limit: int = 200, before_id: int | None = None) -> list[AuditEvent]:
    """The latest events, newest first, filtered."""
    query = sa.select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if meeting_id is not None:
        query = query.where(AuditEvent.meeting_id == meeting_id)
    if action:
        query = query.where(AuditEvent.action.startswith(action))
    if user_id is not None:
        query = query.where(AuditEvent.user_id == user_id)
    if before_id is not None:
        query = query.where(AuditEvent.id < before_id)
    return list(db.session.scalars(query))
