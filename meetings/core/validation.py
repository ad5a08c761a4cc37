"""Checks on single values that several domains apply (one rule, one place)."""

from __future__ import annotations

import re

from flask_babel import gettext as _
from flask_babel import ngettext

from meetings.core.emails import EmailAddressError, normalize_email
from meetings.core.errors import InvalidInput

#: Languages people can read their emails, invites and pages in.
LANGUAGES = ("zh_Hans", "en")

_TAG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_email(value, field: str = "email") -> str:
    """A plain ``local@domain`` address in its one stored form (`meetings.core.emails`, the
    grammar delivery can send); `InvalidInput` naming ``field`` and saying why otherwise."""
    try:
        return normalize_email(value)
    except EmailAddressError as error:
        if not error.text:
            raise InvalidInput(error.reason, field) from None
        raise InvalidInput(_("'%(value)s' is not a valid email address.", value=error.text[:80]) + " " + error.reason,
                           field) from None


def clean_text(value, field: str, *, required: bool = False, max_length: int = 200,
               multiline: bool = False) -> str:
    """Trimmed text without control characters; line breaks only where ``multiline``."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidInput(_("Must be text."), field)
    value = value.strip()
    if required and not value:
        raise InvalidInput(_("This cannot be empty."), field)
    if len(value) > max_length:
        raise InvalidInput(ngettext("At most %(num)d character.", "At most %(num)d characters.", max_length), field)
    if multiline:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    elif "\n" in value or "\r" in value:
        raise InvalidInput(_("Must be a single line."), field)
    if _CONTROL.search(value):
        raise InvalidInput(_("Contains control characters."), field)
    return value


def clean_tag(value, field: str = "tags") -> str:
    """A role tag: lower-case letters, digits and dashes."""
    tag = value.strip().lower() if isinstance(value, str) else ""
    if not _TAG.match(tag):
        raise InvalidInput(
            _("'%(value)s' is not a valid tag: use lower-case letters, digits and dashes.", value=str(value)[:64]),
            field
        )
    return tag


def normalize_language(value) -> str | None:
    """``zh``, ``zh-CN``, ``zh_Hans`` → ``zh_Hans``; ``en``, ``en-GB`` → ``en``; anything else → None."""
    if not isinstance(value, str):
        return None
    lowered = value.strip().replace("-", "_").lower()
    if lowered in ("zh", "zh_cn", "zh_hans", "zh_hans_cn", "zh_sg", "zh_hans_sg"):
        return "zh_Hans"
    if lowered == "en" or lowered.startswith("en_"):
        return "en"
    return None


def clean_language(value, field: str = "language") -> str:
    """One of `LANGUAGES` (``zh``, ``zh-CN`` and ``en-GB`` are understood too)."""
    language = normalize_language(value)
    if language is None:
        raise InvalidInput(_("The language must be zh_Hans or en."), field)
    return language
