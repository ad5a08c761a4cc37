"""Notifications: what goes out to whom and when. Invites when a meeting is published or a
person is added, updates when something participants must see changes, cancellations,
confirmations of answers, and reminders by role; all queued through the outbox and rendered
from the state of things when they leave."""


def init_app(app):
    """Listen to the domains' signals, render the outbox's emails, and list them for organizers."""
    from meetings.extensions import api as rest
    from meetings.notifications import api, confirmations, dispatch, emails
    from meetings.outbox.delivery import register_feed

    dispatch.connect_signals()
    emails.register_renderers()
    register_feed(confirmations.queue_due)
    rest.register_blueprint(api.blueprint)
