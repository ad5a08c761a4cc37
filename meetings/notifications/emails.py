"""Rendering the emails of invitations: invite, update, cancellation, answer confirmation, and
reminders.

Each email is one function of its context, rendered from ``templates/email/<kind>/`` (subject,
text and HTML) in the recipient's language and time zone, with fresh links and, for all but reminders, their
own calendar copy. Rows are rendered in batches: what a batch needs is loaded in a few queries,
whatever its size.
"""

from __future__ import annotations

import logging
import secrets
from collections import defaultdict
from datetime import datetime
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext
from markupsafe import escape
from sqlalchemy import orm

from meetings.attendance import qr
from meetings.core.i18n import current_language, in_language
from meetings.core.roles import Role
from meetings.directory.models import Person
from meetings.extensions import db
from meetings.invitations import calendars, ical
from meetings.invitations.links import PendingLinks, link_url, roll_call_url
from meetings.invitations.models import Invitation, LinkPurpose, Mode
from meetings.notifications import changes as changes_since
from meetings.notifications import reminders
from meetings.notifications.dispatch import MATERIALS_KIND
from meetings.outbox.delivery import RenderedEmail, Skip, after_render, register_renderer
from meetings.outbox.mail import InlineImage
from meetings.outbox.models import OutboxMessage
from meetings.scheduling.models import AgendaItem, Meeting, MeetingStatus, Site, SpeakerSlot
from meetings.scheduling.services import reminder_offsets

log = logging.getLogger(__name__)

#: The Content-ID of the check-in code that in-person invites show (``<img src="cid:...">``).
CHECKIN_CODE_ID = "checkin-code@meetings"
#: Emails that carry an in-person attendee's check-in code: those that restate the details.
CHECKIN_KINDS = frozenset({"invite", "update", "confirmation"})

#: Emails that restate the meeting: what they tell is kept, and the next update says what changed.
SNAPSHOT_KINDS = frozenset({"invite", "update", "confirmation"})

#: Kinds rendered here, and the iTIP method each one carries (None: no calendar part; a
#: reminder is not an invite).
METHODS = {"invite": "REQUEST", "update": "REQUEST", "confirmation": "REQUEST", "site_link": "REQUEST",
           "cancel": "CANCEL", reminders.KIND: None, MATERIALS_KIND: None}
#: Emails that tell their reader of materials (an invite: all on the page it links to; the others:
#: those new to them since their last): what they told is kept in the snapshot's ``materials``.
MATERIALS_TOLD_KINDS = frozenset({"invite", "update", MATERIALS_KIND})


def register_renderers() -> None:
    """Tell the outbox who renders which kind."""
    for kind in METHODS:
        register_renderer(kind, render_invitation_emails)
    register_renderer(reminders.KIND, render_reminders)


def load_invitations(ids: set[int]) -> dict[int, Invitation]:
    """Invitations with their person, meeting (agenda and sites) and site, in a few queries."""
    if not ids:
        return {}
    # Not what the models load along by default and no email shows: people's units and role
    # tags, a site's host, the meeting's owner. Joined on every row, they cost more than the rest.
    rows = db.session.scalars(sa.select(Invitation).where(Invitation.id.in_(ids)).options(
        orm.defaultload(Invitation.person).lazyload(Person.tag_rows),
        orm.defaultload(Invitation.person).lazyload(Person.unit),
        orm.defaultload(Invitation.site).lazyload(Site.host),
        orm.defaultload(Invitation.meeting).lazyload(Meeting.owner))).unique()
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


def render_invitation_emails(rows: list[OutboxMessage], now: datetime) -> dict[int, RenderedEmail | Skip | Exception]:
    """Render a batch of invite, update, cancel and confirmation rows (at any time: ``now`` is
    not asked)."""
    invitations = load_invitations({row.invitation_id for row in rows if row.invitation_id})
    slots = _slots_by_person(list(invitations.values()))
    merge = MailMerge()
    pending = PendingLinks()
    rendered: dict[int, RenderedEmail | Skip | Exception] = {}
    told: dict[int, tuple[Invitation, dict]] = {}
    materials = _MeetingMaterials()
    for row in rows:
        invitation = invitations.get(row.invitation_id) if row.invitation_id else None
        try:
            rendered[row.id] = _render(row, invitation, slots, merge, pending, told, materials)
        except Exception as error:  # one broken row must not hold back the others
            log.exception("could not render outbox row %s", row.id)
            rendered[row.id] = error
    # Written after the whole batch is rendered, in one short transaction (`after_render`), with
    # the links: a copy that fails to send is rendered again, from the same snapshot, on its retry.
    after_render(pending.flush)
    sequences = _sent_sequences(invitations[row.invitation_id] for row in rows
                                if row.invitation_id and isinstance(rendered.get(row.id), RenderedEmail))
    after_render(lambda: _record_sent_sequences(sequences))
    snapshots = [(invitation.id, value) for row_id, (invitation, value) in told.items()
                 if isinstance(rendered.get(row_id), RenderedEmail)]
    after_render(lambda: changes_since.record_snapshots(snapshots))
    return rendered


def render_reminders(rows: list[OutboxMessage], now: datetime) -> dict[int, RenderedEmail | Skip | Exception]:
    """Render a batch of reminder rows, skipping those that no longer stand at ``now``, the time
    of the delivery run (`reminders.reason_not_to_send`)."""
    invitations = load_invitations({row.invitation_id for row in rows if row.invitation_id})
    slots = _slots_by_person(list(invitations.values()))
    merge = MailMerge()
    pending = PendingLinks()
    offsets: dict[tuple[int, Role], tuple[int, ...]] = {}  # per meeting and role, not per row
    rendered: dict[int, RenderedEmail | Skip | Exception] = {}
    for row in rows:
        invitation = invitations.get(row.invitation_id) if row.invitation_id else None
        try:
            my_slots, mine = [], None
            if invitation is not None:
                my_slots = slots.get((invitation.meeting_id, invitation.person_id), [])
                key = (invitation.meeting_id, invitation.role)
                mine = offsets.get(key)
                if mine is None:
                    mine = offsets[key] = reminder_offsets(invitation.meeting, invitation.role)
            reason = reminders.reason_not_to_send(row, invitation, my_slots[0].start_at if my_slots else None, now,
                                                  mine)
            if reason is not None or invitation is None:  # (a missing invitation always has a reason)
                rendered[row.id] = Skip(reason or "the invitation no longer exists")
            else:
                rendered[row.id] = merge.email(row, invitation, my_slots, _links(row, invitation, pending))
        except Exception as error:  # one broken row must not hold back the others
            log.exception("could not render outbox row %s", row.id)
            rendered[row.id] = error
    after_render(pending.flush)
    return rendered


def _sent_sequences(invitations) -> dict[int, set[int]]:
    """The SEQUENCE each invitation's copy carries, as ``{sequence: invitation ids}``."""
    by_sequence: dict[int, set[int]] = defaultdict(set)
    for invitation in invitations:
        by_sequence[invitation.meeting.sequence].add(invitation.id)
    return by_sequence


def _record_sent_sequences(by_sequence: dict[int, set[int]]) -> None:
    """Each recipient now holds the copy of the meeting's SEQUENCE it was rendered with (see `replies`)."""
    for sequence, ids in by_sequence.items():
        db.session.execute(sa.update(Invitation.__table__).where(Invitation.__table__.c.id.in_(ids))
                           .values(sent_sequence=sequence))


class _MeetingMaterials(dict):
    """Each meeting's materials, loaded once per batch (`materials.notices.meeting_materials`)."""

    def __missing__(self, meeting_id: int) -> list:
        from meetings.materials import notices

        value = self[meeting_id] = notices.meeting_materials(meeting_id)
        return value


def material_notices(invitation: Invitation, materials: list, kept: dict | None) -> tuple:
    """The materials ``invitation``'s person may see that are new to them since the copy ``kept``
    (their ``sent_snapshot``) told them of (`materials.notices.notices_since`)."""
    from meetings.materials import notices

    told = kept.get("materials") if isinstance(kept, dict) else None
    return notices.notices_since(materials, notices.Viewer.invitee(invitation), told)


def _told_materials(invitation: Invitation, materials: list) -> dict:
    from meetings.materials import notices

    return notices.told_versions(materials, notices.Viewer.invitee(invitation))


def _render(row, invitation, slots, merge: MailMerge, pending, told: dict,
            materials: _MeetingMaterials) -> RenderedEmail | Skip:
    if invitation is None:
        return Skip("the invitation no longer exists")
    meeting = invitation.meeting
    if row.kind != "cancel":
        if meeting.status == MeetingStatus.CANCELLED:
            return Skip("the meeting was cancelled")
        if not invitation.is_active:
            return Skip("the person was taken off the list")
        if row.kind in ("update", MATERIALS_KIND) and not invitation.is_coming:
            return Skip("the person declined")
        if row.kind == "site_link" and _hosted_site(row, invitation) is None:
            return Skip("the site is gone, or they no longer host it")
    my_slots = slots.get((meeting.id, invitation.person_id), [])
    links = _links(row, invitation, pending)
    changed: tuple[changes_since.Change, ...] = ()
    notices: tuple = ()
    kept = invitation.sent_snapshot
    if row.kind in ("update", MATERIALS_KIND):
        notices = material_notices(invitation, materials[meeting.id], kept)
        if row.kind == MATERIALS_KIND and not notices:
            return Skip("no material is new to them since their last email")
    if row.kind in SNAPSHOT_KINDS:
        now = changes_since.snapshot(invitation, my_slots)
        if row.kind == "update":
            changed = changes_since.differences(kept, now)
    elif row.kind == MATERIALS_KIND and isinstance(kept, dict) and kept.get("start"):
        now = dict(kept)  # the meeting as they last read it stays their copy; only materials move on
    else:
        now = None
    if now is not None:
        if row.kind in MATERIALS_TOLD_KINDS:
            now["materials"] = _told_materials(invitation, materials[meeting.id])
        elif isinstance(kept, dict) and "materials" in kept:
            now["materials"] = kept["materials"]  # a confirmation lists no materials: nothing more is told
        told[row.id] = (invitation, now)
    return merge.email(row, invitation, my_slots, links, changes=changed, notices=notices)


class MailMerge:
    """Renders each kind of email once per variant, then fills in each person's own values.

    Two people get the same email but for their name, address and links when they share the
    meeting, the kind of email, role, place, time zone, language, answer and speaking slots (a
    variant). The variant is rendered with unguessable placeholders, made for this batch, and
    each copy replaces them with the person's values, escaped for where they stand (HTML, a
    quoted iCalendar parameter). That keeps a 2,000-person invite from rendering its agenda,
    its text, its HTML and its calendar 2,000 times.
    """

    def __init__(self):
        marker = secrets.token_hex(8)
        self.name = f"Name{marker}"
        self.email_address = f"p{marker}@placeholder.invalid"
        self.urls = {kind: f"https://placeholder.invalid/{kind}{marker}"
                     for kind in ("rsvp", "join", "checkin", "feed", "roll_call")}
        self._variants: dict[tuple, tuple[str, str, str, list[str] | None]] = {}
        self._everyone: dict[int, list[Invitation]] = {}
        self._env = current_app.jinja_env

    def _variant_key(self, row, invitation: Invitation, slots, links, changes, notices) -> tuple:
        return (changes, notices, row.kind, row.payload.get("role"), row.payload.get("scope"), row.payload.get("site_id"), row.payload.get("before_minutes"),
                invitation.meeting_id, invitation.role, invitation.mode,
                getattr(invitation.venue, "id", None), invitation.person.timezone, invitation.person.language,
                invitation.response, invitation.delegated_to_id, invitation.delegated_from_id,
                tuple(slot.id for slot in slots), tuple(kind for kind in self.urls if getattr(links, kind)))

    def email(self, row, invitation: Invitation, slots, links: calendars.InviteLinks,
              changes: tuple = (), notices: tuple = ()) -> RenderedEmail:
        """The email of ``row`` for ``invitation``'s person; an update leads with ``changes``
        (`meetings.notifications.changes`) and lists the materials ``notices`` new to them."""
        key = self._variant_key(row, invitation, slots, links, changes, notices)
        variant = self._variants.get(key)
        if variant is None:
            variant = self._variants[key] = self._render_variant(row, invitation, slots, links, changes, notices)
        subject, text, html, lines = variant
        person = invitation.person
        values = {self.name: person.name, self.email_address: person.email}
        for kind, placeholder in self.urls.items():
            values[placeholder] = getattr(links, kind) or ""
        calendar = None
        if lines is not None:
            # The name appears in the calendar only as the recipient's CN, and goes in sanitised.
            calendar_values = {f"CN={self.name}": "CN=" + ical.quoted_param(person.name),
                               self.email_address: ical.check_address(person.email)}
            calendar_values.update((self.urls[kind], getattr(links, kind) or "") for kind in self.urls)
            calendar = ical.fold_lines([_fill(line, calendar_values) for line in lines])
        html_values = {placeholder: str(escape(value)) for placeholder, value in values.items()}
        images: tuple[InlineImage, ...] = ()
        if links.checkin:
            images = (InlineImage(CHECKIN_CODE_ID, qr.png(links.checkin), "image/png", "checkin.png"),)
        return RenderedEmail(recipient=person.email, recipient_name=person.name,
                             subject=_fill(subject, values), text=_fill(text, values),
                             html=_fill(html, html_values), calendar=calendar,
                             method=METHODS[row.kind] if calendar is not None else None, images=images)

    def _render_variant(self, row, invitation: Invitation, slots, links, changes, notices) -> tuple:
        # Every email and its calendar copy are rendered here, so this is where they take the
        # recipient's language (their language is part of the variant key).
        with in_language(invitation.person.language):
            return self._render_variant_in_language(row, invitation, slots, links, changes, notices)

    def _render_variant_in_language(self, row, invitation: Invitation, slots, links, changes, notices) -> tuple:
        meeting = invitation.meeting
        changed = changes_since.lines(changes, invitation.person.timezone)
        stand_ins: dict[str, Any] = {kind: (self.urls[kind] if getattr(links, kind) else None) for kind in self.urls}
        stand_in_links = calendars.InviteLinks(**stand_ins)
        person = SimpleNamespace(name=self.name, email=self.email_address, timezone=invitation.person.timezone,
                                 language=invitation.person.language)
        recipient = calendars.attendee(invitation, email=self.email_address, name=self.name)
        if METHODS[row.kind] is None:
            lines = None
        elif row.kind == "cancel":
            everyone = None
            if row.payload.get("scope") == "meeting":
                everyone = self._everyone_at(meeting.id)
            lines = calendars.cancel_lines(invitation, stand_in_links, everyone=everyone, recipient=recipient,
                                           slots=slots)
        else:
            lines = calendars.request_lines(invitation, stand_in_links, recipient=recipient, slots=slots,
                                            changes=changed)
        context = {"meeting": meeting, "invitation": invitation, "person": person, "slots": slots,
                   "links": stand_in_links, "zone": invitation.person.timezone,
                   "scope": row.payload.get("scope"), "before_minutes": row.payload.get("before_minutes"),
                   "site": invitation.venue, "hosted_site": _hosted_site(row, invitation),
                   "checkin_code_id": CHECKIN_CODE_ID, "changes": changed, "material_notices": notices,
                   "reminder_role": row.payload.get("role")}
        folder = f"email/{row.kind}"
        subject = " ".join(self._env.get_template(f"{folder}/subject.txt").render(context).split())
        text = self._env.get_template(f"{folder}/body.txt").render(context)
        html = self._env.get_template(f"{folder}/body.html").render(context)
        return subject, text, html, lines

    def _everyone_at(self, meeting_id: int) -> list[Invitation]:
        people = self._everyone.get(meeting_id)
        if people is None:
            people = self._everyone[meeting_id] = list(db.session.scalars(sa.select(Invitation).where(
                Invitation.meeting_id == meeting_id, Invitation.removed_at.is_(None),
                Invitation.invited_at.is_not(None)).order_by(Invitation.id)))
        return people


def _fill(text: str, values: dict[str, str]) -> str:
    for placeholder, value in values.items():
        if placeholder in text:
            text = text.replace(placeholder, value)
    return text


def _hosted_site(row: OutboxMessage, invitation: Invitation) -> Site | None:
    """The site whose link this email carries for its host: the one a ``site_link`` row names,
    else a site host's own site, or the site that someone in another role hosts."""
    if row.kind == "site_link":
        site = next((s for s in invitation.meeting.sites if s.id == row.payload.get("site_id")), None)
        return site if site is not None and site.host_person_id == invitation.person_id else None
    if invitation.role == Role.SITE_HOST:
        return invitation.site
    # A host who also has a bigger part (they speak, or chair) still runs their site's room:
    # one role per person, several parts.
    return next((site for site in invitation.meeting.sites if site.host_person_id == invitation.person_id), None)


def _link_plan(row, invitation: Invitation) -> dict[str, tuple[LinkPurpose, dict]]:
    """Which links an email carries, and what each is minted for: answer, join (online people:
    their own; site hosts: their site's, with its roll call), check-in (in-person people who are
    coming: their QR code), and the person's calendar feed with the first invite. One plan for
    the emails that leave and for their previews."""
    if row.kind == "cancel":
        return {}
    meeting_id = invitation.meeting_id
    plan = {"rsvp": (LinkPurpose.RSVP, {"meeting_id": meeting_id, "invitation_id": invitation.id})}
    hosted = _hosted_site(row, invitation)
    if invitation.mode == Mode.ONLINE and hosted is None:
        plan["join"] = (LinkPurpose.JOIN, {"meeting_id": meeting_id, "invitation_id": invitation.id})
    elif hosted is not None:
        plan["join"] = (LinkPurpose.SITE, {"meeting_id": meeting_id, "site_id": hosted.id})
    if row.kind in CHECKIN_KINDS and invitation.mode == Mode.IN_PERSON and invitation.is_coming:
        plan["checkin"] = (LinkPurpose.CHECKIN, {"meeting_id": meeting_id, "invitation_id": invitation.id})
    if row.kind == "invite":
        plan["feed"] = (LinkPurpose.FEED, {"person_id": invitation.person_id})
    return plan


def _links(row: OutboxMessage, invitation: Invitation, pending: PendingLinks) -> calendars.InviteLinks:
    """Fresh links for this email (`_link_plan`)."""
    links = calendars.InviteLinks()
    for kind, (purpose, scope) in _link_plan(row, invitation).items():
        raw = pending.mint(purpose, **scope)
        setattr(links, kind, link_url(purpose, raw))
        if purpose == LinkPurpose.SITE:
            links.roll_call = roll_call_url(raw)
    return links


#: The token of the links in a preview: they open nothing.
#: (A placeholder, not a secret: bandit B105.)
PREVIEW_TOKEN = "EXAMPLE-only-real-emails-carry-working-links"  # nosec B105


def _example_links(row, invitation: Invitation) -> calendars.InviteLinks:
    links = calendars.InviteLinks()
    for kind, (purpose, _scope) in _link_plan(row, invitation).items():
        setattr(links, kind, link_url(purpose, PREVIEW_TOKEN))
        if purpose == LinkPurpose.SITE:
            links.roll_call = roll_call_url(PREVIEW_TOKEN)
    return links


def preview_kind(invitation: Invitation) -> str:
    """What the next email to an invited person is: their invite while it has not gone out,
    else the update the next change would send."""
    return "update" if invitation.invited_at is not None and invitation.meeting.is_live else "invite"


def preview_for(invitation: Invitation) -> RenderedEmail:
    """Exactly the email ``invitation``'s person will receive next (`preview_kind`): their
    language, zone, place, slots and links (as examples that open nothing), and for an update
    what changed since their last copy. Nothing is written."""
    row = SimpleNamespace(kind=preview_kind(invitation), payload={})
    meeting = invitation.meeting
    slots = calendars.speaker_slots(meeting, invitation.person_id)
    changed: tuple[changes_since.Change, ...] = ()
    notices: tuple = ()
    if row.kind == "update":
        changed = changes_since.differences(invitation.sent_snapshot, changes_since.snapshot(invitation, slots))
        notices = material_notices(invitation, _MeetingMaterials()[meeting.id], invitation.sent_snapshot)
    return MailMerge().email(row, invitation, slots, _example_links(row, invitation), changes=changed,
                             notices=notices)


def preview_invite(meeting, role, person=None, site=None) -> RenderedEmail:
    """The invite ``role`` would receive at ``site`` (else where `placement` puts them; a site
    host hosts the site chosen, else the main venue), rendered without sending, queueing or
    making any link.

    ``person`` is whose copy to show (in their language), else a stand-in in the page's
    language. Nothing is written: the invitation (and the stand-in) are transient objects, never
    added to the session, and the links are examples that open nothing.
    """
    from meetings.core.roles import Role
    from meetings.directory.models import Person
    from meetings.invitations.models import Mode, Response
    from meetings.invitations.services import placement
    from meetings.scheduling.models import SiteKind

    role = Role(role)
    # A stand-in reads the language of the page that shows it: the organizer previews the
    # invite as it reads to people who share their language.
    person = person or Person(name=gettext("Sample Person"), email="sample.person@example.com",
                              timezone=site.timezone if site is not None else meeting.timezone,
                              language=current_language())
    if role == Role.SITE_HOST:
        site = site or meeting.main_site
    if site is not None:
        mode = Mode.IN_PERSON if site.kind == SiteKind.MAIN else Mode.REMOTE_SITE
    else:
        site, mode = placement(meeting, person, None, None)
    invitation = Invitation(id=0, meeting_id=meeting.id, person_id=person.id or 0, role=role, mode=mode,
                            response=Response.NEEDS_ACTION)
    invitation.meeting, invitation.person, invitation.site = meeting, person, site
    row = SimpleNamespace(kind="invite", payload={})
    slots = calendars.speaker_slots(meeting, person.id) if person.id else []
    return MailMerge().email(row, invitation, slots, _example_links(row, invitation))
