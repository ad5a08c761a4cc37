"""Materials: files attached to a meeting, an agenda item or a speaker slot; their versions,
audience and confidentiality; the storage of their bytes; the access log; speakers' uploads
through their invitation link, the deadline and its reminders."""


def init_app(app):
    """Attach the materials API and link pages, the link pages' lists, the deadline reminders, and
    the sweep of stored files nothing references."""
    from meetings.core.linkpages import exempt_link_pages, shows_per_holder
    from meetings.extensions import api as rest
    from meetings.materials import api, emails, links, models, reminders, services, sweep, views  # noqa: F401 (models)
    from meetings.outbox.delivery import register_renderer
    from meetings.outbox.scheduler import register_housekeeping

    rest.register_blueprint(api.blueprint)
    app.register_blueprint(views.blueprint)
    exempt_link_pages(views.blueprint)
    # The RSVP and join pages list a link's materials through this, from their templates.
    app.add_template_global(links.materials_for_link)
    # ... and a page kept whole is kept per what that list shows (meetings.core.stencils).
    shows_per_holder(app, links.shown_to)
    register_renderer(services.REMINDER_KIND, emails.render_reminders)
    register_housekeeping("materials-reminders", reminders.queue_reminders,
                          seconds=app.config["MATERIALS_REMINDER_CHECK_SECONDS"])
    register_housekeeping("storage-sweep", sweep.sweep_unreferenced, seconds=3600)
