"""Rendering the minutes' emails when they leave the outbox: the published minutes (each reader's
own actions on top), the chair's approval request, and an action's reminder and chasers.

Each is rendered from ``templates/minutes/email/<kind>/`` in the recipient's language, with fresh
links; a row whose reason has gone (the action closed, the minutes reopened) is skipped.
"""

from __future__ import annotations

import logging
from datetime import date, datetime

import sqlalchemy as sa
from flask import render_template

from meetings.core.i18n import in_language
from meetings.directory.models import Person
from meetings.extensions import db
from meetings.minutes import followup
from meetings.minutes import links as minutes_links
from meetings.minutes.models import ActionItem, ActionStatus, Minutes, MinutesLinkPurpose, MinutesState, MinutesVersion
from meetings.outbox.delivery import RenderedEmail, Skip, register_renderer
from meetings.outbox.models import OutboxMessage

log = logging.getLogger(__name__)

KINDS = ("minutes", "minutes_approval", "action_done", followup.REMINDER_KIND, followup.CHASER_KIND)


def register_renderers() -> None:
    """Tell the outbox who renders the minutes' kinds."""
    for kind in KINDS:
        register_renderer(kind, render_rows)


def _email(folder: str, person: Person, context: dict) -> RenderedEmail:
    with in_language(person.language):
        context = {**context, "person": person, "zone": person.timezone}
        subject = " ".join(render_template(f"minutes/email/{folder}/subject.txt", **context).split())
        text = render_template(f"minutes/email/{folder}/body.txt", **context)
        html = render_template(f"minutes/email/{folder}/body.html", **context)
    return RenderedEmail(recipient=person.email, recipient_name=person.name, subject=subject, text=text, html=html)


def render_rows(rows: list[OutboxMessage], now: datetime) -> dict[int, RenderedEmail | Skip | Exception]:
    """Render a batch of the minutes' rows (one failure does not hold back the others; at any
    time: ``now`` is not asked)."""
    people: dict[int | None, Person] = {p.id: p for p in db.session.scalars(sa.select(Person).where(
        Person.id.in_({row.person_id for row in rows if row.person_id})))}
    rendered: dict[int, RenderedEmail | Skip | Exception] = {}
    for row in rows:
        try:
            person = people.get(row.person_id)
            if person is None or person.removed_at is not None:
                rendered[row.id] = Skip("the recipient left the directory")
            else:
                rendered[row.id] = _RENDER[row.kind](row, person)
        except Exception as error:  # one broken row must not hold back the others
            log.exception("could not render outbox row %s", row.id)
            rendered[row.id] = error
    # The links minted for them (added to the session) are written by the delivery, with the
    # batch's other writes, once it is all rendered (`after_render`).
    return rendered


def _minutes(row: OutboxMessage, person: Person) -> RenderedEmail | Skip:
    minutes = db.session.get(Minutes, row.payload["minutes_id"])
    version = None if minutes is None else db.session.scalar(sa.select(MinutesVersion).where(
        MinutesVersion.minutes_id == minutes.id, MinutesVersion.number == row.payload["version"]))
    if minutes is None or version is None:
        return Skip("the minutes are gone")
    content = version.content
    open_now = {a.id for a in minutes.actions if a.is_open}
    mine = []
    for action in content["actions"]:
        if action["owner_person_id"] == person.id and action["id"] in open_now:
            raw = minutes_links.mint(MinutesLinkPurpose.ACTION, person_id=person.id, action_id=action["id"])
            mine.append({**action, "url": minutes_links.url(MinutesLinkPurpose.ACTION, raw)})
    return _email("minutes", person, {"meeting": minutes.meeting, "version": version, "content": content,
                                      "mine": mine, "items": {i["id"]: i for i in content["items"]}})


def _approval(row: OutboxMessage, person: Person) -> RenderedEmail | Skip:
    minutes = db.session.get(Minutes, row.payload["minutes_id"])
    if minutes is None or minutes.state != MinutesState.SUBMITTED or minutes.submissions != row.payload["submission"]:
        return Skip("the minutes are no longer waiting for this approval")
    if minutes.approver_person_id != person.id:
        return Skip("someone else approves them now")
    raw = minutes_links.mint(MinutesLinkPurpose.APPROVE, person_id=person.id, minutes_id=minutes.id)
    return _email("approval", person, {"meeting": minutes.meeting, "minutes": minutes,
                                       "url": minutes_links.url(MinutesLinkPurpose.APPROVE, raw)})


def _action(row: OutboxMessage, person: Person) -> RenderedEmail | Skip:
    action = db.session.get(ActionItem, row.payload["action_id"])
    if action is None or action.status != ActionStatus.OPEN:
        return Skip("the action is closed or waiting for confirmation")
    if action.due_on != date.fromisoformat(row.payload["due"]) or action.owner_person_id != person.id:
        return Skip("the action's due date or owner changed")
    raw = minutes_links.mint(MinutesLinkPurpose.ACTION, person_id=person.id, action_id=action.id)
    folder = "reminder" if row.kind == followup.REMINDER_KIND else "chase"
    return _email(folder, person, {"meeting": action.minutes.meeting, "action": action,
                                   "week": row.payload.get("week", 0),
                                   "url": minutes_links.url(MinutesLinkPurpose.ACTION, raw)})


def _done_reported(row: OutboxMessage, person: Person) -> RenderedEmail | Skip:
    from meetings.minutes.actions import chair_person_id

    action = db.session.get(ActionItem, row.payload["action_id"])
    if action is None or action.status != ActionStatus.DONE_REPORTED:
        return Skip("the action is no longer waiting for confirmation")
    if chair_person_id(action.minutes.meeting) != person.id:
        return Skip("someone else chairs the meeting now")
    raw = minutes_links.mint(MinutesLinkPurpose.CONFIRM, person_id=person.id, action_id=action.id)
    return _email("done", person, {"meeting": action.minutes.meeting, "action": action,
                                   "url": minutes_links.url(MinutesLinkPurpose.CONFIRM, raw)})


_RENDER = {"minutes": _minutes, "minutes_approval": _approval, "action_done": _done_reported,
           followup.REMINDER_KIND: _action,
           followup.CHASER_KIND: _action}
