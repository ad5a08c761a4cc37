"""Notifications API: ``/api/meetings/{id}/notifications``, what each person was and will be sent."""

from __future__ import annotations

from flask_smorest import Blueprint

from meetings.accounts.auth import current_api_caller, protect_api_blueprint
from meetings.notifications import services
from meetings.notifications.schemas import NotificationQuerySchema, PersonNotificationsSchema
from meetings.scheduling.services import get_meeting_for

blueprint = Blueprint("notifications_api", __name__, url_prefix="/api",
                      description="The emails of a meeting: scheduled, sent, failed.")
protect_api_blueprint(blueprint)


@blueprint.route("/meetings/<int:meeting_id>/notifications", methods=["GET"])
@blueprint.arguments(NotificationQuerySchema, location="query")
@blueprint.response(200, PersonNotificationsSchema(many=True))
def list_notifications(query, meeting_id):
    """Each invited person's emails (invites, updates, cancellations, confirmations, reminders) with
    their state, due and sent times, attempts and last error; by invitation, then by due time.
    Failed emails can be queued again with ``flask outbox retry ID``."""
    meeting = get_meeting_for(current_api_caller(), meeting_id)
    return services.notifications_of(meeting, query.get("status") or services.DEFAULT_STATUSES)
