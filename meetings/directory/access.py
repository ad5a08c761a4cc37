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

from collections.abc import Callable

from flask_babel import gettext as _

from meetings.core.errors import Forbidden
from meetings.directory.models import Person
from meetings.directory.services import get_person, get_person_by_email

#: ``check(person_id, user_id) -> bool``: whether the person is on something the organizer
#: ``user_id`` may not see. Registered by the domains above the directory.
_holders: list[Callable[[int, int], bool]] = []


def register_holder(check: Callable[[int, int], bool]) -> None:
    """Add a check that a person is held by meetings an organizer may not see (idempotent)."""
    if check not in _holders:
        _holders.append(check)


def may_change(user, person: Person) -> bool:
    """Whether ``user`` may change or remove ``person`` (the rule of this module)."""
    return may_change_person(user, person.id)


def may_change_person(user, person_id: int) -> bool:
    """`may_change`, for a person known by id (a roster's rows)."""
    if user.is_admin:
        return True
    return not any(check(person_id, user.id) for check in _holders)


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
