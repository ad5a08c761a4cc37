"""API shapes of minutes, action items, copies and series. Types only: the rules live in the services."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

from meetings.core.schemas import Id
from meetings.scheduling.schemas import MeetingSchema

_DUE_HELP = "The day it is due, YYYY-MM-DD (in the meeting's time zone); not before the meeting."


class NoteSchema(Schema):
    """Notes on one agenda item (``agenda_item_id`` null: the meeting as a whole)."""

    class Meta:
        unknown = EXCLUDE  # what GET answered may be sent back as it is

    agenda_item_id = Id(allow_none=True)
    text = fields.String(required=True, metadata={"description": "Plain text: lines, '- ' lists, **bold**."})


class DecisionSchema(Schema):
    """A decision."""

    class Meta:
        unknown = EXCLUDE  # what GET answered may be sent back as it is

    text = fields.String(required=True)
    agenda_item_id = Id(allow_none=True)


class ActionInSchema(Schema):
    """An action item; send its ``id`` to change an existing one (actions left out are removed)."""

    class Meta:
        unknown = EXCLUDE  # what GET answered may be sent back as it is

    id = Id(allow_none=True)
    title = fields.String(required=True)
    owner_email = fields.String(required=True, metadata={
        "description": "The responsible person: invited to the meeting, or in a unit of the group."})
    owner_unit = fields.String(allow_none=True, metadata={"description": "The unit that owns it, when a unit does."})
    unit = fields.String(allow_none=True, metadata={"description": "The enterprise or unit it concerns."})
    due = fields.String(required=True, metadata={"format": "date", "description": _DUE_HELP})
    agenda_item_id = Id(allow_none=True)


class MinutesInSchema(Schema):
    """The whole content of the minutes (a PUT replaces it)."""

    class Meta:
        unknown = EXCLUDE  # what GET answered may be sent back as it is

    notes = fields.List(fields.Nested(NoteSchema), load_default=list)
    decisions = fields.List(fields.Nested(DecisionSchema), load_default=list)
    actions = fields.List(fields.Nested(ActionInSchema), load_default=list)


class ActionOwnerSchema(Schema):
    """A person, briefly."""

    id = fields.Integer()
    name = fields.String()
    email = fields.String()
    unit = fields.Function(lambda person: person.unit.name if person.unit else None)


class EvidenceSchema(Schema):
    """A file an owner attached (download it from the actions page)."""

    id = fields.Integer()
    filename = fields.String()
    size = fields.Integer()
    uploaded_by = fields.String()
    uploaded_at = fields.DateTime()


class ActionSchema(Schema):
    """An action item as it stands."""

    id = fields.Integer()
    meeting_id = fields.Integer()
    title = fields.String()
    owner_email = fields.Function(lambda action: action.owner.email)
    owner = fields.Nested(ActionOwnerSchema)
    owner_unit = fields.Function(lambda action: action.owner_unit.name if action.owner_unit else None)
    unit = fields.Function(lambda action: action.concerns_unit.name if action.concerns_unit else None)
    due = fields.Function(lambda action: action.due_on.isoformat(), metadata={"format": "date"})
    requested_due = fields.Function(
        lambda action: action.requested_due_on.isoformat() if action.requested_due_on else None)
    agenda_item_id = fields.Integer(allow_none=True)
    status = fields.Function(lambda action: action.status.value,
                             metadata={"enum": ["open", "done_reported", "done", "cancelled"]})
    progress = fields.String()
    overdue = fields.Function(lambda action: _overdue(action))
    done_at = fields.DateTime(allow_none=True)
    evidence = fields.List(fields.Nested(EvidenceSchema))


def _overdue(action) -> bool:
    from meetings.minutes.actions import is_overdue

    return is_overdue(action)


class MinutesVersionSchema(Schema):
    """A published version: its number, when, to whom, and what changed."""

    number = fields.Integer()
    published_at = fields.DateTime()
    audience = fields.String()
    approved_by = fields.String()
    published_by = fields.String()
    changes = fields.List(fields.Dict())


class MinutesSchema(Schema):
    """The minutes: content, state, version, approver."""

    meeting_id = fields.Integer()
    state = fields.Function(lambda minutes: minutes.state.value,
                            metadata={"enum": ["draft", "submitted", "approved", "published"]})
    version = fields.Integer()
    approver = fields.Function(lambda minutes: _approver(minutes))
    approved_by = fields.String(allow_none=True)
    updated_at = fields.DateTime()
    notes = fields.List(fields.Nested(NoteSchema))
    decisions = fields.List(fields.Nested(DecisionSchema))
    actions = fields.Method("_actions", metadata={"type": "array", "items": {"$ref": "#/components/schemas/Action"}})
    versions = fields.List(fields.Nested(MinutesVersionSchema))

    def _actions(self, minutes):
        # A dropped action stays in the log, not in the minutes (a PUT without it keeps it dropped).
        return ActionSchema(many=True).dump([a for a in minutes.actions if a.status.value != "cancelled"])


def _approver(minutes) -> dict:
    from meetings.minutes.services import approver_label

    return approver_label(minutes)


class ApproverSchema(Schema):
    """Who approves: ``owner`` (default), ``chair``, or an organizer's email."""

    approver = fields.String(required=True)


class ReopenSchema(Schema):
    """Why the minutes are reopened (goes into the next version's "what changed")."""

    reason = fields.String(load_default="")


class PublishSchema(Schema):
    """Whom the published minutes go to (the action owners always get theirs)."""

    audience = fields.String(load_default="invited", validate=validate.OneOf(["invited", "attended"]))
    roles = fields.List(fields.String(), load_default=list, metadata={"description": "Only these roles."})
    site_ids = fields.List(Id(), load_default=list, metadata={"description": "Only these sites."})


class ActionQuerySchema(Schema):
    """Filters of the action list."""

    status = fields.String(validate=validate.OneOf(["open", "done", "done_reported", "cancelled"]))
    owner = fields.String(metadata={"description": "The owner's email."})
    unit = fields.String(metadata={"description": "A unit's name: owning it, concerned, or the owner's."})
    meeting = Id(strict=False)
    overdue = fields.Boolean()


class ActionPatchSchema(Schema):
    """The organizer's changes to an action."""

    status = fields.String(validate=validate.OneOf(["open", "done", "cancelled"]))
    progress = fields.String()
    due = fields.String(metadata={"format": "date", "description": _DUE_HELP})
    extension = fields.String(validate=validate.OneOf(["approve", "refuse"]))


class CopySchema(Schema):
    """Where the copy goes."""

    start = fields.String(required=True, metadata={
        "description": "ISO 8601 wall time in `timezone`, or with an explicit offset."})
    timezone = fields.String(allow_none=True)
    carry_open_actions = fields.Boolean(load_default=True)


class SeriesSchema(Schema):
    """Meetings copied from one another, and their open actions."""

    id = fields.Integer()
    meetings = fields.List(fields.Nested(MeetingSchema))
    open_actions = fields.List(fields.Nested(ActionSchema))
