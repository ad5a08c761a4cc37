"""Notifications API: ``/api/meetings/{id}/notifications``, what each person was and will be sent."""

from __future__ import annotations

from flask_smorest import Blueprint

from meetings.accounts.auth import protect_api_blueprint
from meetings.core.access import MEETING, access, loaded
from meetings.notifications import services
from meetings.notifications.schemas import NotificationQuerySchema, PersonNotificationsSchema

blueprint = Blueprint("notifications_api", __name__, url_prefix="/api",
                      description="The emails of a meeting: scheduled, sent, failed.")
protect_api_blueprint(blueprint)


@blueprint.route("/meetings/<int:meeting_id>/notifications", methods=["GET"])
@access(MEETING)
@blueprint.arguments(NotificationQuerySchema, location="query")
@blueprint.response(200, PersonNotificationsSchema(many=True))
def list_notifications(query, meeting_id):
    """Each invited person's emails (invites, updates, cancellations, confirmations, reminders) with
    their state, due and sent times, attempts and last error; by invitation, then by due time.
    Failed emails can be queued again with ``flask outbox retry ID``."""
    meeting = loaded(meeting_id)
    return services.notifications_of(meeting, query.get("status") or services.DEFAULT_STATUSES)
