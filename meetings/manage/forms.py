"""Forms of the organizer pages: they parse what people type; the services judge it."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # WTForms 3.3; not in its stubs yet
from wtforms.validators import InputRequired, Optional

ROLE_CHOICES = [SelectChoice(value, label) for value, label in (
    ("participant", _l("Participant")), ("chair", _l("Chair")), ("speaker", _l("Speaker")),
    ("site_host", _l("Site host")), ("observer", _l("Observer")))]
KIND_CHOICES = [SelectChoice(value, label) for value, label in (
    ("report", _l("Report")), ("speech", _l("Speeches")), ("discussion", _l("Discussion")), ("break", _l("Break")),
    ("other", _l("Other")))]


class MeetingForm(FlaskForm):
    """A meeting's details."""

    title = StringField(_l("Title"))
    title_zh = StringField(_l("Title in Chinese / 中文标题"))
    description = TextAreaField(_l("Description"))
    kind = StringField(_l("Kind of meeting"), default="operation")
    # Required here, not only by the service: `to_data` builds the times from them, and a post
    # that lacks one (a form sent by a script) has no time for the service to judge.
    date = DateField(_l("Date"), validators=[InputRequired(_l("This cannot be empty."))])
    start_time = TimeField(_l("Starts"), validators=[InputRequired(_l("This cannot be empty."))])
    end_time = TimeField(_l("Ends"), validators=[InputRequired(_l("This cannot be empty."))])
    end_date = DateField(_l("Ends on another day"), validators=[Optional()])
    timezone = StringField(_l("Time zone"), default="Asia/Shanghai")

    def to_data(self) -> dict:
        """The service's input (times as wall times in the meeting's zone)."""
        day = self.date.data
        end_day = self.end_date.data or day
        start, end = self.start_time.data, self.end_time.data
        if day is None or end_day is None or start is None or end is None:
            raise ValueError("to_data() of a form that did not validate")
        return {
            "title": self.title.data, "title_zh": self.title_zh.data, "description": self.description.data,
            "kind": self.kind.data,
            "timezone": (self.timezone.data or "").strip(),
            "start": f"{day.isoformat()}T{start.strftime('%H:%M')}",
            "end": f"{end_day.isoformat()}T{end.strftime('%H:%M')}",
        }


class SiteForm(FlaskForm):
    """A site of a meeting."""

    name = StringField(_l("Name"))
    kind = SelectField(_l("Kind"), choices=[SelectChoice("remote", _l("Remote site")),
                                            SelectChoice("main", _l("Main venue"))])
    timezone = StringField(_l("Time zone"))
    location = StringField(_l("Address and room"))
    host_email = StringField(_l("Host (email)"))
    provider = SelectField(_l("Videoconference"), choices=[
        SelectChoice("", _l("The default")), SelectChoice("jitsi", "Jitsi"), SelectChoice("bbb", "BigBlueButton"),
        SelectChoice("url", _l("A fixed link"))])
    vc_url = StringField(_l("Fixed link (Zoom, Teams, a room system)"))

    def to_data(self) -> dict:
        """The service's input."""
        provider = self.provider.data or None
        return {"name": self.name.data, "kind": self.kind.data, "timezone": (self.timezone.data or "").strip(),
                "location": self.location.data, "host_email": (self.host_email.data or "").strip() or None,
                "vc": {"provider": provider, "url": self.vc_url.data} if provider else None}


class SpeakerForm(FlaskForm):
    """One speaker slot row."""

    class Meta:
        csrf = False

    email = StringField(_l("Speaker (email)"))
    topic = StringField(_l("Topic"))
    minutes = IntegerField(_l("Minutes"), validators=[Optional()])


class AgendaItemForm(FlaskForm):
    """An agenda item with its speakers."""

    title = StringField(_l("Title"))
    title_zh = StringField(_l("Title in Chinese / 中文标题"))
    kind = SelectField(_l("Kind"), choices=KIND_CHOICES, default="report")
    start_time = TimeField(_l("Starts"), validators=[Optional()])
    duration_minutes = IntegerField(_l("Minutes"), validators=[Optional()])
    description = TextAreaField(_l("Notes"))
    speakers = FieldList(FormField(SpeakerForm), min_entries=6, max_entries=40)

    def to_data(self, meeting) -> dict:
        """The service's input; empty speaker rows are ignored."""
        from meetings.core.templating import localtime

        data = {"title": self.title.data, "title_zh": self.title_zh.data, "kind": self.kind.data,
                "description": self.description.data}
        if self.start_time.data is not None:
            day = localtime(meeting.start_at, meeting.timezone, "%Y-%m-%d")
            data["start"] = f"{day}T{self.start_time.data.strftime('%H:%M')}"
        if self.duration_minutes.data is not None:
            data["duration_minutes"] = self.duration_minutes.data
        speakers = []
        for row in self.speakers:
            if (row.email.data or "").strip():
                speakers.append({"email": row.email.data.strip(), "topic": row.topic.data,
                                 "minutes": row.minutes.data})
        data["speakers"] = speakers
        return data


class InviteForm(FlaskForm):
    """Invite one person or a group."""

    email = StringField(_l("Person (email)"))
    tags = StringField(_l("Role tags"), description=_l("Comma separated: everyone with any of these tags."))
    unit = StringField(_l("Unit"), description=_l("Everyone in this unit and the units below it."))
    role = SelectField(_l("Role"), choices=ROLE_CHOICES)
    site_id = SelectField(_l("Site"), choices=[], coerce=str)
    online = BooleanField(_l("Joins online, on their own"))
    confirm = HiddenField()

    def to_data(self) -> dict:
        """The service's input."""
        data = {"role": self.role.data}
        if email := (self.email.data or "").strip():
            data["email"] = email
        tags = [t.strip() for t in (self.tags.data or "").replace(";", ",").split(",") if t.strip()]
        if tags:
            data["tags"] = tags
        if unit := (self.unit.data or "").strip():
            data["unit"] = unit
        if self.online.data:
            data["mode"] = "online"
        elif self.site_id.data:
            data["site_id"] = int(self.site_id.data)
        return data


class ConfirmForm(FlaskForm):
    """A button that acts (publish, cancel, delete, remove): only the CSRF token."""
