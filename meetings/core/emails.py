"""The one grammar of an email address, for every door an address comes in by: the directory
(API, forms, pages), roster import, accounts, iCalendar (ATTENDEE and ORGANIZER ``mailto:``
in replies) and delivery (`meetings.outbox.mail`). What one accepts, the others accept, so a
person the directory took is never an invite that cannot be sent.

The grammar is what delivery can send over plain SMTP (no SMTPUTF8 extension, which many relays
lack):

- the local part (before the ``@``) is an RFC 5321 dot-atom in ASCII: letters, digits and
  ``!#$%&'*+/=?^_`{|}~-``, in dot-separated runs (no dot first or last, no two dots in a row),
  at most 64 characters; no quoted local parts, no comments, no display name;
- the domain is a host name: at least two dot-separated labels of letters, digits and hyphens
  (none first or last in a label), each at most 63 characters, the last not all digits (no IP
  literals). A domain in other scripts (``例子.中国``) is accepted and kept in its ASCII IDNA
  form (``xn--fsqu00a.xn--fiqs8s``), the form mail servers use;
- at most 254 characters in all; the whole address lower-cased (this service matches people by
  email regardless of case).
"""

from __future__ import annotations

import re
from functools import lru_cache

from flask_babel import gettext as _

MAX_LENGTH = 254
MAX_LOCAL_LENGTH = 64
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LOCAL = re.compile(rf"{_ATOM}(?:\.{_ATOM})*")
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")


class EmailAddressError(ValueError):
    """Not an address of the grammar; ``reason`` says why, in the reader's language."""

    def __init__(self, text: str, reason: str):
        super().__init__(reason)
        self.text, self.reason = text, reason


def normalize_email(text) -> str:
    """``text`` as the one stored form of an address (see the module docstring): trimmed,
    lower-cased, the domain in IDNA form; `EmailAddressError` with the reason otherwise."""
    if not isinstance(text, str) or not text.strip():
        raise EmailAddressError("", _("An email address is needed."))
    value = text.strip()
    if value.count("@") != 1:
        raise EmailAddressError(value, _("An email address has exactly one @."))
    local, domain = value.split("@")
    if not local.isascii():
        raise EmailAddressError(value, _("The part before the @ must be in ASCII letters, digits and "
                                         "!#$%&'*+/=?^_`{|}~- (mail servers cannot deliver to others)."))
    if not _LOCAL.fullmatch(local):
        if local.startswith(".") or local.endswith(".") or ".." in local:
            raise EmailAddressError(value, _("The part before the @ may not start or end with a dot, nor have "
                                             "two dots in a row."))
        raise EmailAddressError(value, _("The part before the @ may hold only letters, digits, dots and "
                                         "!#$%&'*+/=?^_`{|}~-."))
    if len(local) > MAX_LOCAL_LENGTH:
        raise EmailAddressError(value, _("The part before the @ may have at most %(num)d characters.",
                                         num=MAX_LOCAL_LENGTH))
    host = _host(value, domain)
    address = f"{local.lower()}@{host}"
    if len(address) > MAX_LENGTH:
        raise EmailAddressError(value, _("An email address may have at most %(num)d characters.", num=MAX_LENGTH))
    return address


def _host(value: str, domain: str) -> str:
    host = _mail_host(domain)
    if host is None:
        raise EmailAddressError(value, _("'%(domain)s' is not a domain name mail can be sent to.", domain=domain[:80]))
    return host


@lru_cache(maxsize=1024)
def _mail_host(domain: str) -> str | None:
    """``domain`` as a host name mail can be sent to (lower-cased, in IDNA form), or None. Kept
    per domain: delivery checks each recipient's address, and a group's people share a few."""
    if not domain or domain.endswith(".") or len(domain) > 253:
        return None
    if not domain.isascii():
        try:
            domain = domain.encode("idna").decode("ascii")
        except UnicodeError:
            return None
    labels = domain.lower().split(".")
    if len(labels) < 2 or not all(_LABEL.fullmatch(label) for label in labels) or labels[-1].isdigit():
        return None
    return ".".join(labels)


def comparable_email(text) -> str:
    """What to look an address up by: its stored form when it is one of the grammar, else the
    text trimmed and lower-cased (which finds no one)."""
    try:
        return normalize_email(text)
    except EmailAddressError:
        return (text or "").strip().lower() if isinstance(text, str) else ""


def is_email(text) -> bool:
    """Whether ``text`` is an address of the grammar."""
    try:
        normalize_email(text)
    except EmailAddressError:
        return False
    return True
