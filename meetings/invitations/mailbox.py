"""Calendar replies that arrive by email: read from the organizer mailbox over IMAP.

Calendar clients send their REPLY to the ORGANIZER address (the service's own, see
`calendars.organizer_address`). When ``IMAP_HOST`` is set, the scheduler reads that mailbox:
every unread message's ``text/calendar`` REPLY parts (inline or attached) are applied like a
``POST /api/replies``, and the message is marked read, whatever the outcome, so a bad message is
looked at once, not on every run.

A reply is applied only when the message was sent by the attendee it answers for: its From (one
address) and its envelope sender (``Return-Path``, where the receiving server wrote one) are that
attendee's address (`replies.require_sender`). Every reply not applied that names one of our
meetings is kept for its organizers (`replies.keep_unapplied`, ``GET
/api/meetings/{id}/replies/unapplied``), not dropped silently.
"""

from __future__ import annotations

import email
import email.utils
import imaplib
import logging
import ssl
from dataclasses import dataclass, field
from email import policy

from flask import current_app

from meetings.core.errors import DomainError
from meetings.extensions import db
from meetings.invitations.replies import apply_reply, keep_unapplied

log = logging.getLogger(__name__)


@dataclass
class MailboxStats:
    """What one pass over the mailbox did."""

    messages: int = 0
    applied: int = 0
    ignored: int = 0
    refused: list[str] = field(default_factory=list)


def is_configured() -> bool:
    """Whether an organizer mailbox is set up."""
    return bool(current_app.config.get("IMAP_HOST"))


def _connect() -> imaplib.IMAP4:
    config = current_app.config
    host, port = config["IMAP_HOST"], config["IMAP_PORT"]
    timeout = config.get("MAIL_TIMEOUT", 30)
    context = ssl.create_default_context()
    if config["IMAP_USE_SSL"]:
        client: imaplib.IMAP4 = imaplib.IMAP4_SSL(host, port, ssl_context=context, timeout=timeout)
    else:
        client = imaplib.IMAP4(host, port, timeout=timeout)
        if config["IMAP_STARTTLS"]:
            client.starttls(ssl_context=context)
    client.login(config["IMAP_USERNAME"], config["IMAP_PASSWORD"])
    return client


def calendar_replies(raw: bytes) -> list[bytes]:
    """The METHOD:REPLY calendar parts of an email (body parts and .ics attachments)."""
    message = email.message_from_bytes(raw, policy=policy.default)
    found: list[bytes] = []
    for part in message.walk():
        if part.is_multipart():
            continue
        filename = (part.get_filename() or "").lower()
        if part.get_content_type() not in ("text/calendar", "application/ics") and not filename.endswith(".ics"):
            continue
        payload = part.get_payload(decode=True) or b""
        if isinstance(payload, bytes) and b"METHOD:REPLY" in payload.upper() and payload not in found:
            found.append(payload)
    return found


def senders_of(raw: bytes) -> list[str]:
    """The addresses a message says it is from: every address of its From, and its envelope
    sender (``Return-Path``) when it names one."""
    message = email.message_from_bytes(raw, policy=policy.compat32)
    found = [address for _name, address in email.utils.getaddresses(
        [str(value) for value in message.get_all("From", [])])]
    for value in message.get_all("Return-Path", []):
        address = email.utils.parseaddr(str(value))[1]
        if address:
            found.append(address)
    return [address for address in found if address]


def read_replies() -> MailboxStats:
    """Apply the calendar replies among the unread messages of the organizer mailbox."""
    stats = MailboxStats()
    if not is_configured():
        return stats
    client = _connect()
    try:
        client.select(current_app.config["IMAP_FOLDER"])
        _, data = client.uid("search", "UNSEEN")
        for uid in (data[0] or b"").decode("ascii").split():  # UIDs are digits
            _, parts = client.uid("fetch", uid, "(BODY.PEEK[])")
            raw = next((p[1] for p in parts if isinstance(p, tuple)), b"")
            stats.messages += 1
            senders = senders_of(raw)
            for body in calendar_replies(raw):
                _apply(body, senders, stats)
            client.uid("store", uid, "+FLAGS", "(\\Seen)")
    finally:
        try:
            client.logout()
        except (imaplib.IMAP4.error, OSError):
            log.debug("IMAP logout failed", exc_info=True)
    return stats


def _apply(body: bytes, senders: list[str], stats: MailboxStats) -> None:
    try:
        result = apply_reply(body, senders=senders)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        stats.refused.append(error.message)
        log.info("calendar reply from the mailbox refused: %s", error.message)
        keep_unapplied(body, ", ".join(senders), error.message)
        db.session.commit()
        return
    if result["status"] == "applied":
        stats.applied += 1
    else:
        stats.ignored += 1
