"""Reminders before an action's due date and weekly chasers once it is overdue, as outbox rows.

Each is keyed by the action, its due date and (for chasers) the week, so it is written once and
sent once whatever runs it (the outbox's unique key and claim guarantee the rest, also across a
scheduler killed mid-batch). A new due date makes new keys and cancels the old rows; closing an
action cancels its waiting rows (and their renderer skips a row whose action has closed since).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

import sqlalchemy as sa

from meetings.core.db import utcnow
from meetings.core.timezones import to_utc
from meetings.extensions import db
from meetings.minutes.models import ActionItem, ActionStatus
from meetings.outbox import services as outbox
from meetings.outbox.models import OutboxMessage

REMINDER_KIND = "action_reminder"
CHASER_KIND = "action_chase"
#: The reminder goes this many days before the due day, at this local hour (the meeting's zone).
REMINDER_DAYS_BEFORE = 2
LOCAL_HOUR = 9
#: Chasers: the day after the due day at the local hour, then every this many days until closed.
CHASE_EVERY_DAYS = 7
#: Actions looked at per housekeeping run (the oldest due first).
CHASE_BATCH = 2000


def _local(action: ActionItem, day) -> datetime:
    return to_utc(datetime.combine(day, time(LOCAL_HOUR)), action.minutes.meeting.timezone, "due")


def reminder_at(action: ActionItem) -> datetime:
    """When the reminder before the due date goes."""
    return _local(action, action.due_on - timedelta(days=REMINDER_DAYS_BEFORE))


def first_chase_at(action: ActionItem) -> datetime:
    """When the first chaser goes: the morning after the due day."""
    return _local(action, action.due_on + timedelta(days=1))


def reminder_key(action: ActionItem) -> str:
    """The reminder's outbox key: one per action and due date."""
    return f"{REMINDER_KIND}:{action.id}:{action.due_on.isoformat()}"


def chaser_key(action: ActionItem, week: int) -> str:
    """A chaser's outbox key: one per action, due date and week overdue (from 0)."""
    return f"{CHASER_KIND}:{action.id}:{action.due_on.isoformat()}:{week}"


def _schedule_reminder(action: ActionItem, now: datetime) -> None:
    if action.status != ActionStatus.OPEN or now >= first_chase_at(action) - timedelta(days=1):
        return  # due today or past: the chasers take over
    outbox.enqueue(reminder_key(action), REMINDER_KIND, due_at=max(reminder_at(action), now),
                   meeting_id=action.meeting_id, person_id=action.owner_person_id,
                   payload={"action_id": action.id, "due": action.due_on.isoformat()})


def start(minutes, now: datetime) -> None:
    """Start following up the minutes' open actions that are not followed yet (first publication
    of each): their reminder is queued."""
    db.session.flush()
    for action in minutes.actions:
        if action.is_open and action.followed_since is None:
            action.followed_since = now
            _schedule_reminder(action, now)
    db.session.flush()


def _waiting(action_id: int):
    return sa.or_(OutboxMessage.key.like(f"{REMINDER_KIND}:{action_id}:%"),
                  OutboxMessage.key.like(f"{CHASER_KIND}:{action_id}:%"))


def stop(action: ActionItem) -> int:
    """Cancel the action's waiting reminders and chasers (it is closed)."""
    if action.id is None:
        return 0
    return outbox.cancel_pending(_waiting(action.id), reason="action closed")


def due_moved(action: ActionItem) -> None:
    """The due date changed (or the action reopened): the old rows go, a new reminder comes."""
    stop(action)
    if action.followed_since is not None:
        db.session.flush()
        _schedule_reminder(action, utcnow())


def chase_due(now: datetime | None = None) -> int:
    """Queue this week's chaser of every open, overdue action (the housekeeping job); returns how
    many rows it offered (rows already written are left as they are)."""
    now = now or utcnow()
    candidates = db.session.scalars(
        sa.select(ActionItem).where(ActionItem.status == ActionStatus.OPEN, ActionItem.followed_since.is_not(None),
                                    ActionItem.due_on < (now + timedelta(days=1)).date())
        .order_by(ActionItem.due_on, ActionItem.id).limit(CHASE_BATCH))
    rows = []
    for action in candidates:
        first = first_chase_at(action)
        if now < first:
            continue
        week = (now - first) // timedelta(days=CHASE_EVERY_DAYS)
        rows.append({"key": chaser_key(action, week), "kind": CHASER_KIND,
                     "due_at": first + timedelta(days=CHASE_EVERY_DAYS * week), "meeting_id": action.meeting_id,
                     "person_id": action.owner_person_id,
                     "payload": {"action_id": action.id, "due": action.due_on.isoformat(), "week": week}})
    outbox.enqueue_many(rows)
    return len(rows)


def register_jobs(app) -> None:
    """The scheduler computes due chasers every ``ACTION_CHASE_SECONDS`` (five minutes by default)."""
    from meetings.outbox.scheduler import register_housekeeping

    register_housekeeping("chase_overdue_actions", chase_due, app.config.get("ACTION_CHASE_SECONDS", 300))
