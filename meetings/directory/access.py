"""Who may change or remove a person: one rule, declared on every handler that does
(``@access(PERSON_CHANGE)``, `meetings.core.access`, which runs `check_change`), pages and API alike.

The directory is shared by every organizer, but a person's email is where every link of their
invitations is sent: whoever changes it receives their RSVP, join and check-in links. So:

- admins may change and remove anyone;
- an organizer may change or remove a person only while that person is on no meeting the
  organizer cannot see (invited, hosting a site or speaking there); else a 403 that says so.
  Such a person is changed by an admin, or by the organizers of those meetings once they share
  them.

Whether a person is on a meeting is known above the directory (invitations, scheduling): those
domains register a check here (`register_holder`), as notifications register their renderers
with the outbox, so the import order stays one way.
"""

from __future__ import annotations

from collections.abc import Callable, Collection

from flask_babel import gettext as _

from meetings.core.errors import Forbidden
from meetings.directory.models import Person
from meetings.directory.services import get_person, get_person_by_email

#: ``check(person_ids, user_id) -> set[int]``: those of the people that are on something the
#: organizer ``user_id`` may not see, in a few statements however many people are asked about.
#: Registered by the domains above the directory.
_holders: list[Callable[[Collection[int], int], set[int]]] = []


def register_holder(check: Callable[[Collection[int], int], set[int]]) -> None:
    """Add a check that a person is held by meetings an organizer may not see (idempotent)."""
    if check not in _holders:
        _holders.append(check)


def may_change(user, person: Person) -> bool:
    """Whether ``user`` may change or remove ``person`` (the rule of this module)."""
    return may_change_person(user, person.id)


def may_change_person(user, person_id: int) -> bool:
    """`may_change`, for a person known by id."""
    return person_id not in held_from(user, [person_id])


def held_from(user, person_ids: Collection[int]) -> set[int]:
    """Those of ``person_ids`` that ``user`` may not change (`may_change`), asked of the whole set
    at once: a roster of thousands of known people costs a few statements, not one per person."""
    if user.is_admin or not person_ids:
        return set()
    held: set[int] = set()
    for check in _holders:
        held |= check(person_ids, user.id)
    return held


def require_may_change(user, person: Person) -> None:
    """`Forbidden`, with the reason, unless ``user`` may change or remove ``person``."""
    if not may_change(user, person):
        raise Forbidden(_("%(name)s is on meetings of other organizers: only an admin, or you once those "
                          "meetings are shared with you, may change or remove them.", name=person.name))


def require_may_revive(user, email) -> None:
    """Adding someone who left brings back their entry, history and all, with the new fields: a
    change of that person, under the same rule (`require_may_change`)."""
    existing = get_person_by_email(email) if isinstance(email, str) else None
    if existing is not None and existing.removed_at is not None:
        require_may_change(user, existing)


def check_change(caller, view_args: dict) -> None:
    """The person rule of `meetings.core.access.PERSON_CHANGE`, run before a handler of
    ``/…/<person_id>`` does anything but read: `require_may_change`. ``caller`` has ``id`` and
    ``is_admin`` (an API token's caller or a signed-in user)."""
    require_may_change(caller, get_person(view_args["person_id"]))
