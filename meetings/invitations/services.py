"""Invitation rules: who is invited in which role and where, their answers, and delegation.

A person is invited once per meeting. When they are invited again, the higher role wins
(chair > speaker > site_host > participant > observer); a group invite never downgrades anyone
nor moves them to another site.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import lazyload

from meetings.accounts import audit
from meetings.core import signals
from meetings.core.bulk import CHUNK, among, chunks, on_postgresql
from meetings.core.db import utcnow
from meetings.core.errors import InvalidInput, NotFound
from meetings.core.roles import Role
from meetings.core.validation import clean_email, clean_text
from meetings.directory import services as directory
from meetings.directory.access import register_holder
from meetings.directory.models import Person
from meetings.extensions import db
from meetings.invitations import answers, groups, links
from meetings.invitations.models import Invitation, LinkPurpose, Mode, Response
from meetings.scheduling import agenda
from meetings.scheduling.models import AgendaItem, Meeting, Site, SiteKind, SpeakerSlot
from meetings.scheduling.services import organizer_may_see, require_editable


def get_invitation(meeting: Meeting, invitation_id: int) -> Invitation:
    """The active invitation ``invitation_id`` of ``meeting``; `NotFound` otherwise."""
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or invitation.meeting_id != meeting.id or not invitation.is_active:
        raise NotFound(_("No invitation with id %(id)s in this meeting.", id=invitation_id))
    return invitation


def invitations_of(meeting: Meeting, *, include_removed: bool = False) -> list[Invitation]:
    """The meeting's invitations in a stable order (by id)."""
    query = sa.select(Invitation).where(Invitation.meeting_id == meeting.id)
    if not include_removed:
        query = query.where(Invitation.removed_at.is_(None))
    return list(db.session.scalars(query.order_by(Invitation.id)))


def invitations_by_id(ids: list[int]) -> list[Invitation]:
    """The invitations ``ids``, in that order, loaded in a few statements (with their people):
    what a request answers after its commit expired the ones it had."""
    found: dict[int, Invitation] = {}
    # The meeting and the sites are the same few rows for all: loaded once each, from the
    # identity map, instead of joined to every row.
    query = sa.select(Invitation).options(lazyload(Invitation.meeting), lazyload(Invitation.site))
    for part in chunks(ids):
        found.update((i.id, i) for i in db.session.scalars(query.where(among(Invitation.id, part))))
    return [found[i] for i in ids if i in found]


def _parse_role(value, default: Role = Role.PARTICIPANT) -> Role:
    if value in (None, ""):
        return default
    try:
        return Role(value)
    except ValueError:
        raise InvalidInput("The role must be one of " + ", ".join(r.value for r in Role) + ".", "role") from None


def _parse_mode(value) -> Mode | None:
    if value in (None, ""):
        return None
    try:
        return Mode(value)
    except ValueError:
        raise InvalidInput("The mode must be one of " + ", ".join(m.value for m in Mode) + ".", "mode") from None


def _site_of(meeting: Meeting, site_id) -> Site | None:
    if site_id is None:
        return None
    site = next((s for s in meeting.sites if s.id == site_id), None)
    if site is None:
        raise InvalidInput(f"The meeting has no site with id {site_id}.", "site_id")
    return site


def placement(meeting: Meeting, person: Person, site: Site | None, mode: Mode | None) -> tuple[Site | None, Mode]:
    """Where and how ``person`` attends, filling in what was not given.

    Without a site, a person goes to the remote site hosted by someone of their own unit (their
    enterprise's room), else to the main venue. Online attendees have no site. While a draft has
    no main venue yet, in-person attendees have none either: they are at the main venue, wherever
    it will be (`Invitation.venue`).
    """
    return placement_for_unit(meeting, person.unit_id, site, mode)


def placement_for_unit(meeting: Meeting, unit_id: int | None, site: Site | None,
                       mode: Mode | None) -> tuple[Site | None, Mode]:
    """`placement` of a person of unit ``unit_id`` (the same for everyone of that unit)."""
    if mode == Mode.ONLINE:
        return None, Mode.ONLINE
    if site is None:
        if mode != Mode.IN_PERSON and unit_id is not None:
            site = next((s for s in meeting.sites if s.kind == SiteKind.REMOTE and s.host is not None
                         and s.host.unit_id == unit_id), None)
        if site is None and mode != Mode.REMOTE_SITE:
            site = meeting.main_site
            if site is None:
                return None, Mode.IN_PERSON
        if site is None:
            raise InvalidInput(_("The meeting has no remote site for them yet."), "site_id")
    expected = Mode.IN_PERSON if site.kind == SiteKind.MAIN else Mode.REMOTE_SITE
    if mode is not None and mode != expected:
        raise InvalidInput(f"At {'the main venue' if expected == Mode.IN_PERSON else 'a remote site'} the mode "
                           f"is {expected.value}.", "mode")
    return site, expected


def invite_person(meeting: Meeting, person: Person, role: Role, *, site: Site | None = None,
                  mode: Mode | None = None, group: bool = False) -> Invitation:
    """Invite ``person``, or raise their existing invitation's role if ``role`` is higher.

    ``group`` invites only add people and raise roles; an individual invite also moves the
    person to the ``site``/``mode`` given.
    """
    if person.removed_at is not None:
        raise InvalidInput(_("%(name)s has left the directory.", name=person.name), "email")
    invitation = db.session.scalar(sa.select(Invitation).where(Invitation.meeting_id == meeting.id,
                                                               Invitation.person_id == person.id))
    if invitation is None or not invitation.is_active:
        placed_site, placed_mode = placement(meeting, person, site, mode)
        if invitation is None:
            invitation = Invitation(meeting_id=meeting.id, person_id=person.id)
            db.session.add(invitation)
        invitation.person = person
        invitation.meeting = meeting
        invitation.role, invitation.site, invitation.mode = role, placed_site, placed_mode
        invitation.response, invitation.responded_at, invitation.removed_at = Response.NEEDS_ACTION, None, None
        invitation.delegated_to_id = invitation.delegated_from_id = None
        invitation.reply_sequence = invitation.reply_stamp = None
        db.session.flush()
        signals.invitation_added.send(invitation)
        return invitation
    changes = set()
    if role.rank > invitation.role.rank:
        invitation.role = role
        changes.add("role")
    if not group and (site is not None or mode is not None):
        placed_site, placed_mode = placement(meeting, person, site, mode)
        if placed_site is not invitation.site or placed_mode != invitation.mode:
            invitation.site, invitation.mode = placed_site, placed_mode
            changes.add("site")
    if changes:
        db.session.flush()
        signals.invitation_changed.send(invitation, changes=frozenset(changes))
    return invitation


def invite(meeting: Meeting, data: dict) -> list[Invitation]:
    """Invite one person (``email`` or ``person_id``) or a group (``tags`` and/or ``unit``)."""
    return invitations_by_id(invite_ids(meeting, data))


def invite_ids(meeting: Meeting, data: dict) -> list[int]:
    """`invite`, returning the ids of the invitations made or changed (a group's are many: a
    request loads them once, after its commit, with `invitations_by_id`)."""
    require_editable(meeting)
    role = _parse_role(data.get("role"))
    mode = _parse_mode(data.get("mode"))
    site = _site_of(meeting, data.get("site_id"))
    one = data.get("email") or data.get("person_id") is not None
    many = bool(data.get("tags")) or bool(data.get("unit"))
    if one and many:
        raise InvalidInput(_("Invite one person (email or person_id) or a group (tags, unit), not both."), "email")
    if one:
        if data.get("person_id") is not None:
            person = directory.get_person(data["person_id"])
        else:
            person = directory.require_person_by_email(data["email"])
        invited = [invite_person(meeting, person, role, site=site, mode=mode).id]
        audit.record("invitation.added", meeting=meeting, person=person.email, role=role.value)
        return invited
    if not many:
        raise InvalidInput(_("Say whom to invite: an email or person_id, or tags and/or a unit."), "email")
    tags = data.get("tags") or []
    members = directory.people_selection([tags] if isinstance(tags, str) else tags, data.get("unit"))
    invited = groups.invite_group(meeting, members, role,
                                  place=lambda unit_id: placement_for_unit(meeting, unit_id, site, mode))
    if not invited:
        raise InvalidInput(_("No one in the directory matches these tags and unit."), "tags")
    audit.record("invitation.group_added", meeting=meeting, tags=data.get("tags"), unit=data.get("unit"),
                 role=role.value, people=len(invited))
    return invited


def group_members(tags: Iterable[str], unit: str | None) -> list[Person]:
    """The people a group invite reaches (any of the tags, in the unit or below)."""
    if isinstance(tags, str):
        tags = [tags]
    return directory.find_people(tags, unit)


def update_invitation(meeting: Meeting, invitation: Invitation, data: dict) -> Invitation:
    """The organizer changes a role, a site or a mode (a role may go down here: it is explicit)."""
    require_editable(meeting)
    changes = set()
    if data.get("role"):
        role = _parse_role(data["role"])
        if role != invitation.role:
            invitation.role = role
            changes.add("role")
    if "site_id" in data or data.get("mode"):
        site = _site_of(meeting, data.get("site_id")) if "site_id" in data else invitation.site
        mode = _parse_mode(data.get("mode")) if data.get("mode") else None
        if "site_id" in data and mode is None and site is None:
            mode = Mode.ONLINE
        placed_site, placed_mode = placement(meeting, invitation.person, site, mode)
        if placed_site is not invitation.site or placed_mode != invitation.mode:
            invitation.site, invitation.mode = placed_site, placed_mode
            changes.add("site")
    if changes:
        db.session.flush()
        audit.record("invitation.changed", meeting=meeting, person=invitation.person.email,
                     role=invitation.role.value, mode=invitation.mode.value)
        signals.invitation_changed.send(invitation, changes=frozenset(changes))
    return invitation


def remove_invitation(meeting: Meeting, invitation: Invitation) -> None:
    """Take a person off the list; they get a cancellation if they had an invite."""
    require_editable(meeting)
    invitation.removed_at = utcnow()
    db.session.flush()
    audit.record("invitation.removed", meeting=meeting, person=invitation.person.email)
    signals.invitation_removed.send(invitation)


# --- delegation --------------------------------------------------------------------------------

def delegate(invitation: Invitation, delegate_email: str, delegate_name: str | None = None, *,
             via: str = "link") -> Invitation:
    """Hand ``invitation`` to someone else: they are invited in the same role and site, and the
    delegator is marked delegated. Someone not yet in the directory is added to the delegator's unit."""
    answers.require_open(invitation)
    email = clean_email(delegate_email, "delegate_email")
    delegator = invitation.person
    if email == delegator.email:
        raise InvalidInput(_("Delegate to someone else."), "delegate_email")
    person = directory.get_person_by_email(email)
    if person is None:
        name = clean_text(delegate_name, "delegate_name", max_length=200) or email.split("@")[0]
        person = directory.create_person({
            "name": name, "email": email, "unit": delegator.unit_name, "timezone": delegator.timezone,
            "language": delegator.language, "title": ""})
    existing = db.session.scalar(sa.select(Invitation).where(Invitation.meeting_id == invitation.meeting_id,
                                                             Invitation.person_id == person.id))
    if existing is not None and existing.is_active and existing.response != Response.DECLINED:
        raise InvalidInput(_("%(name)s is already invited.", name=person.name), "delegate_email")
    meeting = invitation.meeting
    new = invite_person(meeting, person, invitation.role, site=invitation.site,
                        mode=invitation.mode if invitation.mode == Mode.ONLINE else None)
    if new.role.rank < invitation.role.rank:
        new.role = invitation.role
    # They had declined for themselves; a colleague handing them the place asks them again: they
    # answer afresh, and get the invite (as a delegate) and the reminders of a coming guest.
    asked_again = new.response == Response.DECLINED
    if asked_again:
        new.response, new.responded_at = Response.NEEDS_ACTION, None
        new.reply_sequence = new.reply_stamp = None
    new.delegated_from_id = invitation.id
    invitation.response = Response.DELEGATED
    invitation.responded_at = utcnow()
    invitation.delegated_to_id = new.id
    answers.owe_confirmation(invitation, via)
    # The seat is the delegate's now: the delegator's own way in (their join link, their QR code)
    # stops working, so it can no longer join the conference or check them in. Their RSVP link
    # still shows that they handed the place on.
    for purpose in (LinkPurpose.JOIN, LinkPurpose.CHECKIN):
        links.revoke(purpose, invitation_id=invitation.id)
    db.session.flush()
    # Whoever takes the place gives the speech too; a delegate who speaks elsewhere at that time
    # is refused (InvalidInput, and the request's transaction is rolled back whole).
    agenda.hand_over_slots(meeting, delegator, person)
    signals.response_recorded.send(answers.Answer(invitation.id, invitation.meeting_id, invitation.person_id,
                                                  Response.DELEGATED, via, meeting.is_live))
    if asked_again:
        signals.invitation_added.send(new)
    signals.invitation_delegated.send(invitation, delegate=new)
    return new


# --- listeners: people the agenda and the sites name are invited -------------------------------

def _invite_speaker(slot, **_):
    meeting = slot.agenda_item.meeting
    invite_person(meeting, slot.person, Role.SPEAKER, group=True)


def _invite_site_host(site, person, previous=None, **_):
    if person is not None:
        invite_person(site.meeting, person, Role.SITE_HOST, site=site)
    if previous is not None and previous is not person:
        _stand_down_site_host(site, previous)


def _stand_down_site_host(site: Site, person: Person) -> None:
    """A replaced host stays invited, as a participant of the site (unless they host another
    site of the meeting), and the site's links they were given stop working."""
    links.revoke(LinkPurpose.SITE, site_id=site.id)
    invitation = db.session.scalar(sa.select(Invitation).where(Invitation.meeting_id == site.meeting_id,
                                                               Invitation.person_id == person.id))
    hosts_another = any(other.host_person_id == person.id for other in site.meeting.sites if other is not site)
    if invitation is None or not invitation.is_active or invitation.role != Role.SITE_HOST or hosts_another:
        return
    invitation.role = Role.PARTICIPANT
    db.session.flush()
    signals.invitation_changed.send(invitation, changes=frozenset({"role"}))


# --- who holds a person: the directory's rule for changing them (meetings.directory.access) -----

_HIDDEN_MEETINGS = sa.select(Meeting.id).where(~organizer_may_see(sa.bindparam("user_id")))


def on_meetings_hidden_from(person_ids: Collection[int], user_id: int) -> set[int]:
    """Those of ``person_ids`` invited to, hosting a site of, or speaking at a meeting the
    organizer ``user_id`` may not see (whatever its state: their history names them too). One
    statement per `CHUNK` people (on PostgreSQL four times that: each list is one array)."""
    held: set[int] = set()
    ids = sorted(set(person_ids))
    for part in chunks(ids, CHUNK * 4 if on_postgresql() else CHUNK):
        statement: sa.CompoundSelect[tuple[int]] = sa.union(
            sa.select(Invitation.person_id).where(among(Invitation.person_id, part), Invitation.removed_at.is_(None),
                                                  Invitation.meeting_id.in_(_HIDDEN_MEETINGS)),
            sa.select(Site.host_person_id).where(among(Site.host_person_id, part),
                                                 Site.meeting_id.in_(_HIDDEN_MEETINGS)),
            sa.select(SpeakerSlot.person_id).join(AgendaItem, SpeakerSlot.agenda_item_id == AgendaItem.id).where(
                among(SpeakerSlot.person_id, part), AgendaItem.meeting_id.in_(_HIDDEN_MEETINGS)),
        )
        held.update(db.session.scalars(statement, {"user_id": user_id}))
    return held


def connect_signals() -> None:
    """Invite speakers and site hosts as the agenda and the sites name them; tell the directory
    which people meetings hold."""
    register_holder(on_meetings_hidden_from)
    signals.speaker_assigned.connect(_invite_speaker)
    signals.site_host_assigned.connect(_invite_site_host)
