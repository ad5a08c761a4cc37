"""Roles of people in a meeting and what each role means everywhere else.

One table per rule: how roles rank when one person is invited twice, which iCalendar ROLE they
carry, and which reminders they get unless a meeting says otherwise.
"""

from __future__ import annotations

import enum


class Role(enum.StrEnum):
    """The part a person plays in a meeting."""

    CHAIR = "chair"
    SPEAKER = "speaker"
    SITE_HOST = "site_host"
    PARTICIPANT = "participant"
    OBSERVER = "observer"

    @property
    def rank(self) -> int:
        """Higher wins when one person is invited in two roles."""
        return _RANK[self]

    @property
    def ical_role(self) -> str:
        """The iCalendar ROLE parameter (RFC 5545 §3.2.16)."""
        return _ICAL_ROLE[self]

    @property
    def default_reminders(self) -> tuple[int, ...]:
        """Minutes before the meeting (a speaker: before their slot) at which reminders go out."""
        return _DEFAULT_REMINDERS[self]


_RANK = {
    Role.CHAIR: 5,
    Role.SPEAKER: 4,
    Role.SITE_HOST: 3,
    Role.PARTICIPANT: 2,
    Role.OBSERVER: 1,
}

_ICAL_ROLE = {
    Role.CHAIR: "CHAIR",
    Role.SPEAKER: "REQ-PARTICIPANT",
    Role.SITE_HOST: "REQ-PARTICIPANT",
    Role.PARTICIPANT: "REQ-PARTICIPANT",
    Role.OBSERVER: "OPT-PARTICIPANT",
}

_DAY = 24 * 60
_DEFAULT_REMINDERS = {
    Role.CHAIR: (_DAY, 60),
    Role.SPEAKER: (3 * _DAY, 60, 15),
    Role.SITE_HOST: (_DAY, 30),
    Role.PARTICIPANT: (_DAY, 60),
    Role.OBSERVER: (60,),
}

#: The furthest ahead a reminder may be set.
MAX_REMINDER_MINUTES = 60 * _DAY
#: Reminders one role of one meeting may have: each is a row per invitee in the outbox, and every
#: change to the meeting rewrites them all (10,000 policies held SQLite's write lock for 25 s).
MAX_REMINDERS_PER_ROLE = 20
