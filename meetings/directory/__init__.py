"""Directory: the units of the group (headquarters, member enterprises, branches) and the people
who can be invited, with their titles, role tags, time zones and languages."""


def init_app(app):
    """Attach the people API and pages, and the person rule of `meetings.core.access`."""
    from meetings.core.access import PERSON_CHANGE, register_check
    from meetings.directory import access, api, uploads, views
    from meetings.extensions import api as rest
    from meetings.outbox.scheduler import register_housekeeping

    register_check(PERSON_CHANGE, access.check_change)
    rest.register_blueprint(api.blueprint)
    app.register_blueprint(views.blueprint)
    register_housekeeping("remove-expired-rosters", uploads.remove_expired, seconds=600)
