"""API shapes of meetings, sites and agenda items. Types only: the rules live in the services."""

from __future__ import annotations

from flask import current_app
from marshmallow import Schema, fields

from meetings.core.schemas import MAX_INT, Count, Id, PartialSchemaMixin
from meetings.core.timezones import isoformat_in
from meetings.scheduling.services import effective_reminders

_TIME_HELP = ("ISO 8601 wall time in `timezone` (e.g. 2026-07-15T09:00), or with an explicit offset "
              "(2026-07-15T09:00+08:00).")


class ReminderSchema(Schema):
    """One reminder: a role, and how long before (the meeting, or a speaker's slot)."""

    role = fields.String(required=True, metadata={"enum": ["chair", "speaker", "site_host", "participant",
                                                           "observer"]})
    before_minutes = Count(-MAX_INT, required=True)


class MeetingInSchema(Schema):
    """A meeting to create."""

    title = fields.String(metadata={
        "example": "2026 Mid-year Operation Meeting",
        "description": "The title in English; may be empty when title_zh is given."})
    title_zh = fields.String(allow_none=True, metadata={
        "example": "2026年年中经营会议", "description": "The title in Chinese, for readers of Chinese."})
    description = fields.String(allow_none=True)
    kind = fields.String(allow_none=True, metadata={"example": "operation"})
    start = fields.DateTime(required=True, metadata={"description": _TIME_HELP})
    end = fields.DateTime(required=True, metadata={"description": _TIME_HELP})
    timezone = fields.String(required=True, metadata={"example": "Asia/Shanghai"})
    reminders = fields.List(fields.Nested(ReminderSchema), allow_none=True, metadata={
        "description": "The whole set of reminders; roles left out get none. null: each role's defaults."})


class MeetingPatchSchema(PartialSchemaMixin, MeetingInSchema):
    """Fields of a meeting to change. A new start alone moves the end and the agenda with it."""


def _iso(value, zone):
    return isoformat_in(value, zone) if value is not None else None


class MeetingSchema(Schema):
    """A meeting."""

    id = fields.Integer()
    title = fields.String()
    title_zh = fields.String()
    description = fields.String()
    kind = fields.String()
    status = fields.String()
    start = fields.Method("_start", metadata={"format": "date-time"})
    end = fields.Method("_end", metadata={"format": "date-time"})
    timezone = fields.String()
    uid = fields.String()
    sequence = fields.Integer()
    reminders = fields.Method("_reminders")
    owner = fields.Function(lambda m: m.owner.email if m.owner else None)
    published_at = fields.Method("_published_at", allow_none=True)
    updated_at = fields.Method("_updated_at")

    def _start(self, meeting):
        return _iso(meeting.start_at, meeting.timezone)

    def _end(self, meeting):
        return _iso(meeting.end_at, meeting.timezone)

    def _published_at(self, meeting):
        return _iso(meeting.published_at, meeting.timezone)

    def _updated_at(self, meeting):
        return _iso(meeting.updated_at, meeting.timezone)

    def _reminders(self, meeting):
        return effective_reminders(meeting)


class MeetingQuerySchema(Schema):
    """Filters for the meeting list."""

    status = fields.String(metadata={"enum": ["draft", "scheduled", "finished", "cancelled"]})
    upcoming = fields.Boolean(metadata={"description": "Only meetings that have not ended."})


class VcSchema(Schema):
    """Videoconference settings of a site."""

    provider = fields.String(allow_none=True, metadata={"enum": ["jitsi", "bbb", "url"]})
    url = fields.String(allow_none=True, metadata={"description": "The fixed link, for provider url."})


class SiteInSchema(Schema):
    """A site to add."""

    name = fields.String(required=True, metadata={"example": "Rotterdam plant, meeting room 2"})
    kind = fields.String(metadata={"enum": ["main", "remote"]})
    timezone = fields.String(metadata={"description": "Defaults to the meeting's."})
    location = fields.String(allow_none=True)
    host_email = fields.String(allow_none=True)
    vc = fields.Nested(VcSchema, allow_none=True)


class SitePatchSchema(PartialSchemaMixin, SiteInSchema):
    """Fields of a site to change."""


class SiteSchema(Schema):
    """A site of a meeting."""

    id = fields.Integer()
    name = fields.String()
    kind = fields.String()
    timezone = fields.String()
    location = fields.String()
    host_email = fields.Function(lambda s: s.host.email if s.host else None)
    host_name = fields.Function(lambda s: s.host.name if s.host else None)
    vc = fields.Method("_vc")

    def _vc(self, site):
        provider = site.vc_provider or current_app.config["VC_PROVIDER"]
        vc = {"provider": str(provider)}
        if site.vc_url:
            vc["url"] = site.vc_url
        return vc


class SpeakerInSchema(Schema):
    """A speaker slot to create: who (email or person_id), on what, for how long."""

    email = fields.String()
    person_id = Id()
    topic = fields.String(allow_none=True)
    minutes = Count(-MAX_INT, required=True)


class AgendaItemInSchema(Schema):
    """An agenda item to add. Without start it follows the last item; without duration it lasts
    as long as its speakers."""

    title = fields.String(metadata={
        "example": "Speeches of the member enterprises",
        "description": "The title in English; may be empty when title_zh is given."})
    title_zh = fields.String(allow_none=True, metadata={"example": "成员企业代表发言",
                                                         "description": "The title in Chinese."})
    kind = fields.String(metadata={"enum": ["report", "speech", "discussion", "break", "other"]})
    start = fields.DateTime(metadata={"description": _TIME_HELP})
    timezone = fields.String(metadata={"description": "Zone of start; defaults to the meeting's."})
    duration_minutes = Count(-MAX_INT)
    description = fields.String(allow_none=True)
    speakers = fields.List(fields.Nested(SpeakerInSchema))


class AgendaItemPatchSchema(PartialSchemaMixin, AgendaItemInSchema):
    """Fields of an agenda item to change; ``speakers`` replaces them all."""


class SpeakerSchema(Schema):
    """A speaker slot with its computed times."""

    id = fields.Integer()
    person_id = fields.Integer()
    email = fields.Function(lambda s: s.person.email)
    name = fields.Function(lambda s: s.person.name)
    topic = fields.String()
    minutes = fields.Integer()
    start = fields.Method("_start", metadata={"format": "date-time"})
    end = fields.Method("_end", metadata={"format": "date-time"})

    def _start(self, slot):
        return _iso(slot.start_at, slot.agenda_item.meeting.timezone)

    def _end(self, slot):
        return _iso(slot.end_at, slot.agenda_item.meeting.timezone)


class AgendaItemSchema(Schema):
    """An agenda item."""

    id = fields.Integer()
    title = fields.String()
    title_zh = fields.String()
    kind = fields.String()
    start = fields.Method("_start", metadata={"format": "date-time"})
    end = fields.Method("_end", metadata={"format": "date-time"})
    timezone = fields.Function(lambda item: item.meeting.timezone)
    duration_minutes = fields.Integer()
    description = fields.String()
    speakers = fields.List(fields.Nested(SpeakerSchema), attribute="speaker_slots")

    def _start(self, item):
        return _iso(item.start_at, item.meeting.timezone)

    def _end(self, item):
        return _iso(item.end_at, item.meeting.timezone)
