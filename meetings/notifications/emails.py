"""Rendering the emails of invitations: invite, update, cancellation, answer confirmation.

Each email is one function of its context, rendered from ``templates/email/<kind>/`` (subject,
text and HTML) in the recipient's time zone, with their own calendar copy and fresh links.
Rows are rendered in batches: what a batch needs is loaded in a few queries, whatever its size.
"""

from __future__ import annotations

import logging
from collections import defaultdict

import sqlalchemy as sa
from flask import render_template

from meetings.core.roles import Role
from meetings.extensions import db
from meetings.invitations import calendars
from meetings.invitations.links import PendingLinks, link_url
from meetings.invitations.models import Invitation, LinkPurpose, Mode
from meetings.outbox.delivery import RenderedEmail, Skip, register_renderer
from meetings.outbox.models import OutboxMessage
from meetings.scheduling.models import AgendaItem, MeetingStatus, SpeakerSlot

log = logging.getLogger(__name__)

#: Kinds rendered here, and the iTIP method each one carries.
METHODS = {"invite": "REQUEST", "update": "REQUEST", "confirmation": "REQUEST", "cancel": "CANCEL"}


def register_renderers() -> None:
    """Tell the outbox who renders which kind."""
    for kind in METHODS:
        register_renderer(kind, render_invitation_emails)


def load_invitations(ids: set[int]) -> dict[int, Invitation]:
    """Invitations with their person, meeting (agenda and sites) and site, in a few queries."""
    if not ids:
        return {}
    rows = db.session.scalars(sa.select(Invitation).where(Invitation.id.in_(ids))).unique()
    return {invitation.id: invitation for invitation in rows}


def _slots_by_person(invitations: list[Invitation]) -> dict[tuple[int, int], list[SpeakerSlot]]:
    meeting_ids = {i.meeting_id for i in invitations}
    slots = defaultdict(list)
    if meeting_ids:
        rows = db.session.execute(
            sa.select(SpeakerSlot, AgendaItem.meeting_id).join(AgendaItem, AgendaItem.id == SpeakerSlot.agenda_item_id)
            .where(AgendaItem.meeting_id.in_(meeting_ids)).order_by(SpeakerSlot.start_at))
        for slot, meeting_id in rows:
            slots[(meeting_id, slot.person_id)].append(slot)
    return slots


def render_invitation_emails(rows: list[OutboxMessage]) -> dict[int, RenderedEmail | Skip | Exception]:
    """Render a batch of invite, update, cancel and confirmation rows."""
    invitations = load_invitations({row.invitation_id for row in rows if row.invitation_id})
    slots = _slots_by_person(list(invitations.values()))
    everyone: dict[int, list[Invitation]] = {}
    pending = PendingLinks()
    rendered: dict[int, RenderedEmail | Skip | Exception] = {}
    for row in rows:
        invitation = invitations.get(row.invitation_id)
        try:
            rendered[row.id] = _render(row, invitation, slots, everyone, pending)
        except Exception as error:  # one broken row must not hold back the others
            log.exception("could not render outbox row %s", row.id)
            rendered[row.id] = error
    pending.flush()
    return rendered


def _render(row, invitation, slots, everyone, pending) -> RenderedEmail | Skip:
    if invitation is None:
        return Skip("the invitation no longer exists")
    meeting = invitation.meeting
    if row.kind != "cancel":
        if meeting.status == MeetingStatus.CANCELLED:
            return Skip("the meeting was cancelled")
        if not invitation.is_active:
            return Skip("the person was taken off the list")
        if row.kind == "update" and not invitation.is_coming:
            return Skip("the person declined")
    my_slots = slots.get((meeting.id, invitation.person_id), [])
    links = _links(row, invitation, pending)
    if row.kind == "cancel":
        people = None
        if row.payload.get("scope") == "meeting":
            people = everyone.get(meeting.id)
            if people is None:
                people = everyone[meeting.id] = list(db.session.scalars(sa.select(Invitation).where(
                    Invitation.meeting_id == meeting.id, Invitation.removed_at.is_(None),
                    Invitation.invited_at.is_not(None)).order_by(Invitation.id)))
        calendar = calendars.cancel_calendar(invitation, links, everyone=people, slots=my_slots)
    else:
        calendar = calendars.request_calendar(invitation, links, slots=my_slots)
    invitation.sent_sequence = meeting.sequence
    context = {"meeting": meeting, "invitation": invitation, "person": invitation.person, "slots": my_slots,
               "links": links, "zone": invitation.person.timezone, "scope": row.payload.get("scope"),
               "site": invitation.venue}
    folder = f"email/{row.kind}"
    return RenderedEmail(
        recipient=invitation.person.email, recipient_name=invitation.person.name,
        subject=" ".join(render_template(f"{folder}/subject.txt", **context).split()),
        text=render_template(f"{folder}/body.txt", **context),
        html=render_template(f"{folder}/body.html", **context),
        calendar=calendar, method=METHODS[row.kind])


def _links(row: OutboxMessage, invitation: Invitation, pending: PendingLinks) -> calendars.InviteLinks:
    """Fresh links for this email: answer, join (online people: their own; site hosts: their
    site's), and the person's calendar feed with the first invite."""
    links = calendars.InviteLinks()
    if row.kind == "cancel":
        return links
    meeting_id = invitation.meeting_id
    links.rsvp = link_url(LinkPurpose.RSVP, pending.mint(LinkPurpose.RSVP, meeting_id=meeting_id,
                                                         invitation_id=invitation.id))
    if invitation.mode == Mode.ONLINE:
        links.join = link_url(LinkPurpose.JOIN, pending.mint(LinkPurpose.JOIN, meeting_id=meeting_id,
                                                             invitation_id=invitation.id))
    elif invitation.role == Role.SITE_HOST and invitation.site is not None:
        raw = pending.mint(LinkPurpose.SITE, meeting_id=meeting_id, site_id=invitation.site_id)
        links.join = link_url(LinkPurpose.SITE, raw)
    if row.kind == "invite":
        links.feed = link_url(LinkPurpose.FEED, pending.mint(LinkPurpose.FEED, person_id=invitation.person_id))
    return links
