"""Account forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # WTForms 3.3; not in its stubs yet
from wtforms.validators import DataRequired


class LoginForm(FlaskForm):
    """Email and password."""

    email = EmailField(_l("Email"), validators=[DataRequired()])
    password = PasswordField(_l("Password"), validators=[DataRequired()])


class ChangePasswordForm(FlaskForm):
    """The current password, and the new one twice."""

    current_password = PasswordField(_l("Current password"))
    new_password = PasswordField(_l("New password"))
    repeat_password = PasswordField(_l("New password again"))


class LanguageForm(FlaskForm):
    """The language of one's pages; empty follows the browser's."""

    # The languages are named in themselves: a reader who cannot read the page still finds theirs.
    language = SelectField(_l("Language of the pages"), choices=[
        SelectChoice("", _l("Follow my browser")), SelectChoice("zh_Hans", "中文"), SelectChoice("en", "English")])


class ConfirmForm(FlaskForm):
    """A button that acts: only the CSRF token."""
