"""Attendance: check-ins (QR at the main venue, roll call at remote sites, joins through links,
organizers by hand), head counts, and the attendance exports admins take away."""


def init_app(app):
    """Register the attendance tables."""
    from meetings.attendance import models  # noqa: F401  (the tables must be known to migrations)
