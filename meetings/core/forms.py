"""Showing the services' errors on forms: one rule in the services, shown next to its field."""

from __future__ import annotations

from flask_wtf import FlaskForm

from meetings.core.errors import DomainError


def show_errors(form: FlaskForm, error: DomainError, field_map: dict[str, str] | None = None) -> None:
    """Put ``error``'s messages on the form's fields; what matches no field goes to the form.

    ``field_map`` renames the services' field names to the form's (``start`` → ``start_time``).
    """
    field_map = field_map or {}
    general = []
    for name, messages in (error.fields or {}).items():
        field = getattr(form, field_map.get(name, name), None)
        if field is None or not hasattr(field, "errors"):
            general.extend(messages)
            continue
        field.errors = list(field.errors) + list(messages)
    if not error.fields:
        general.append(error.message)
    form.form_errors = list(getattr(form, "form_errors", [])) + general


#: The status of a page that shows a form again with its errors. Not 422: browsers report every
#: page that loads with a 4xx as an error in their console, and here nothing failed: the page
#: says what to correct, next to each field. The JSON API answers 4xx.
FORM_ERROR_STATUS = 200
