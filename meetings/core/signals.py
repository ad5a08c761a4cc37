"""Every signal of the app, declared in one place.

A lower domain sends; a higher one listens (DESIGN.md §2). Receivers run synchronously in the
sender's transaction, so what they write is committed, or rolled back, with the change itself.
"""

from blinker import Namespace

_signals = Namespace()

#: A meeting's details changed. ``sender`` is the meeting; ``changes`` is a set of kinds among
#: ``time``, ``place``, ``agenda``, ``details``, ``join_link``, ``status``.
meeting_changed = _signals.signal("meeting-changed")

#: A meeting was published: invites must go out. ``sender`` is the meeting.
meeting_published = _signals.signal("meeting-published")

#: A meeting was cancelled. ``sender`` is the meeting.
meeting_cancelled = _signals.signal("meeting-cancelled")

#: A meeting is about to be deleted (only drafts can be). ``sender`` is the meeting.
meeting_deleting = _signals.signal("meeting-deleting")

#: A person was set as host of a site. ``sender`` is the site; ``person`` the host.
site_host_assigned = _signals.signal("site-host-assigned")

#: A speaker slot was added or its speaker changed. ``sender`` is the slot.
speaker_assigned = _signals.signal("speaker-assigned")
