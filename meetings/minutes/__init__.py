"""Minutes: what a meeting recorded and what follows from it. Notes per agenda item, decisions,
and action items with owners and due dates; the minutes' approval and their published versions,
emailed to the audience chosen; action items followed up until done (owners report by link,
reminders and weekly chasers through the outbox); and the next meeting copied from the last, with
the open items on its agenda (meetings copied from one another form a series)."""


def init_app(app):
    """Register the tables, the API, the link pages, the email renderers and the chasing job."""
    from meetings.core.access import register_loader
    from meetings.extensions import api as rest
    from meetings.minutes import actions, api, emails, followup, models, views  # noqa: F401

    register_loader("action_id", actions.get_action_for)  # an action's handlers: its meeting's rule
    rest.register_blueprint(api.blueprint)
    views.init_app(app)
    emails.register_renderers()
    followup.register_jobs(app)
