"""Conferencing: the videoconference providers (Jitsi, BigBlueButton, a fixed link), the join
page behind every join link, and the roll call reached from a site's link."""


def init_app(app):
    """Attach the join and roll-call pages and the site links API."""
    from meetings.conferencing import api, views
    from meetings.core.linkpages import exempt_link_pages
    from meetings.extensions import api as rest

    rest.register_blueprint(api.blueprint)
    exempt_link_pages(views.blueprint)
    app.register_blueprint(views.blueprint)
