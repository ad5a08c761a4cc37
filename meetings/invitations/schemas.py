"""API shapes of invitations. Types only: the rules live in the services."""

from marshmallow import Schema, fields

from meetings.core.schemas import Id
from meetings.core.timezones import isoformat_in

_ROLES = ["chair", "speaker", "site_host", "participant", "observer"]
_MODES = ["in_person", "remote_site", "online"]


class InvitationInSchema(Schema):
    """Invite one person (``email`` or ``person_id``) or a group (``tags`` and/or ``unit``)."""

    email = fields.String()
    person_id = Id()
    tags = fields.List(fields.String(), metadata={"description": "People with any of these role tags."})
    unit = fields.String(metadata={"description": "People of this unit and the units below it."})
    role = fields.String(metadata={"enum": _ROLES, "description": "Default participant."})
    site_id = Id(allow_none=True)
    mode = fields.String(metadata={"enum": _MODES})


class InvitationPatchSchema(Schema):
    """What an organizer may change on an invitation."""

    role = fields.String(metadata={"enum": _ROLES})
    site_id = Id(allow_none=True)
    mode = fields.String(metadata={"enum": _MODES})


class PersonRefSchema(Schema):
    """A person, briefly."""

    id = fields.Integer()
    name = fields.String()
    email = fields.String()
    unit = fields.String(attribute="unit_name", allow_none=True)


def _time(invitation, value):
    return isoformat_in(value, invitation.meeting.timezone) if value is not None else None


class InvitationSchema(Schema):
    """An invitation with the person's answer and attendance."""

    id = fields.Integer()
    person = fields.Nested(PersonRefSchema)
    role = fields.String()
    site_id = fields.Integer(allow_none=True)
    mode = fields.String()
    response = fields.String()
    responded_at = fields.Method("_responded_at", allow_none=True)
    delegated_to = fields.Method("_delegated_to", allow_none=True)
    delegated_from = fields.Method("_delegated_from", allow_none=True)
    invited_at = fields.Method("_invited_at", allow_none=True)
    checked_in_at = fields.Method("_checked_in_at", allow_none=True)

    def _responded_at(self, invitation):
        return _time(invitation, invitation.responded_at)

    def _invited_at(self, invitation):
        return _time(invitation, invitation.invited_at)

    def _checked_in_at(self, invitation):
        return _time(invitation, invitation.checked_in_at)

    def _delegated_to(self, invitation):
        other = invitation.delegated_to
        return PersonRefSchema().dump(other.person) if other is not None else None

    def _delegated_from(self, invitation):
        other = invitation.delegated_from
        return PersonRefSchema().dump(other.person) if other is not None else None


class ReplyResultSchema(Schema):
    """What a calendar REPLY did."""

    status = fields.String(metadata={"enum": ["applied", "ignored"]})
    reason = fields.String(allow_none=True)
    invitation = fields.Nested(InvitationSchema, allow_none=True)


class UnappliedReplySchema(Schema):
    """A calendar reply from the mailbox that was not applied, and why."""

    id = fields.Integer()
    received_at = fields.DateTime()
    sender = fields.String()
    attendee = fields.String()
    partstat = fields.String()
    reason = fields.String()


class IssuedLinksSchema(Schema):
    """Links of one purpose issued to one person or site."""

    purpose = fields.String()
    invitation_id = fields.Integer(allow_none=True)
    site_id = fields.Integer(allow_none=True)
    holder = fields.String(metadata={"description": "The person or site the links open things for."})
    issued = fields.Integer(metadata={"description": "Links sent (one per email)."})
    live = fields.Integer(metadata={"description": "Links not revoked."})
    last_issued_at = fields.DateTime()
    expires_at = fields.DateTime(allow_none=True)


class RevokeLinksSchema(Schema):
    """Whose links to revoke."""

    purpose = fields.String(required=True, metadata={"enum": ["rsvp", "join", "site", "checkin"]})
    invitation_id = Id(allow_none=True)
    site_id = Id(allow_none=True)



class RevokedLinksSchema(Schema):
    """How many links a revocation closed."""

    revoked = fields.Integer()
