"""Account forms."""

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired


class LoginForm(FlaskForm):
    """Email and password."""

    email = EmailField("Email", validators=[DataRequired()])
    password = PasswordField("Password", validators=[DataRequired()])


class ChangePasswordForm(FlaskForm):
    """The current password, and the new one twice."""

    current_password = PasswordField("Current password")
    new_password = PasswordField("New password")
    repeat_password = PasswordField("New password again")


class ConfirmForm(FlaskForm):
    """A button that acts: only the CSRF token."""
