"""Attendance: check-ins (QR at the main venue, roll call at remote sites, joins through links,
organizers by hand), head counts, and the attendance exports admins take away."""


def init_app(app):
    """Register the attendance tables, the check-in and export API, and the check-in page."""
    from meetings.attendance import api, models, views  # noqa: F401  (the tables must be known to migrations)
    from meetings.core.linkpages import exempt_link_pages
    from meetings.extensions import api as rest

    rest.register_blueprint(api.blueprint)
    exempt_link_pages(views.blueprint)
    app.register_blueprint(views.blueprint)
