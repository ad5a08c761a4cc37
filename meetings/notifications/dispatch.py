"""Which emails a change causes: the receivers of the domains' signals.

They run in the transaction of the change, so the outbox rows are committed with it or not at
all. Contents are rendered at delivery, so a queued invite that has not left yet already says
what an update would; no second email is queued for it.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from meetings.accounts import audit
from meetings.core import signals
from meetings.core.bulk import among, chunks
from meetings.core.db import utcnow
from meetings.core.errors import Conflict
from meetings.core.roles import Role
from meetings.extensions import db
from meetings.invitations.models import Invitation
from meetings.notifications import reminders
from meetings.outbox import services as outbox
from meetings.scheduling.models import Meeting

#: Changes that send participants an update (reminder changes only move reminders).
VISIBLE_CHANGES = frozenset({"time", "place", "agenda", "status", "join_link", "details"})
#: Changes that concern only the people of the site they happened at.
SITE_CHANGES = frozenset({"place", "join_link"})
#: The email telling invitees of materials added or replaced since their last email.
MATERIALS_KIND = "materials"
#: Changes that move everyone's reminders; an agenda change moves only the speakers'.
REMINDER_CHANGES = frozenset({"time", "reminders"})


def _stamp() -> str:
    return str(int(utcnow().timestamp() * 1_000_000))


def _recipients(meeting_id: int, *conditions) -> sa.Select:
    """The active invitations of a meeting that meet ``conditions``, as the outbox wants them."""
    return sa.select(Invitation.id.label("invitation_id"), Invitation.meeting_id, Invitation.person_id).where(
        Invitation.meeting_id == meeting_id, Invitation.removed_at.is_(None), *conditions)


_COMING = Invitation.coming()


def queue_invites(meeting: Meeting, *, invitation: Invitation | None = None) -> None:
    """Queue the invites of everyone on the list not yet invited (or of one ``invitation``), in a
    few statements whatever their number."""
    now, stamp = utcnow(), _stamp()
    only = [Invitation.id == invitation.id] if invitation is not None else [Invitation.invited_at.is_(None)]
    outbox.enqueue_for(_recipients(meeting.id, *only), key_prefix="invite:", key_suffix=f":{stamp}", kind="invite")
    db.session.execute(sa.update(Invitation).where(Invitation.meeting_id == meeting.id,
                                                   Invitation.removed_at.is_(None), *only).values(invited_at=now))


def queue_updates(meeting: Meeting, *conditions) -> None:
    """Queue an update to each invited person still coming who meets ``conditions``, unless an
    invite or update of theirs is still waiting (it will say the same, being rendered later)."""
    delay = timedelta(seconds=current_app.config["UPDATE_DELAY_SECONDS"])
    recipients = _recipients(meeting.id, Invitation.invited_at.is_not(None), _COMING,
                             ~outbox.pending_exists(Invitation.id, ("invite", "update")), *conditions)
    outbox.enqueue_for(recipients, key_prefix="update:", key_suffix=f":{_stamp()}", kind="update",
                       due_at=utcnow() + delay)


def queue_cancel(invitation: Invitation, *, scope: str) -> None:
    """Queue a cancellation (``scope`` "meeting": it is off; "person": they are off the list)."""
    outbox.cancel_pending(invitation_id=invitation.id, reason="superseded by a cancellation")
    meeting = invitation.meeting
    outbox.enqueue(f"cancel:{invitation.id}:{meeting.sequence}:{scope}", "cancel", meeting_id=meeting.id,
                   invitation_id=invitation.id, person_id=invitation.person_id, payload={"scope": scope})


def resend_invite(invitation: Invitation) -> None:
    """Send someone their invite again (they lost it, or it failed), with the meeting as it is."""
    if not invitation.meeting.is_live:
        raise Conflict("Invites go out once the meeting is published.")
    if not invitation.is_active:
        raise Conflict("This person is no longer on the list.")
    queue_invites(invitation.meeting, invitation=invitation)
    audit.record("invitation.resent", meeting=invitation.meeting, person=invitation.person.email)


def on_meeting_published(meeting: Meeting, **_) -> None:
    queue_invites(meeting)
    reminders.schedule(meeting)


def on_meeting_changed(meeting: Meeting, changes=frozenset(), site=None, **_) -> None:
    if not meeting.is_live:
        return
    if changes & REMINDER_CHANGES:
        reminders.schedule(meeting)
    elif "agenda" in changes:
        # Speakers, and chairs and site hosts, who may speak too (`reminders.batches`).
        reminders.schedule(meeting, Invitation.role.in_([Role.SPEAKER, Role.CHAIR, Role.SITE_HOST]))
    if not (changes & VISIBLE_CHANGES):
        return
    if site is not None and changes <= SITE_CHANGES:
        queue_updates(meeting, Invitation.site_id == site.id)
    else:
        queue_updates(meeting)


def on_meeting_cancelled(meeting: Meeting, **_) -> None:
    if not meeting.is_published:
        return
    outbox.cancel_pending(meeting_id=meeting.id, reason="the meeting was cancelled")
    outbox.enqueue_for(_recipients(meeting.id, Invitation.invited_at.is_not(None)), key_prefix="cancel:",
                       key_suffix=f":{meeting.sequence}:meeting", kind="cancel", payload={"scope": "meeting"})


def on_invitation_added(invitation: Invitation, **_) -> None:
    if invitation.meeting.is_live:
        queue_invites(invitation.meeting, invitation=invitation)
        reminders.schedule(invitation.meeting, Invitation.id == invitation.id)


def on_invitations_added(meeting: Meeting, **_) -> None:
    # The invitations just added are those not yet invited (see `signals.invitations_added`):
    # their reminders first, while that still tells them apart, then their invites.
    if meeting.is_live:
        reminders.schedule(meeting, Invitation.invited_at.is_(None), Invitation.removed_at.is_(None))
        queue_invites(meeting)


def on_invitations_changed(meeting: Meeting, invitation_ids=(), **_) -> None:
    if not meeting.is_live:
        return
    for part in chunks(list(invitation_ids)):
        reminders.schedule(meeting, among(Invitation.id, part))  # a new role has other offsets
        queue_updates(meeting, among(Invitation.id, part))


def on_invitation_changed(invitation: Invitation, **_) -> None:
    if not invitation.meeting.is_live:
        return
    reminders.schedule(invitation.meeting, Invitation.id == invitation.id)  # a new role has other offsets
    if invitation.invited_at is not None and invitation.is_coming:
        queue_updates(invitation.meeting, Invitation.id == invitation.id)


def on_invitation_removed(invitation: Invitation, **_) -> None:
    if invitation.invited_at is not None and invitation.meeting.is_published:
        queue_cancel(invitation, scope="person")
    else:
        outbox.cancel_pending(invitation_id=invitation.id, reason="removed from the meeting")


def on_material_updated(material, **_) -> None:
    # One email per reader for a burst of uploads, after MATERIALS_NOTICE_DELAY_SECONDS: it lists
    # what is new to them since their last email and is skipped when nothing is (an update that
    # left first already told them). Not to those whose invite or a materials email still waits.
    from meetings.materials import notices

    meeting = db.session.get(Meeting, material.meeting_id)
    delay = current_app.config["MATERIALS_NOTICE_DELAY_SECONDS"]
    if meeting is None or not meeting.is_live or delay < 0:
        return
    recipients = _recipients(meeting.id, Invitation.invited_at.is_not(None), _COMING,
                             ~outbox.pending_exists(Invitation.id, ("invite", MATERIALS_KIND)),
                             notices.audience_condition(material))
    outbox.enqueue_for(recipients, key_prefix=f"{MATERIALS_KIND}:", key_suffix=f":{_stamp()}", kind=MATERIALS_KIND,
                       due_at=utcnow() + timedelta(seconds=delay))


def on_site_link_rotated(site, **_) -> None:
    # Only the host holds a site link by email; the new one reaches them at once. A draft's
    # invites have not gone out, and they will carry a fresh link when they do.
    meeting = site.meeting
    if not meeting.is_live or site.host_person_id is None:
        return
    host = db.session.scalar(sa.select(Invitation).where(
        Invitation.meeting_id == meeting.id, Invitation.person_id == site.host_person_id,
        Invitation.removed_at.is_(None), Invitation.invited_at.is_not(None)))
    if host is None:
        return
    outbox.enqueue(f"site_link:{site.id}:{host.id}:{_stamp()}", "site_link", meeting_id=meeting.id,
                   invitation_id=host.id, person_id=host.person_id, payload={"site_id": site.id})


def connect_signals() -> None:
    """Subscribe the receivers above."""
    signals.meeting_published.connect(on_meeting_published)
    signals.meeting_changed.connect(on_meeting_changed)
    signals.meeting_cancelled.connect(on_meeting_cancelled)
    signals.invitation_added.connect(on_invitation_added)
    signals.invitation_changed.connect(on_invitation_changed)
    signals.invitations_added.connect(on_invitations_added)
    signals.invitations_changed.connect(on_invitations_changed)
    signals.invitation_removed.connect(on_invitation_removed)
    signals.site_link_rotated.connect(on_site_link_rotated)
    signals.material_updated.connect(on_material_updated)
