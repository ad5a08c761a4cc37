"""Directory: the units of the group (headquarters, member enterprises, branches) and the people
who can be invited, with their titles, role tags, time zones and languages."""


def init_app(app):
    """Attach the people API and pages."""
    from meetings.directory import api, views
    from meetings.extensions import api as rest

    rest.register_blueprint(api.blueprint)
    app.register_blueprint(views.blueprint)
