"""API shapes of check-ins and of the export filters. Types only: the rules live in the services."""

from marshmallow import Schema, fields

from meetings.core.timezones import isoformat_in

_METHODS = ["qr", "roll_call", "join_link", "manual"]


class CheckInInSchema(Schema):
    """A check-in recorded by an organizer (or a device of theirs)."""

    invitation_id = fields.Integer(required=True, strict=True)
    method = fields.String(load_default="manual", metadata={"enum": _METHODS, "description": "Default manual."})


class CheckInResultSchema(Schema):
    """What a check-in did (dumped from ``{"invitation": ..., "first": ...}``): when the person
    counts as checked in, and whether this check-in was the one that counts."""

    invitation_id = fields.Function(lambda result: result["invitation"].id)
    checked_in_at = fields.Function(
        lambda result: isoformat_in(result["invitation"].checked_in_at, result["invitation"].meeting.timezone),
        metadata={"format": "date-time"})
    timezone = fields.Function(lambda result: result["invitation"].meeting.timezone)
    first = fields.Boolean(metadata={"description": "Whether this was the person's first check-in, the one "
                                                    "that counts; later ones are only logged."})


class AttendanceQuerySchema(Schema):
    """Filters of the attendance export; each may be repeated (any of the values)."""

    site = fields.List(fields.Integer(strict=False), metadata={"description": "Site ids."})
    unit = fields.List(fields.String(), metadata={"description": "Unit names (the units below them too)."})
    role = fields.List(fields.String(metadata={"enum": ["chair", "speaker", "site_host", "participant",
                                                        "observer"]}))
    response = fields.List(fields.String(metadata={"enum": ["needs-action", "accepted", "tentative", "declined",
                                                            "delegated"]}))
