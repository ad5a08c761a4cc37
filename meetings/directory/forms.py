"""Directory forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import HiddenField, SelectField, StringField
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # WTForms 3.3; not in its stubs yet


class PersonForm(FlaskForm):
    """A person's entry."""

    name = StringField(_l("Name"))
    email = StringField(_l("Email"))
    unit = StringField(_l("Unit"))
    title = StringField(_l("Job title"))
    tags = StringField(_l("Role tags"), description=_l("Comma separated, e.g. vice-director-and-above, hq-staff"))
    timezone = StringField(_l("Time zone"))
    language = SelectField(_l("Language"), choices=[SelectChoice("zh_Hans", "中文"), SelectChoice("en", "English")])

    def to_data(self) -> dict:
        """The service's input."""
        return {"name": self.name.data, "email": self.email.data, "unit": self.unit.data,
                "title": self.title.data, "timezone": (self.timezone.data or "").strip(),
                "language": self.language.data,
                "tags": [t.strip() for t in (self.tags.data or "").replace(";", ",").split(",") if t.strip()]}


class ImportForm(FlaskForm):
    """A roster to check, then to import."""

    file = FileField(_l("Roster (CSV or XLSX)"))
    upload = HiddenField()
