"""Materials: files attached to a meeting, an agenda item or a speaker slot; their versions,
audience and confidentiality; the storage of their bytes; the access log; speakers' uploads
through their invitation link, the deadline and its reminders."""


def init_app(app):
    """Attach the materials API, the link pages' materials, and the deadline reminders."""
    from meetings.extensions import api as rest
    from meetings.materials import api, models  # noqa: F401 (models: the tables, their content versions)

    from meetings.core.linkpages import exempt_link_pages
    from meetings.materials import links, views

    rest.register_blueprint(api.blueprint)
    app.register_blueprint(views.blueprint)
    exempt_link_pages(views.blueprint)
    # The RSVP and join pages list a link's materials through this, from their templates.
    app.add_template_global(links.materials_for_link)
