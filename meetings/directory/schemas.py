"""API shapes of people. Types only: the rules live in the services."""

from marshmallow import Schema, fields

from meetings.core.schemas import PartialSchemaMixin


class PersonInSchema(Schema):
    """A person to add or change."""

    name = fields.String(required=True, metadata={"example": "王伟"})
    email = fields.String(required=True, metadata={"format": "email", "example": "wang.wei@example.com"})
    unit = fields.String(allow_none=True, metadata={"description": "Unit by name; a new name creates it."})
    title = fields.String(allow_none=True)
    tags = fields.List(fields.String(), metadata={"example": ["vice-director-and-above"]})
    timezone = fields.String(metadata={"example": "Asia/Shanghai"})
    language = fields.String(metadata={"enum": ["zh_Hans", "en"]})


class PersonPatchSchema(PartialSchemaMixin, PersonInSchema):
    """Fields to change; all optional."""


class PersonSchema(Schema):
    """A person in the directory."""

    id = fields.Integer()
    name = fields.String()
    email = fields.String()
    unit = fields.String(attribute="unit_name", allow_none=True)
    title = fields.String()
    tags = fields.List(fields.String())
    timezone = fields.String()
    language = fields.String()


class PeopleQuerySchema(Schema):
    """Filters for the people list."""

    tag = fields.List(fields.String(), metadata={"description": "Repeatable; people with any of the tags."})
    unit = fields.String(metadata={"description": "People of this unit and the units below it."})
    q = fields.String(metadata={"description": "Part of a name or an email."})


class ImportResultSchema(Schema):
    """What a roster import did (or, with dry_run, would do)."""

    created = fields.Integer()
    updated = fields.Integer()
    dry_run = fields.Boolean()
    rows = fields.List(fields.Dict())
