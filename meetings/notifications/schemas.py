"""API shapes of the notifications list. Types only: the rules live in the services."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from meetings.core.timezones import isoformat_in
from meetings.invitations.schemas import PersonRefSchema
from meetings.outbox.models import OutboxStatus

_STATUSES = [status.value for status in OutboxStatus]


class NotificationQuerySchema(Schema):
    """Which emails to list."""

    status = fields.List(fields.String(validate=validate.OneOf(_STATUSES)), metadata={
        "description": "Only emails in these states (repeat the parameter for several). Default: all but "
                       "cancelled."})


class NotificationSchema(Schema):
    """One email: what it is, where it stands, and why it failed or was skipped. Times are in
    ``zone`` (the meeting's)."""

    id = fields.Integer()
    kind = fields.String(metadata={"enum": ["invite", "update", "cancel", "confirmation", "reminder", "site_link",
                                             "materials"]})
    status = fields.String(metadata={"enum": _STATUSES, "description": "pending and sending: scheduled."})
    due_at = fields.Method("_due_at", metadata={"format": "date-time",
                                                "description": "Not before: a reminder's time, or the next try."})
    sent_at = fields.Method("_sent_at", allow_none=True, metadata={"format": "date-time"})
    attempts = fields.Integer()
    last_error = fields.String(allow_none=True, metadata={
        "description": "Why the last try failed, or why it was skipped or cancelled."})
    subject = fields.String(allow_none=True, metadata={"description": "As it was sent."})
    before_minutes = fields.Function(lambda message: (message.payload or {}).get("before_minutes"), allow_none=True,
                                     metadata={"description": "Reminders: how long before."})

    def __init__(self, *args, zone: str = "UTC", **kwargs):
        super().__init__(*args, **kwargs)
        self.zone = zone

    def _due_at(self, message):
        return isoformat_in(message.due_at, self.zone)

    def _sent_at(self, message):
        return isoformat_in(message.sent_at, self.zone) if message.sent_at is not None else None


class _InMeetingZone(fields.Nested):
    """The notifications, their times in the meeting's zone (marshmallow 4 has no schema context)."""

    # marshmallow's Nested calls the first parameter ``nested_obj``, its base Field ``value``: no
    # name fits both of its signatures.
    def _serialize(self, value, attr, obj, **kwargs):  # type: ignore[override]
        return NotificationSchema(many=True, zone=obj.invitation.meeting.timezone).dump(value)


class PersonNotificationsSchema(Schema):
    """A person invited to the meeting and their emails, soonest first."""

    invitation_id = fields.Integer(attribute="invitation.id")
    person = fields.Nested(PersonRefSchema, attribute="invitation.person")
    role = fields.String(attribute="invitation.role")
    response = fields.String(attribute="invitation.response")
    removed = fields.Function(lambda entry: not entry.invitation.is_active, metadata={
        "type": "boolean", "description": "Taken off the list (they were sent a cancellation)."})
    notifications = _InMeetingZone(NotificationSchema, many=True, attribute="messages")
