"""The minutes of a meeting: their content, who approves them, and their life from draft to
published versions.

Services never commit; they raise the domain's errors (`meetings.core.errors`) with the field at
fault. A published version is never edited in place: a correction reopens the minutes as a draft,
and publishing again freezes a new version with what changed.
"""

from __future__ import annotations

from typing import Literal, overload

import sqlalchemy as sa
from flask_babel import gettext as _

from meetings.accounts import audit
from meetings.accounts.models import User
from meetings.core.db import utcnow
from meetings.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from meetings.core.roles import Role
from meetings.core.validation import clean_email, clean_text
from meetings.extensions import db
from meetings.invitations.models import Invitation
from meetings.minutes import actions as action_rules
from meetings.minutes import followup, snapshot
from meetings.minutes.models import Decision, Minutes, MinutesNote, MinutesState, MinutesVersion, NotesRevision
from meetings.outbox import services as outbox
from meetings.scheduling.models import Meeting

#: Bounds on one PUT: notes, decisions and actions each, and one note's length.
MAX_ENTRIES = 200
MAX_NOTE_CHARS = 20000
AUDIENCES = ("invited", "attended")
#: Saves of the notes by one author within this many seconds of a revision's first save amend it
#: (the editor autosaves every few seconds); the history keeps the last `REVISIONS_KEPT`.
COALESCE_SECONDS = 60
REVISIONS_KEPT = 100


def blank(meeting: Meeting) -> Minutes:
    """Empty draft minutes of ``meeting``, not stored (what reading them shows before anyone writes)."""
    return Minutes(meeting_id=meeting.id, meeting=meeting, state=MinutesState.DRAFT, version=0, audience="invited",
                   submissions=0, correction_reason="", updated_at=utcnow())


@overload
def minutes_of(meeting: Meeting, *, create: Literal[True] = True) -> Minutes: ...
@overload
def minutes_of(meeting: Meeting, *, create: bool) -> Minutes | None: ...
def minutes_of(meeting: Meeting, *, create: bool = True) -> Minutes | None:
    """The meeting's minutes, made (as an empty draft) the first time they are asked for."""
    minutes = db.session.scalar(sa.select(Minutes).where(Minutes.meeting_id == meeting.id))
    if minutes is None and create:
        minutes = blank(meeting)
        db.session.add(minutes)
        db.session.flush()
    return minutes


def _agenda_item_id(meeting: Meeting, value, field: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value not in {i.id for i in meeting.agenda_items}:
        raise InvalidInput(_("No agenda item %(id)s in this meeting.", id=value), field)
    return value


def _entries(data: dict, name: str) -> list:
    entries = data.get(name) or []
    if not isinstance(entries, list):
        raise InvalidInput(_("Must be a list."), name)
    if len(entries) > MAX_ENTRIES:
        raise InvalidInput(_("At most %(num)d entries.", num=MAX_ENTRIES), name)
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise InvalidInput(_("Must be an object."), f"{name}.{index}")
    return entries


def require_draft(minutes: Minutes) -> None:
    """`Conflict` unless the minutes may be edited: a published version is never edited in place."""
    if minutes.state == MinutesState.PUBLISHED:
        raise Conflict(_("These minutes are published (version %(version)s) and are never changed in place: "
                         "reopen them for a correction, which becomes a new version.", version=minutes.version))
    if minutes.state != MinutesState.DRAFT:
        raise Conflict(_("These minutes are waiting for approval or approved: reopen them to edit."))


def save_content(minutes: Minutes, data: dict, *, author: str) -> Minutes:
    """Replace the notes, decisions and actions with ``data`` (the API's shape). Actions sent with
    their ``id`` are changed in place; actions left out are removed (or cancelled, when followed up)."""
    require_draft(minutes)
    meeting = minutes.meeting
    notes = {}
    for index, entry in enumerate(_entries(data, "notes")):
        item_id = _agenda_item_id(meeting, entry.get("agenda_item_id"), f"notes.{index}.agenda_item_id")
        text = clean_text(entry.get("text"), f"notes.{index}.text", max_length=MAX_NOTE_CHARS, multiline=True)
        if item_id in notes:
            raise InvalidInput(_("Two notes for the same agenda item."), f"notes.{index}.agenda_item_id")
        notes[item_id] = text
    decisions = []
    for index, entry in enumerate(_entries(data, "decisions")):
        text = clean_text(entry.get("text"), f"decisions.{index}.text", required=True, max_length=5000,
                          multiline=True)
        decisions.append((text, _agenda_item_id(meeting, entry.get("agenda_item_id"),
                                                f"decisions.{index}.agenda_item_id")))
    actions = [action_rules.clean_action(meeting, entry, f"actions.{index}",
                                         lambda value, field: _agenda_item_id(meeting, value, field))
               for index, entry in enumerate(_entries(data, "actions"))]

    existing = {note.agenda_item_id: note for note in minutes.notes}
    notes_changed = {item_id: note.text for item_id, note in existing.items()} != notes
    for item_id, note in list(existing.items()):
        if item_id not in notes:
            minutes.notes.remove(note)
    for item_id, text in notes.items():
        if item_id in existing:
            existing[item_id].text = text
        else:
            minutes.notes.append(MinutesNote(agenda_item_id=item_id, text=text))
    minutes.decisions.clear()
    db.session.flush()  # the old decisions go before the new ones come
    for position, (text, item_id) in enumerate(decisions):
        minutes.decisions.append(Decision(text=text, agenda_item_id=item_id, position=position))
    action_rules.replace_actions(minutes, actions, author=author)
    minutes.updated_at = utcnow()
    db.session.flush()
    if notes_changed:
        _keep_revision(minutes, [{"agenda_item_id": item_id, "text": text} for item_id, text in notes.items()],
                       author=author)
    return minutes


def _keep_revision(minutes: Minutes, notes: list[dict], *, author: str) -> None:
    """Record the notes as this save left them, when they changed: a new revision, or the
    author's own latest one amended when it began less than `COALESCE_SECONDS` ago; then drop
    what is past the last `REVISIONS_KEPT`."""
    latest = db.session.scalar(sa.select(NotesRevision).where(NotesRevision.minutes_id == minutes.id)
                               .order_by(NotesRevision.number.desc()).limit(1))
    if latest is not None and latest.notes == notes:
        return
    if latest is None and not any(note["text"] for note in notes):
        return  # nothing written yet: no history to keep
    now = utcnow()
    if latest is not None and latest.author == author and (now - latest.created_at).total_seconds() < COALESCE_SECONDS:
        latest.notes, latest.saved_at = notes, now
    else:
        number = latest.number + 1 if latest is not None else 1
        db.session.add(NotesRevision(minutes_id=minutes.id, number=number, notes=notes, author=author[:254],
                                     created_at=now, saved_at=now))
        db.session.execute(sa.delete(NotesRevision).where(NotesRevision.minutes_id == minutes.id,
                                                          NotesRevision.number <= number - REVISIONS_KEPT))
    db.session.flush()


def revisions(minutes: Minutes | None) -> list[NotesRevision]:
    """The kept revisions of the notes, newest first."""
    if minutes is None or minutes.id is None:
        return []
    return list(db.session.scalars(sa.select(NotesRevision).where(NotesRevision.minutes_id == minutes.id)
                                   .order_by(NotesRevision.number.desc())))


def revision(minutes: Minutes | None, number: int | None) -> NotesRevision:
    """Revision ``number`` of the notes; `NotFound` when it is not kept (or never was)."""
    found = None
    if minutes is not None and minutes.id is not None and number is not None:
        found = db.session.scalar(sa.select(NotesRevision).where(NotesRevision.minutes_id == minutes.id,
                                                                 NotesRevision.number == number))
    if found is None:
        raise NotFound(_("No such revision of the notes."))
    return found


# --- who approves -------------------------------------------------------------------------------

def chair_of(meeting: Meeting) -> Invitation | None:
    """The meeting's chair (the first one invited, if several)."""
    return db.session.scalar(sa.select(Invitation).where(
        Invitation.meeting_id == meeting.id, Invitation.role == Role.CHAIR, Invitation.removed_at.is_(None))
        .order_by(Invitation.id).limit(1))


def set_approver(minutes: Minutes, approver: str, *, user) -> Minutes:
    """Name who approves: ``owner`` (the default), ``chair``, or an organizer's email. Only the
    meeting's owner (or an admin) names the approver."""
    meeting = minutes.meeting
    if not (user.is_admin or user.id == meeting.owner_id):
        raise Forbidden(_("Only the meeting's owner names who approves its minutes."))
    if minutes.state in (MinutesState.SUBMITTED, MinutesState.APPROVED):
        raise Conflict(_("The minutes are with their approver now: reopen them to name another."))
    if approver == "owner":
        minutes.approver_user_id = minutes.approver_person_id = None
    elif approver == "chair":
        chair = chair_of(meeting)
        if chair is None:
            raise InvalidInput(_("This meeting has no chair: invite one with the role chair first."), "approver")
        minutes.approver_user_id, minutes.approver_person_id = None, chair.person_id
    else:
        email = clean_email(approver, "approver")
        other = db.session.scalar(sa.select(User).where(sa.func.lower(User.email) == email))
        from meetings.scheduling.services import visible_meetings

        if other is None or not other.active or db.session.scalar(
                visible_meetings(other).where(Meeting.id == meeting.id).with_only_columns(Meeting.id)) is None:
            raise InvalidInput(_("'%(email)s' is not an organizer of this meeting.", email=email), "approver")
        minutes.approver_user_id, minutes.approver_person_id = other.id, None
    db.session.flush()
    return minutes


def approver_label(minutes: Minutes) -> dict:
    """Who approves, as the API shows it: ``kind`` (owner, organizer, chair) and ``email``."""
    if minutes.approver_person_id is not None:
        from meetings.directory.models import Person

        person = db.session.get(Person, minutes.approver_person_id)
        return {"kind": "chair", "email": person.email if person else None}
    if minutes.approver_user_id is not None:
        user = db.session.get(User, minutes.approver_user_id)
        return {"kind": "organizer", "email": user.email if user else None}
    return {"kind": "owner", "email": minutes.meeting.owner.email}


def may_approve(minutes: Minutes, *, user=None, person_id: int | None = None) -> bool:
    """Whether this user (API or page) or this person (by emailed link) is the approver."""
    if minutes.approver_person_id is not None:
        return person_id is not None and person_id == minutes.approver_person_id
    if person_id is not None or user is None:
        return False
    return user.id == (minutes.approver_user_id or minutes.meeting.owner_id)


# --- the life of the minutes --------------------------------------------------------------------

def submit(minutes: Minutes) -> Minutes:
    """Send the draft for approval; a chair who approves gets an email with their link."""
    if minutes.state != MinutesState.DRAFT:
        raise Conflict(_("Only draft minutes are submitted (these are %(state)s).", state=minutes.state.value))
    minutes.state = MinutesState.SUBMITTED
    minutes.submissions += 1
    minutes.submitted_at = utcnow()
    minutes.approved_at, minutes.approved_by = None, None
    audit.record("minutes.submitted", meeting=minutes.meeting)
    if minutes.approver_person_id is not None:
        outbox.enqueue(f"minutes-approval:{minutes.id}:{minutes.submissions}", "minutes_approval",
                       meeting_id=minutes.meeting_id, person_id=minutes.approver_person_id,
                       payload={"minutes_id": minutes.id, "submission": minutes.submissions})
    db.session.flush()
    return minutes


def approve(minutes: Minutes, *, user=None, person_id: int | None = None, by: str) -> Minutes:
    """The approver approves the submitted minutes (`Forbidden` for anyone else)."""
    if minutes.state != MinutesState.SUBMITTED:
        raise Conflict(_("Only submitted minutes are approved (these are %(state)s).", state=minutes.state.value))
    if not may_approve(minutes, user=user, person_id=person_id):
        raise Forbidden(_("Only the approver of these minutes (%(who)s) approves them.",
                          who=approver_label(minutes)["email"]))
    minutes.state = MinutesState.APPROVED
    minutes.approved_at = utcnow()
    minutes.approved_by = by
    audit.record("minutes.approved", meeting=minutes.meeting, by=by)
    db.session.flush()
    return minutes


def reopen(minutes: Minutes, reason: str = "") -> Minutes:
    """Back to draft: to edit what was submitted or approved, or to correct what was published
    (the reason goes into the next version's "what changed")."""
    if minutes.state == MinutesState.DRAFT:
        raise Conflict(_("The minutes are already a draft."))
    reason = clean_text(reason, "reason", max_length=1000, multiline=True)
    if minutes.state == MinutesState.PUBLISHED:
        minutes.correction_reason = reason
    audit.record("minutes.reopened", meeting=minutes.meeting, was=minutes.state.value, reason=reason)
    minutes.state = MinutesState.DRAFT
    minutes.approved_at, minutes.approved_by = None, None
    db.session.flush()
    return minutes


def publish(minutes: Minutes, audience: dict, *, by: str) -> MinutesVersion:
    """Publish the approved minutes as a new version: frozen with what changed, emailed to the
    audience (each reader with their own actions on top), and their actions followed up."""
    if minutes.state != MinutesState.APPROVED:
        raise Conflict(_("Only approved minutes are published (these are %(state)s).", state=minutes.state.value))
    kind = audience.get("audience") or "invited"
    if kind not in AUDIENCES:
        raise InvalidInput(_("The audience is 'invited' or 'attended'."), "audience")
    roles = audience.get("roles") or []
    for role in roles:
        if role not in {r.value for r in Role}:
            raise InvalidInput(_("Unknown role '%(role)s'.", role=str(role)[:40]), "roles")
    site_ids = audience.get("site_ids") or []
    if any(site_id not in {s.id for s in minutes.meeting.sites} for site_id in site_ids):
        raise InvalidInput(_("A site of another meeting."), "site_ids")
    content = snapshot.take(minutes)
    previous = minutes.versions[-1] if minutes.versions else None
    changes = snapshot.changes(previous.content if previous else None, content, minutes.correction_reason)
    minutes.version += 1
    now = utcnow()
    version = MinutesVersion(minutes_id=minutes.id, number=minutes.version, content=content, changes=changes,
                             audience=kind, approved_by=minutes.approved_by or "", published_by=by,
                             published_at=now)
    minutes.versions.append(version)
    minutes.state = MinutesState.PUBLISHED
    minutes.published_at, minutes.audience, minutes.correction_reason = now, kind, ""
    db.session.flush()
    recipients = snapshot.audience_people(minutes.meeting, kind, roles, site_ids)
    recipients |= {action.owner_person_id for action in minutes.actions if action.is_open}
    outbox.enqueue_many([{"key": f"minutes:{minutes.id}:{version.number}:{person_id}", "kind": "minutes",
                          "meeting_id": minutes.meeting_id, "person_id": person_id,
                          "payload": {"minutes_id": minutes.id, "version": version.number}}
                         for person_id in sorted(recipients)])
    followup.start(minutes, now)
    audit.record("minutes.published", meeting=minutes.meeting, version=version.number, audience=kind,
                 recipients=len(recipients))
    return version
