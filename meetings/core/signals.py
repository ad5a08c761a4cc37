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

#: A site's host changed. ``sender`` is the site; ``person`` the new host (None when the site has
#: none now); ``previous`` the host before (None when it had none).
site_host_assigned = _signals.signal("site-host-assigned")

#: A speaker slot was added or its speaker changed. ``sender`` is the slot.
speaker_assigned = _signals.signal("speaker-assigned")

#: A person was invited (or invited again after being removed). ``sender`` is the invitation.
invitation_added = _signals.signal("invitation-added")

#: An invitation's role, site or mode changed. ``sender`` is the invitation; ``changes`` a set.
invitation_changed = _signals.signal("invitation-changed")

#: Many people were invited at once (a group invite), by statements rather than one by one.
#: ``sender`` is the meeting; the invitations concerned are its active ones whose ``invited_at``
#: is still None (new ones, and ones brought back, which had theirs cleared).
invitations_added = _signals.signal("invitations-added")

#: A group invite raised the role of many invitations at once. ``sender`` is the meeting;
#: ``invitation_ids`` the invitations (a list); ``changes`` a set, as for `invitation_changed`.
invitations_changed = _signals.signal("invitations-changed")

#: A person was taken off a meeting's list. ``sender`` is the invitation.
invitation_removed = _signals.signal("invitation-removed")

#: A person's answer changed their response (or they handed their place over). ``sender`` is an
#: `invitations.answers.Answer`: plain values, as the RSVP link's answer records it without
#: loading the invitation. Sent once the answer is recorded: through the RSVP link it is
#: committed already (one UPDATE in autocommit), so what a receiver writes in the session is a
#: transaction of its own; what an answer owes (its confirmation) is written with it
#: (`invitations.answers.owe_confirmation`), and reminders ask for the answer when they are due.
response_recorded = _signals.signal("response-recorded")

#: A person handed their place to someone else. ``sender`` is the delegator's invitation;
#: ``delegate`` the new invitation.
invitation_delegated = _signals.signal("invitation-delegated")

#: A site's join links were all replaced by a new one: its host must get it. ``sender`` is the site.
site_link_rotated = _signals.signal("site-link-rotated")

#: A material got a new version, or a new audience, after its meeting was published: the next
#: update email to its audience mentions it. ``sender`` is the material.
material_updated = _signals.signal("material-updated")
