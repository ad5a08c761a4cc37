"""Manage: the organizer's pages. They cut across the domains (a meeting with its sites, agenda,
invitations, reminders, answers and attendance), so they live above all of them, the way
Warehouse keeps its management pages apart from the domains they use."""


def init_app(app):
    """Attach the organizer pages."""
    from meetings.manage import agenda, board, invitations, materials, meetings, series, sites  # noqa: F401  (routes)
    from meetings.manage.blueprint import blueprint

    materials.exempt_uploads()
    app.register_blueprint(blueprint)
