"""A group invite: thousands of people invited in a few statements.

`services.invite_person` is one person at a time: a look-up, an ORM row, a flush and a signal
whose receivers queue that person's invite and reminders, several statements each. For a group
of 10,000 that took most of a minute. Here the group is read in one statement, the new
invitations inserted in chunks, the ones brought back and the roles raised updated in chunks,
and the receivers told once for all of them (`signals.invitations_added`,
`signals.invitations_changed`), which queue every invite and reminder in a few set-based
statements. The rules are `invite_person`'s with ``group=True``: people are added, roles only
raised, nobody moved.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa

from meetings.core import signals
from meetings.core.bulk import among, chunks, insert_rows
from meetings.core.db import utcnow
from meetings.core.roles import Role
from meetings.directory.models import Person
from meetings.extensions import db
from meetings.invitations.models import Invitation, Mode, Response
from meetings.scheduling import versions
from meetings.scheduling.models import Meeting, Site

#: How a person of a unit is placed: `services.placement_for_unit` with the invite's site and mode.
Placement = Callable[[int | None], tuple[Site | None, Mode]]


def invite_group(meeting: Meeting, members: sa.Select, role: Role, *, place: Placement) -> list[int]:
    """Invite everyone ``members`` selects (a select of `Person`, `directory.people_selection`)
    in ``role``; returns the ids of the invitations of all of them, new or not, in order.

    Placement follows each person's unit (computed once per unit); a placement error (no remote
    site for a unit, when ``remote_site`` was asked) refuses the whole group, as it did one by one.
    """
    people = db.session.execute(members.with_only_columns(Person.id, Person.unit_id).order_by(Person.id)).all()
    if not people:
        return []
    existing = {row.person_id: row for row in db.session.execute(
        sa.select(Invitation.id, Invitation.person_id, Invitation.role, Invitation.removed_at)
        .where(Invitation.meeting_id == meeting.id))}
    placed: dict[int | None, tuple[int | None, Mode]] = {}

    def where(unit_id):
        if unit_id not in placed:
            site, mode = place(unit_id)
            placed[unit_id] = (site.id if site is not None else None, mode)
        return placed[unit_id]

    now = utcnow()
    new, back, raised = [], [], []
    for person_id, unit_id in people:
        invitation = existing.get(person_id)
        if invitation is not None and invitation.removed_at is None:
            if role.rank > invitation.role.rank:
                raised.append(invitation.id)
            continue
        site_id, mode = where(unit_id)
        values = {"role": role, "site_id": site_id, "mode": mode}
        if invitation is None:
            new.append({"meeting_id": meeting.id, "person_id": person_id, "response": Response.NEEDS_ACTION,
                        "created_at": now, **values})
        else:
            back.append({"row_id": invitation.id, **{f"new_{name}": value for name, value in values.items()}})
    insert_rows(Invitation.__table__, new, options=versions.MOVED)
    if back:
        # Brought back as `invite_person` does, and with ``invited_at`` cleared: that is how the
        # receivers of `invitations_added` know them (they get a fresh invite, as new people do).
        table = Invitation.__table__
        db.session.execute(sa.update(table).where(table.c.id == sa.bindparam("row_id")).values(
            role=sa.bindparam("new_role"), site_id=sa.bindparam("new_site_id"), mode=sa.bindparam("new_mode"),
            response=Response.NEEDS_ACTION, responded_at=None, removed_at=None, delegated_to_id=None,
            delegated_from_id=None, reply_sequence=None, reply_stamp=None, invited_at=None)
            .execution_options(**versions.MOVED), back)
    for part in chunks(raised):
        db.session.execute(sa.update(Invitation).where(among(Invitation.id, part)).values(role=role)
                           .execution_options(synchronize_session=False, **versions.MOVED))
    if new or back or raised:
        # The statements bypass the ORM's flush, which the content version follows.
        versions.changed(db.session, [meeting.id])
        db.session.expire_all()  # rows loaded before (the meeting's invitations) are stale now
    if new or back:
        signals.invitations_added.send(meeting)
    if raised:
        signals.invitations_changed.send(meeting, invitation_ids=raised, changes=frozenset({"role"}))
    return list(db.session.scalars(
        sa.select(Invitation.id).where(Invitation.meeting_id == meeting.id, Invitation.person_id.in_(
            members.with_only_columns(Person.id).scalar_subquery())).order_by(Invitation.id)))
