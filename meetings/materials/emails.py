"""The email of the materials deadline: a speaker's reminder, with their own upload link."""

from __future__ import annotations

from datetime import datetime

from flask import current_app, render_template

from meetings.core.i18n import in_language
from meetings.extensions import db
from meetings.invitations.links import PendingLinks
from meetings.invitations.models import Invitation, LinkPurpose
from meetings.materials import services
from meetings.outbox.delivery import RenderedEmail, Skip, after_render
from meetings.scheduling.models import AgendaItem


def render_reminders(rows, now: datetime) -> dict:
    """Render a batch of materials reminders; skip those that no longer stand at ``now``, the time
    of the delivery run (the file came, the speaker is off the list or declined, the meeting is no
    longer live or has begun)."""
    from meetings.core.urls import token_url

    pending = PendingLinks()
    rendered: dict[int, RenderedEmail | Skip] = {}
    for row in rows:
        invitation = db.session.get(Invitation, row.invitation_id) if row.invitation_id else None
        item = db.session.get(AgendaItem, (row.payload or {}).get("agenda_item_id") or 0)
        if invitation is None or item is None or not invitation.is_coming:
            rendered[row.id] = Skip("no longer a speaker of this meeting")
            continue
        meeting = invitation.meeting
        if not meeting.is_live or meeting.start_at <= now:
            rendered[row.id] = Skip("the meeting is not ahead")
            continue
        slot = next((s for s in item.speaker_slots if s.person_id == invitation.person_id), None)
        if slot is None:
            rendered[row.id] = Skip("no longer a speaker of this item")
            continue
        if services.material_for_slot(slot) is not None:
            rendered[row.id] = Skip("material uploaded")
            continue
        raw = pending.mint(LinkPurpose.RSVP, meeting_id=meeting.id, invitation_id=invitation.id)
        context = {"meeting": meeting, "person": invitation.person, "slot": slot, "item": item,
                   "zone": invitation.person.timezone, "due": services.due_at(meeting),
                   "url": token_url("materials_links.speaker_page", raw),
                   "max_mb": current_app.config["MATERIALS_MAX_BYTES"] // (1024 * 1024)}
        with in_language(invitation.person.language):
            subject = " ".join(render_template("materials/email/reminder/subject.txt", **context).split())
            text = render_template("materials/email/reminder/body.txt", **context)
            html = render_template("materials/email/reminder/body.html", **context)
        rendered[row.id] = RenderedEmail(invitation.person.email, invitation.person.name, subject, text, html)
    after_render(pending.flush)  # with the batch's other writes, once it is all rendered
    return rendered
