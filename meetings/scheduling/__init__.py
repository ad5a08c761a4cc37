"""Scheduling: meetings, their main venue and remote sites, the agenda and its speaker slots,
and the rules that hold them together (time zones, overlaps, speakers in one place at a time)."""


def init_app(app):
    """Attach the meetings API, the meeting rule of `meetings.core.access` and the housekeeping job
    that finishes past meetings."""
    from meetings.core.access import register_loader
    from meetings.extensions import api as rest
    from meetings.outbox.scheduler import register_housekeeping
    from meetings.scheduling import api, services

    register_loader("meeting_id", services.get_meeting_for)  # the rule of `MEETING` handlers
    rest.register_blueprint(api.blueprint)
    register_housekeeping("finish-meetings", services.finish_past_meetings, seconds=300)
