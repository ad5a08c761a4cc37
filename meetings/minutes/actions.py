"""Action items (督办): their rules, and their follow-up by owners (through their link) and by the
organizer or the chair.

Rules: an owner is invited to the meeting or belongs to a unit of the group; a due date is not
before the meeting; only the organizer (or the chair) confirms that an item is done or gives more
time. Every step is logged (`ActionUpdate`) and moves the reminders (`followup`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from meetings.core.db import utcnow
from meetings.core.errors import Conflict, InvalidInput, NotFound
from meetings.core.timezones import localize
from meetings.core.validation import clean_text
from meetings.directory.models import Person, Unit
from meetings.directory.services import require_person_by_email
from meetings.extensions import db
from meetings.invitations.models import Invitation
from meetings.minutes import followup
from meetings.minutes.models import ActionItem, ActionStatus, ActionUpdate, Minutes, UpdateKind
from meetings.scheduling.models import Meeting

#: How far ahead a due date may be, and a progress report's length.
MAX_DUE_DAYS = 3 * 366
MAX_REPORT_CHARS = 5000


def parse_due(value, field: str, meeting: Meeting) -> date:
    """An ISO date (``YYYY-MM-DD``) not before the meeting's day (in its time zone)."""
    if isinstance(value, date) and not isinstance(value, datetime):
        due = value
    else:
        if not isinstance(value, str):
            raise InvalidInput(_("A due date is needed, as YYYY-MM-DD."), field)
        try:
            due = date.fromisoformat(value.strip()[:10])
        except ValueError:
            raise InvalidInput(_("'%(value)s' is not a date (YYYY-MM-DD).", value=value[:40]), field) from None
    meeting_day = localize(meeting.start_at, meeting.timezone).date()
    if due < meeting_day:
        raise InvalidInput(_("The due date %(due)s is before the meeting (%(day)s).", due=due.isoformat(),
                             day=meeting_day.isoformat()), field)
    if due > meeting_day + timedelta(days=MAX_DUE_DAYS):
        raise InvalidInput(_("The due date is too far ahead (at most three years)."), field)
    return due


def _unit(name, field: str) -> Unit | None:
    if name in (None, ""):
        return None
    name = clean_text(name, field, max_length=200)
    unit = db.session.scalar(sa.select(Unit).where(Unit.name == name))
    if unit is None:
        raise InvalidInput(_("No unit named '%(name)s' in the directory.", name=name), field)
    return unit


def check_owner(meeting: Meeting, person: Person, field: str) -> None:
    """`InvalidInput` unless ``person`` is invited to ``meeting`` or belongs to a unit of the group."""
    invited = db.session.scalar(sa.select(Invitation.id).where(
        Invitation.meeting_id == meeting.id, Invitation.person_id == person.id, Invitation.removed_at.is_(None)))
    if invited is None and person.unit_id is None:
        raise InvalidInput(_("%(name)s is neither invited to this meeting nor in a unit of the group: an action's "
                             "owner must be one or the other.", name=person.name), field)


def clean_action(meeting: Meeting, entry: dict, prefix: str, agenda_item: Callable) -> dict:
    """One action of a minutes PUT, checked: title, owner, unit, due date, agenda item."""
    owner = require_person_by_email(entry.get("owner_email"), f"{prefix}.owner_email")
    check_owner(meeting, owner, f"{prefix}.owner_email")
    action_id = entry.get("id")
    if action_id is not None and (isinstance(action_id, bool) or not isinstance(action_id, int)):
        raise InvalidInput(_("Must be an action's id."), f"{prefix}.id")
    return {
        "id": action_id,
        "title": clean_text(entry.get("title"), f"{prefix}.title", required=True, max_length=500),
        "owner": owner,
        "owner_unit": _unit(entry.get("owner_unit"), f"{prefix}.owner_unit"),
        "concerns_unit": _unit(entry.get("unit"), f"{prefix}.unit"),
        "due_on": parse_due(entry.get("due"), f"{prefix}.due", meeting),
        "agenda_item_id": agenda_item(entry.get("agenda_item_id"), f"{prefix}.agenda_item_id"),
    }


def replace_actions(minutes: Minutes, cleaned: list[dict], *, author: str) -> None:
    """Make the minutes' actions what ``cleaned`` says: known ids changed, new ones added, the
    others removed (or cancelled, once their follow-up has started)."""
    by_id = {action.id: action for action in minutes.actions}
    kept = set()
    for position, data in enumerate(cleaned):
        action = by_id.get(data["id"]) if data["id"] is not None else None
        if data["id"] is not None and action is None:
            raise InvalidInput(_("No action %(id)s in these minutes.", id=data["id"]), f"actions.{position}.id")
        if action is None:
            action = ActionItem(meeting_id=minutes.meeting_id, status=ActionStatus.OPEN, progress="",
                                created_at=utcnow())
            minutes.actions.append(action)
        elif action.due_on != data["due_on"] and action.followed_since is not None:
            action.updates.append(ActionUpdate(kind=UpdateKind.DUE_CHANGED, due_on=data["due_on"], author=author))
        action.title, action.owner, action.owner_person_id = data["title"], data["owner"], data["owner"].id
        action.owner_unit_id = data["owner_unit"].id if data["owner_unit"] else None
        action.concerns_unit_id = data["concerns_unit"].id if data["concerns_unit"] else None
        action.agenda_item_id, action.position = data["agenda_item_id"], position
        if action.due_on != data["due_on"]:
            action.due_on = data["due_on"]
            if action.followed_since is not None:
                followup.due_moved(action)
        kept.add(action.id)
    for action in list(minutes.actions):
        if action.id is not None and action.id not in kept and action in by_id.values():
            if action.followed_since is None:
                minutes.actions.remove(action)
            elif action.is_open:
                _close(action, ActionStatus.CANCELLED, UpdateKind.CANCELLED, author, "")


def _log(action: ActionItem, kind: UpdateKind, author: str, text: str = "", due_on: date | None = None) -> None:
    action.updates.append(ActionUpdate(kind=kind, text=text, due_on=due_on, author=author[:254], at=utcnow()))


def _close(action: ActionItem, status: ActionStatus, kind: UpdateKind, author: str, text: str) -> None:
    action.status = status
    action.done_at = utcnow() if status == ActionStatus.DONE else None
    action.requested_due_on = None
    _log(action, kind, author, text)
    followup.stop(action)


def _require_open(action: ActionItem) -> None:
    if not action.is_open:
        raise Conflict(_("This action is closed (%(status)s).", status=action.status.value))


def report(action: ActionItem, what: str, *, text: str = "", due=None, author: str) -> ActionItem:
    """What an owner does through their link: ``progress`` (a report), ``extend`` (ask for a later
    due date, which the organizer approves) or ``done`` (which the organizer or chair confirms)."""
    _require_open(action)
    text = clean_text(text, "text", max_length=MAX_REPORT_CHARS, multiline=True)
    meeting = action.minutes.meeting
    if what == "progress":
        if not text:
            raise InvalidInput(_("Say what progress was made."), "text")
        action.progress = text
        _log(action, UpdateKind.PROGRESS, author, text)
    elif what == "extend":
        wanted = parse_due(due, "due", meeting)
        if wanted <= action.due_on:
            raise InvalidInput(_("Ask for a day after the current due date (%(due)s).",
                                 due=action.due_on.isoformat()), "due")
        action.requested_due_on = wanted
        _log(action, UpdateKind.EXTENSION_REQUESTED, author, text, wanted)
    elif what == "done":
        if action.status == ActionStatus.DONE_REPORTED:
            raise Conflict(_("Already reported done: waiting for the organizer's confirmation."))
        action.status = ActionStatus.DONE_REPORTED
        if text:
            action.progress = text
        _log(action, UpdateKind.DONE_REPORTED, author, text)
        _ask_the_chair(action)
    else:
        raise InvalidInput(_("Unknown step."), "do")
    db.session.flush()
    return action


def chair_person_id(meeting: Meeting) -> int | None:
    """The person who chairs ``meeting`` (the first invited as chair), if any."""
    from meetings.core.roles import Role

    return db.session.scalar(sa.select(Invitation.person_id).where(
        Invitation.meeting_id == meeting.id, Invitation.role == Role.CHAIR, Invitation.removed_at.is_(None))
        .order_by(Invitation.id).limit(1))


def _ask_the_chair(action: ActionItem) -> None:
    """The chair gets a link to confirm (the organizer may confirm on the actions page instead)."""
    from meetings.outbox import services as outbox

    chair = chair_person_id(action.minutes.meeting)
    if chair is None:
        return
    db.session.flush()
    reports = sum(1 for update in action.updates if update.kind == UpdateKind.DONE_REPORTED)
    outbox.enqueue(f"action_done:{action.id}:{reports}", "action_done", meeting_id=action.meeting_id,
                   person_id=chair, payload={"action_id": action.id})


def decide_extension(action: ActionItem, approve: bool, *, author: str) -> ActionItem:
    """The organizer gives (or refuses) the later due date the owner asked for."""
    _require_open(action)
    if action.requested_due_on is None:
        raise Conflict(_("No one asked for more time on this action."))
    if approve:
        action.due_on = action.requested_due_on
        _log(action, UpdateKind.EXTENSION_APPROVED, author, "", action.due_on)
        followup.due_moved(action)
    else:
        _log(action, UpdateKind.EXTENSION_REFUSED, author, "", action.requested_due_on)
    action.requested_due_on = None
    db.session.flush()
    return action


def update(action: ActionItem, data: dict, *, author: str) -> ActionItem:
    """The organizer's changes (the API's PATCH): ``status`` (``done`` confirms, ``open`` reopens,
    ``cancelled`` drops), ``progress`` (a note in the log), ``due`` (a new due date, which also
    settles a request for one), ``extension`` (``approve`` or ``refuse``)."""
    meeting = action.minutes.meeting
    if "due" in data:
        due = parse_due(data["due"], "due", meeting)
        _require_open(action)
        if due != action.due_on:
            action.due_on = due
            _log(action, UpdateKind.DUE_CHANGED, author, "", due)
            followup.due_moved(action)
        action.requested_due_on = None
    if data.get("extension") is not None:
        if data["extension"] not in ("approve", "refuse"):
            raise InvalidInput(_("Say approve or refuse."), "extension")
        decide_extension(action, data["extension"] == "approve", author=author)
    if data.get("progress") is not None:
        _require_open(action)
        text = clean_text(data["progress"], "progress", required=True, max_length=MAX_REPORT_CHARS, multiline=True)
        action.progress = text
        _log(action, UpdateKind.PROGRESS, author, text)
    status = data.get("status")
    if status is not None:
        if status == "done":
            _require_open(action)
            _close(action, ActionStatus.DONE, UpdateKind.DONE_CONFIRMED, author, "")
        elif status == "cancelled":
            _require_open(action)
            _close(action, ActionStatus.CANCELLED, UpdateKind.CANCELLED, author, "")
        elif status == "open":
            if action.status == ActionStatus.OPEN:
                pass
            else:
                action.status, action.done_at = ActionStatus.OPEN, None
                _log(action, UpdateKind.REOPENED, author)
                if action.followed_since is not None:
                    followup.due_moved(action)
        else:
            raise InvalidInput(_("The status is open, done or cancelled."), "status")
    db.session.flush()
    return action


def confirm_done(action: ActionItem, *, author: str) -> ActionItem:
    """The organizer or the chair confirms an action is done; its reminders stop."""
    return update(action, {"status": "done"}, author=author)


# --- finding actions ----------------------------------------------------------------------------

def get_action_for(user, action_id: int) -> ActionItem:
    """The action if ``user`` may manage its meeting; `NotFound` otherwise (the same for both)."""
    from meetings.scheduling.services import visible_meetings

    action = db.session.scalar(sa.select(ActionItem).where(
        ActionItem.id == action_id, ActionItem.meeting_id.in_(visible_meetings(user).with_only_columns(Meeting.id))))
    if action is None:
        raise NotFound(_("No action with id %(id)s.", id=action_id))
    return action


def due_end(action: ActionItem) -> datetime:
    """The end of the due day in the meeting's time zone, UTC: after it, the action is overdue."""
    from meetings.core.timezones import to_utc

    day_after = datetime.combine(action.due_on + timedelta(days=1), datetime.min.time())
    return to_utc(day_after, action.minutes.meeting.timezone, "due")


def is_overdue(action: ActionItem, now: datetime | None = None) -> bool:
    """Open and past its due day."""
    return action.is_open and (now or utcnow()) >= due_end(action)


def list_actions(user, query: dict) -> list[ActionItem]:
    """Actions of the meetings ``user`` may see, filtered by ``status`` (open: not closed), owner
    email, unit name (owning or concerned), meeting id, ``overdue``; by due date."""
    from meetings.scheduling.services import visible_meetings

    statement = (sa.select(ActionItem).join(Minutes, Minutes.id == ActionItem.minutes_id)
                 .where(ActionItem.meeting_id.in_(visible_meetings(user).with_only_columns(Meeting.id)),
                        ActionItem.followed_since.is_not(None) if query.get("published_only") else sa.true()))
    status = query.get("status")
    if status == "open":
        statement = statement.where(ActionItem.status.in_([ActionStatus.OPEN, ActionStatus.DONE_REPORTED]))
    elif status:
        statement = statement.where(ActionItem.status == status)
    if query.get("owner"):
        statement = statement.join(Person, Person.id == ActionItem.owner_person_id).where(
            Person.email == query["owner"].strip().lower())
    if query.get("unit"):
        unit_ids = sa.select(Unit.id).where(Unit.name == query["unit"].strip())
        statement = statement.where(sa.or_(ActionItem.owner_unit_id.in_(unit_ids),
                                           ActionItem.concerns_unit_id.in_(unit_ids),
                                           ActionItem.owner_person_id.in_(
                                               sa.select(Person.id).where(Person.unit_id.in_(unit_ids)))))
    if query.get("meeting"):
        statement = statement.where(ActionItem.meeting_id == query["meeting"])
    actions = list(db.session.scalars(statement.order_by(ActionItem.due_on, ActionItem.id).limit(5000)))
    if query.get("overdue"):
        now = utcnow()
        actions = [action for action in actions if is_overdue(action, now)]
    return actions
