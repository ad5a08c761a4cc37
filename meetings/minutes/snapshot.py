"""What a published version freezes (content and attendance), what changed between two
versions, and who is in an audience."""

from __future__ import annotations

import sqlalchemy as sa

from meetings.extensions import db
from meetings.invitations.models import Invitation
from meetings.minutes.models import Minutes
from meetings.scheduling.models import Meeting


def attendance(meeting: Meeting) -> list[dict]:
    """Per site (main venue first): who was present, excused (declined or sent someone) and absent."""
    invitations = db.session.scalars(sa.select(Invitation).where(
        Invitation.meeting_id == meeting.id, Invitation.removed_at.is_(None)).order_by(Invitation.id)).all()
    sites: list[dict] = [{"site": site.name, "site_id": site.id, "present": [], "excused": [], "absent": []}
             for site in meeting.sites]
    online: dict = {"site": "", "site_id": None, "present": [], "excused": [], "absent": []}
    by_id = {entry["site_id"]: entry for entry in sites}
    for invitation in invitations:
        venue = invitation.venue
        entry = by_id.get(venue.id) if venue is not None else online
        entry = entry or online
        name = invitation.person.name
        unit = invitation.person.unit.name if invitation.person.unit else ""
        person = {"name": name, "unit": unit, "role": invitation.role.value}
        if invitation.checked_in_at is not None:
            entry["present"].append(person)
        elif not invitation.response.is_coming:
            entry["excused"].append(person)
        else:
            entry["absent"].append(person)
    return [entry for entry in [*sites, online] if entry["present"] or entry["excused"] or entry["absent"]]


def take(minutes: Minutes) -> dict:
    """The minutes as they are now, with the attendance: what a version keeps."""
    meeting = minutes.meeting
    return {
        "meeting": {"id": meeting.id, "title": meeting.title, "title_zh": meeting.title_zh,
                    "start": meeting.start_at.isoformat(), "end": meeting.end_at.isoformat(),
                    "timezone": meeting.timezone},
        "items": [{"id": item.id, "title": item.title, "title_zh": item.title_zh} for item in meeting.agenda_items],
        "notes": [{"agenda_item_id": note.agenda_item_id, "text": note.text} for note in minutes.notes if note.text],
        "decisions": [{"agenda_item_id": d.agenda_item_id, "text": d.text} for d in minutes.decisions],
        "actions": [{"id": a.id, "title": a.title, "owner_person_id": a.owner_person_id, "owner_name": a.owner.name,
                     "owner_email": a.owner.email, "owner_unit": a.owner_unit.name if a.owner_unit else "",
                     "unit": a.concerns_unit.name if a.concerns_unit else "", "due": a.due_on.isoformat(),
                     "agenda_item_id": a.agenda_item_id, "status": a.status.value}
                    for a in minutes.actions if a.status.value != "cancelled"],
        "attendance": attendance(meeting),
    }


def changes(before: dict | None, after: dict, reason: str = "") -> list[dict]:
    """What changed from ``before`` to ``after`` (None: the first version), as entries of
    ``kind`` (reason, note, decision_added, decision_removed, action_added, action_removed,
    action_changed) and ``text``."""
    if before is None:
        return []
    out = [{"kind": "reason", "text": reason}] if reason else []
    titles = {item["id"]: item["title_zh"] or item["title"] for item in after["items"]}
    old_notes = {n["agenda_item_id"]: n["text"] for n in before["notes"]}
    new_notes = {n["agenda_item_id"]: n["text"] for n in after["notes"]}
    for item_id in sorted(set(old_notes) | set(new_notes), key=lambda i: (i is not None, i or 0)):
        if old_notes.get(item_id) != new_notes.get(item_id):
            out.append({"kind": "note", "text": titles.get(item_id, "")})
    old_decisions = [d["text"] for d in before["decisions"]]
    new_decisions = [d["text"] for d in after["decisions"]]
    out += [{"kind": "decision_added", "text": t} for t in new_decisions if t not in old_decisions]
    out += [{"kind": "decision_removed", "text": t} for t in old_decisions if t not in new_decisions]
    old_actions = {a["id"]: a for a in before["actions"]}
    new_actions = {a["id"]: a for a in after["actions"]}
    fields = ("title", "owner_email", "owner_unit", "unit", "due", "agenda_item_id")
    for action_id, action in new_actions.items():
        old = old_actions.get(action_id)
        if old is None:
            out.append({"kind": "action_added", "text": action["title"]})
        elif any(old.get(f) != action.get(f) for f in fields):
            out.append({"kind": "action_changed", "text": action["title"]})
    out += [{"kind": "action_removed", "text": a["title"]} for i, a in old_actions.items() if i not in new_actions]
    return out


def audience_people(meeting: Meeting, kind: str, roles: list[str], site_ids: list[int]) -> set[int]:
    """The people the minutes go to: everyone on the list (``invited``) or those checked in
    (``attended``), narrowed to ``roles`` and ``site_ids`` when given."""
    statement = sa.select(Invitation.person_id).where(Invitation.meeting_id == meeting.id,
                                                       Invitation.removed_at.is_(None))
    if kind == "attended":
        statement = statement.where(Invitation.checked_in_at.is_not(None))
    if roles:
        statement = statement.where(Invitation.role.in_(roles))
    if site_ids:
        main = meeting.main_site
        condition: sa.ColumnElement[bool] = Invitation.site_id.in_(site_ids)
        if main is not None and main.id in site_ids:
            condition = sa.or_(condition, Invitation.site_id.is_(None))
        statement = statement.where(condition)
    return set(db.session.scalars(statement))
