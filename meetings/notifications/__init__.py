"""Notifications: what goes out to whom and when. Invites when a meeting is published or a
person is added, updates when something participants must see changes, cancellations,
confirmations of answers, and reminders by role; all queued through the outbox and rendered
from the state of things when they leave."""


def init_app(app):
    """Listen to the domains' signals and render the outbox's emails."""
    from meetings.notifications import dispatch, emails

    dispatch.connect_signals()
    emails.register_renderers()
