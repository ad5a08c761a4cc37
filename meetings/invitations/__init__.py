"""Invitations: who is invited to a meeting and in which role, their answers (RSVP links,
delegation, calendar replies), capability links, and the iCalendar objects of every invite."""


def init_app(app):
    """Attach the invitations API and link pages, and invite speakers and site hosts as named."""
    from meetings.core.linkpages import exempt_link_pages
    from meetings.extensions import api as rest
    from meetings.invitations import api, mailbox, services, views
    from meetings.outbox.scheduler import register_housekeeping

    services.connect_signals()
    rest.register_blueprint(api.blueprint)
    app.register_blueprint(views.blueprint)
    exempt_link_pages(views.blueprint)
    if app.config.get("IMAP_HOST"):
        register_housekeeping("read-replies", mailbox.read_replies, seconds=app.config["IMAP_POLL_SECONDS"])
