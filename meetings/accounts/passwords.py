"""The password rule: one place for `users create`, the password page and any API.

A password is refused when it is shorter than `MIN_LENGTH`; when, shorter than
`PASSPHRASE_LENGTH`, it is all of one kind of character (only letters, only digits or only
symbols); when it uses fewer than 5 different characters; when it is on the list of common
passwords shipped beside this file (`common_passwords.txt`, compared without case); or when it is
the user's email address or the part before the ``@``. Long passphrases of plain words pass.
"""

from __future__ import annotations

import functools
import unicodedata
from pathlib import Path

from flask_babel import gettext as _
from flask_babel import ngettext

from meetings.core.errors import InvalidInput

MIN_LENGTH = 10
#: From this length a password may be all letters (a passphrase of words).
PASSPHRASE_LENGTH = 16
#: Longer than any passphrase anyone types: hashing is bounded.
MAX_LENGTH = 1024
_COMMON = Path(__file__).with_name("common_passwords.txt")


@functools.cache
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords, lower case."""
    lines = _COMMON.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().casefold() for line in lines if line.strip() and not line.startswith("#"))


def _kind(character: str) -> str:
    category = unicodedata.category(character)
    return "letter" if category.startswith("L") else "digit" if category.startswith("N") else "other"


def check_password(password, email: str = "", field: str = "password") -> None:
    """`InvalidInput` (naming ``field``) saying why, unless ``password`` follows the rule."""
    if not isinstance(password, str) or len(password) < MIN_LENGTH:
        raise InvalidInput(_("The password must have at least %(num)d characters.", num=MIN_LENGTH), field)
    if len(password) > MAX_LENGTH:
        raise InvalidInput(ngettext("The password may have at most %(num)d character.",
                                    "The password may have at most %(num)d characters.", MAX_LENGTH), field)
    folded = password.casefold()
    if email and folded in (email.casefold(), email.split("@")[0].casefold()):
        raise InvalidInput(_("The password must not be your email address."), field)
    if folded in common_passwords() or folded.strip() in common_passwords():
        raise InvalidInput(_("This password is one of the most common ones: choose another."), field)
    if len(set(password)) < 5:
        raise InvalidInput(_("The password repeats too few characters: use at least 5 different ones."), field)
    if len(password) < PASSPHRASE_LENGTH and len({_kind(c) for c in password}) < 2:
        raise InvalidInput(_("Mix letters with digits or symbols, or use a passphrase of at least %(num)d "
                             "characters.", num=PASSPHRASE_LENGTH), field)
