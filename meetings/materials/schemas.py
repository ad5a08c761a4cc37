"""API schemas of materials: the multipart upload and what the API answers."""

from __future__ import annotations

from marshmallow import Schema, fields

from meetings.core.schemas import Id


class UploadFileSchema(Schema):
    """The file part of an upload."""

    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary",
                                                "description": "PDF, PPTX, DOCX, XLSX, PNG or JPEG; the type is "
                                                               "read from the content, the name kept as a safe "
                                                               "base name."})


class UploadFormSchema(Schema):
    """The other parts of an upload."""

    title = fields.String(load_default=None, metadata={"description": "Default: the slot's topic or the file name."})
    agenda_item_id = Id(strict=False, load_default=None)
    slot_id = Id(strict=False, load_default=None, metadata={
        "description": "A speaker slot: its material gets a new version when it has one already."})
    audience = fields.List(fields.String(), load_default=None, metadata={
        "description": "`all` (default), `organizers`, or roles (`chair`, `speaker`, `site_host`, "
                       "`participant`, `observer`) and site ids, repeated or comma-separated."})
    confidential = fields.Boolean(load_default=False, metadata={
        "description": "Shown in the browser, not downloadable by participants."})


class FileQuerySchema(Schema):
    """Which version to fetch."""

    version = fields.Integer(load_default=None, metadata={"description": "Default: the current one."})
    inline = fields.Boolean(load_default=False, metadata={"description": "Content-Disposition inline."})


class MaterialVersionSchema(Schema):
    """One uploaded file of a material."""

    version = fields.Integer(attribute="number")
    filename = fields.String()
    content_type = fields.String()
    size = fields.Integer()
    sha256 = fields.String()
    uploaded_at = fields.DateTime(attribute="created_at")
    uploaded_by = fields.Method("_uploader")

    def _uploader(self, version) -> str:
        return "organizer" if version.uploader_user_id is not None else "speaker"


class MaterialSchema(Schema):
    """A material and its current version's file."""

    id = fields.Integer()
    title = fields.String()
    agenda_item_id = fields.Integer(allow_none=True)
    speaker_person_id = fields.Integer(allow_none=True)
    audience = fields.Method("_audience", metadata={"description": "`all`, `organizers`, or a list."})
    confidential = fields.Boolean()
    filename = fields.Function(lambda m: m.current.filename)
    content_type = fields.Function(lambda m: m.current.content_type)
    size = fields.Function(lambda m: m.current.size)
    sha256 = fields.Function(lambda m: m.current.sha256)
    version = fields.Integer(attribute="current_version")
    updated_at = fields.DateTime()
    versions = fields.List(fields.Nested(MaterialVersionSchema))

    def _audience(self, material):
        if material.audience.value in ("all", "organizers"):
            return material.audience.value
        return [*material.audience_roles, *material.audience_site_ids]


class MissingSchema(Schema):
    """A speaker's slot with nothing uploaded yet."""

    slot_id = fields.Integer()
    agenda_item_id = fields.Integer()
    item_title = fields.String()
    person_id = fields.Integer()
    name = fields.String()
    email = fields.String()
    topic = fields.String()


class MaterialListSchema(Schema):
    """A meeting's materials in agenda order, when they are due, and who has not uploaded yet."""

    materials = fields.List(fields.Nested(MaterialSchema))
    due = fields.DateTime()
    missing = fields.List(fields.Nested(MissingSchema))


class AccessSchema(Schema):
    """One view or download."""

    at = fields.DateTime()
    title = fields.String()
    version = fields.Integer()
    action = fields.String()
    via = fields.String()
    who = fields.String()


class DueInSchema(Schema):
    """When materials are due."""

    due = fields.String(required=True, allow_none=True, metadata={
        "description": "ISO 8601 wall time in `timezone` (default: the meeting's), or with an offset; "
                       "null: 2 days before the start.", "example": "2027-06-08T18:00"})
    timezone = fields.String(load_default=None)


class DueSchema(Schema):
    """When materials are due."""

    due = fields.DateTime()


class MaterialPatchSchema(Schema):
    """What an organizer may change of a material (its file: a new version instead)."""

    title = fields.String()
    audience = fields.Raw(metadata={"description": "`all`, `organizers`, or a list of roles and site ids."})
    confidential = fields.Boolean()
