"""One email as it goes on the wire, and one SMTP connection for a batch of them.

`build_message` assembles a message (with an iTIP invite when given a calendar) that Flask-Mail's
own `Connection.send` also accepts; `SmtpSession` sends a batch over one connection and tells a
failure worth retrying (`TemporaryDeliveryError`) from one that is not
(`PermanentDeliveryError`). The outbox rows, claiming and retries are built on top of this.

Flask-Mail 0.10 is only half used, on purpose (DESIGN.md §6): its MIME building turns every
UTF-8 part into 8bit for the whole process, cannot put ``method=`` on a calendar part and drops
the HTML alternative when ``html=None``; its connection has no timeout, does not verify TLS
certificates, sends nothing under ``TESTING`` and lets a failed ``QUIT`` hide the real error. So
the message is built with the standard library's policy-based `email` API, every text part in
base64 or quoted-printable, and the session talks to `smtplib` itself, with the MAIL_* settings
that Flask-Mail read at ``init_app``.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import os
import re
import smtplib
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy as email_policy
from email.header import Header
from email.headerregistry import Address
from email.utils import format_datetime, formataddr, parseaddr

import flask_mail
from flask import Flask, current_app

from meetings.core.emails import EmailAddressError, normalize_email

#: CRLF line ends and headers folded at 78; "7bit" so that nothing can come out as 8bit.
POLICY = email_policy.SMTP.clone(cte_type="7bit")
#: The iTIP methods we send (RFC 5546): invites and updates, cancellations, plain calendars.
METHODS = frozenset({"REQUEST", "CANCEL", "PUBLISH"})
#: RFC 5322 §2.1.1: no line of a message may be longer than this (without its CRLF).
MAX_LINE_LENGTH = 998
#: Seconds any one socket operation may take (connect, a reply, a write).
DEFAULT_TIMEOUT = 30.0

#: Headers that build_message writes itself; extra headers may not add a second one.
_OWN_HEADERS = frozenset({
    "from", "to", "cc", "bcc", "sender", "reply-to", "subject", "date", "message-id",
    "mime-version", "content-class",
})
_FIELD_NAME = re.compile(r"[!-9;-~]+")  # RFC 5322 ftext: printable ASCII except ":"
_MESSAGE_ID = re.compile(r"<[!-;=?-~]+@[!-;=?-~]+>")  # no space, no "<" or ">" inside
_CONTENT_ID = re.compile(r"[A-Za-z0-9._-]+@[A-Za-z0-9.-]+")  # what a cid: URL can name plainly
_FILE_NAME = re.compile(r"[A-Za-z0-9._-]{1,100}")
#: Images an HTML part may show inline: what every mail client displays.
IMAGE_TYPES = frozenset({"image/png", "image/gif", "image/jpeg"})
_BREAKS = re.compile(r"\s*[\x00-\x1f\x7f-\x9f\u2028\u2029]+\s*")  # line breaks and controls


@dataclass(frozen=True)
class InlineImage:
    """An image that the HTML part shows as ``<img src="cid:{content_id}">``."""

    content_id: str
    data: bytes
    content_type: str = "image/png"
    filename: str = "image.png"


class EmailMessage(flask_mail.Message):
    """One email to one recipient. Make it with `build_message`.

    The Flask-Mail attributes (``sender``, ``recipients``, ``subject``, ``body``, ``html``,
    ``reply_to``, ``date``, ``msgId``, ``extra_headers``) stay the source of truth, so
    ``flask_mail.Connection.send`` accepts it too; `as_bytes` renders the same bytes every time.
    """

    # Always set by __init__, narrower than Flask-Mail's Message lets them be.
    sender: str
    reply_to: str | None
    date: float

    def __init__(self, *, sender: str, recipient: str, recipient_name: str, subject: str,
                 text: str, html: str | None, calendar: bytes | None, method: str | None,
                 message_id: str, reply_to: str | None, headers: dict[str, str],
                 attachment_name: str, date: datetime, images: tuple[InlineImage, ...] = ()):
        # Flask-Mail's __init__ would make (and discard) a Message-ID of its own, which costs a
        # host name lookup per message; its attributes are set here instead.
        self.alts = {}  # before html, which Flask-Mail stores in it
        self.subject, self.recipients, self.body, self.html = subject, [recipient], text, html
        self.sender, self.reply_to, self.cc, self.bcc, self.attachments = sender, reply_to, [], [], []
        self.date, self.charset, self.extra_headers = date.timestamp(), "utf-8", dict(headers)
        self.mail_options, self.rcpt_options = [], []
        self.msgId = message_id
        #: The To display name ("" for none), already stripped of line breaks.
        self.recipient_name = recipient_name
        #: The iCalendar object, sent byte for byte, and its METHOD.
        self.calendar = calendar
        self.method = method
        self.attachment_name = attachment_name
        #: Images the HTML refers to by Content-ID (sent with it in multipart/related).
        self.images = tuple(images)

    @property
    def recipient(self) -> str:
        """The one address in To, which is also the envelope recipient."""
        return str(self.recipients[0])

    def has_bad_headers(self) -> bool:
        """Flask-Mail's check, plus the extra headers and the display name it never looks at."""
        if super().has_bad_headers() or _BREAKS.search(self.recipient_name):
            return True
        return any(not _FIELD_NAME.fullmatch(name) or _has_breaks(value, allow_tab=True)
                   for name, value in (self.extra_headers or {}).items())

    def as_bytes(self) -> bytes:
        """The exact bytes that go on the wire (CRLF line ends, 7-bit, no line over 998).

        Assembled directly rather than through the `email` package's generator, which costs
        milliseconds per message: the layout is fixed, and every part is base64,
        quoted-printable or plain 7-bit ASCII with short lines.
        """
        if len(self.recipients) != 1 or self.cc or self.bcc or self.attachments:
            raise ValueError("An EmailMessage has exactly one recipient and no cc, bcc or other "
                             "attachments: each person gets their own copy.")
        sender = _mailbox(self.sender, "sender")
        headers = [
            b"From: " + _address_header(sender.display_name, sender.addr_spec, "From"),
            b"To: " + _address_header(self.recipient_name,
                                      _mailbox(self.recipient, "recipient", bare=True).addr_spec, "To"),
            b"Subject: " + _text_header(self.subject, "Subject"),
            b"Date: " + format_datetime(datetime.fromtimestamp(self.date, UTC)).encode("ascii"),
            b"Message-ID: " + self.msgId.encode("ascii"),
        ]
        if self.reply_to:
            reply = _mailbox(self.reply_to, "reply_to")
            headers.append(b"Reply-To: " + _address_header(reply.display_name, reply.addr_spec, "Reply-To"))
        for name, value in (self.extra_headers or {}).items():
            headers.append(name.encode("ascii") + b": " + _text_header(value, name))
        headers.append(b"MIME-Version: 1.0")
        # Boundaries from the Message-ID: the same message renders to the same bytes (a retry
        # sends what was logged). "=_" cannot occur in base64 or quoted-printable text.
        digest = hashlib.sha256(self.msgId.encode("ascii")).hexdigest()[:32]
        plain = _text_part(self.body or "", "plain")
        if self.calendar is None and self.html is None:
            body = plain
        else:
            parts = [plain]
            if self.html is not None:
                html = _text_part(self.html, "html")
                if self.images:
                    # The HTML and the images it shows travel together (RFC 2387), as one
                    # alternative: clients that read text or the calendar never see them.
                    html = _multipart(b"related", f"=_rel_{digest}".encode("ascii"),
                                      [html, *(_image_part(image) for image in self.images)])
                parts.append(html)
            if self.calendar is not None:
                parts.append(_base64_part(
                    f'text/calendar; charset="utf-8"; method="{self.method}"'.encode("ascii"), self.calendar))
            body = _multipart(b"alternative", f"=_alt_{digest}".encode("ascii"), parts)
            if self.calendar is not None:
                # The same file as an attachment, for clients that only offer "open invite.ics". Not
                # text/calendar, so that no client sees a second iTIP object in the message.
                file_name = self.attachment_name.encode("ascii") if self.attachment_name.isascii() else b"invite.ics"
                attached = _base64_part(b'application/ics; name="' + file_name + b'"', self.calendar,
                                        b'Content-Disposition: attachment; filename="' + file_name + b'"')
                body = _multipart(b"mixed", f"=_mixed_{digest}".encode("ascii"), [body, attached])
        head, _, rest = body.partition(b"\r\n\r\n")
        if self.calendar is not None and self.method in ("REQUEST", "CANCEL"):
            # What Outlook itself writes on meeting requests and cancellations; other clients
            # ignore it, and detection still rests on the text/calendar part.
            head += b"\r\nContent-Class: urn:content-classes:calendarmessage"
        # Every body line is base64 or quoted-printable (76 characters at most): only the
        # header lines, where user text goes, need a look.
        longest = max(len(line) for header in headers for line in header.split(b"\r\n"))
        if longest > MAX_LINE_LENGTH:
            raise ValueError(f"A line of {longest} characters would be refused by SMTP servers.")
        return b"\r\n".join(headers) + b"\r\n" + head + b"\r\n\r\n" + rest

    def as_string(self) -> str:
        return self.as_bytes().decode("ascii")

    def __repr__(self) -> str:
        return f"<EmailMessage {self.msgId} to {self.recipient}>"


def build_message(*, sender: str, recipient: str, recipient_name: str | None, subject: str,
                  text: str, html: str | None, calendar: bytes | None = None,
                  method: str | None = None, message_id: str, reply_to: str | None = None,
                  headers: dict[str, str] | None = None, attachment_name: str = "invite.ics",
                  date: datetime | None = None, images: tuple[InlineImage, ...] = ()) -> EmailMessage:
    """One email to ``recipient`` (a bare address), ready for `SmtpSession.send`.

    With ``calendar`` (UTF-8 iCalendar bytes): ``multipart/mixed`` holding
    ``multipart/alternative`` (text/plain, text/html, ``text/calendar; method=...``, last) and
    the same file attached as ``attachment_name``. Without: ``multipart/alternative`` of text
    and HTML, or only text/plain when ``html`` is None. ``method`` defaults to the calendar's
    METHOD and must match it. ``message_id`` (``<...@host>``) is the caller's, stable across
    retries; ``date`` (aware) defaults to now.

    ``images`` are shown by the HTML (``<img src="cid:...">``): the HTML part becomes a
    ``multipart/related`` of the HTML and the images, each with its Content-ID and an inline
    disposition (the form that Outlook, Gmail, Apple Mail and Thunderbird all display).

    Line breaks in ``subject`` and ``recipient_name`` are folded into spaces; in addresses,
    ``headers`` or ``attachment_name`` they raise `ValueError`, as does any malformed input.
    """
    address = _mailbox(recipient, "recipient", bare=True)
    from_ = _mailbox(sender, "sender")
    reply = None if reply_to is None else str(_mailbox(reply_to, "reply_to"))
    if not _MESSAGE_ID.fullmatch(message_id or "") or len(message_id) > 250:
        raise ValueError(f"message_id must look like <unique@host>, not {message_id!r}.")
    extra = dict(headers or {})
    for name, value in extra.items():
        if not _FIELD_NAME.fullmatch(name or ""):
            raise ValueError(f"Not a header name: {name!r}.")
        if name.lower() in _OWN_HEADERS or name.lower().startswith("content-"):
            raise ValueError(f"{name} is written by build_message; it cannot be an extra header.")
        if not isinstance(value, str) or _has_breaks(value, allow_tab=True):
            raise ValueError(f"The {name} header may not contain line breaks or control characters.")
    if date is None:
        date = datetime.now(UTC)
    elif date.tzinfo is None or date.utcoffset() is None:
        raise ValueError("date must be timezone-aware.")
    if calendar is not None:
        method = _calendar_method(calendar, method)
        if not attachment_name or _has_breaks(attachment_name) or "/" in attachment_name:
            raise ValueError(f"Not a file name: {attachment_name!r}.")
    elif method is not None:
        raise ValueError("method is only meaningful with a calendar.")
    images = tuple(images or ())
    if images and html is None:
        raise ValueError("Inline images need an HTML part that shows them.")
    for image in images:
        if not _CONTENT_ID.fullmatch(image.content_id or "") or len(image.content_id) > 200:
            raise ValueError(f"Not a Content-ID: {image.content_id!r}.")
        if image.content_type not in IMAGE_TYPES:
            raise ValueError(f"Not an inline image type: {image.content_type!r}.")
        if not _FILE_NAME.fullmatch(image.filename or ""):
            raise ValueError(f"Not an image file name: {image.filename!r}.")
        if not isinstance(image.data, bytes) or not image.data:
            raise ValueError("An inline image needs its bytes.")
    if len({image.content_id for image in images}) != len(images):
        raise ValueError("Two inline images have the same Content-ID.")
    return EmailMessage(sender=str(from_), recipient=address.addr_spec,
                        recipient_name=_one_line(recipient_name or ""),
                        subject=_one_line(subject or ""), text=text, html=html,
                        calendar=calendar, method=method, message_id=message_id,
                        reply_to=reply, headers=extra, attachment_name=attachment_name,
                        date=date, images=images)


class DeliveryError(Exception):
    """A message was not delivered. ``code`` and ``reply`` are the server's, when it answered."""

    def __init__(self, message: str, *, code: int | None = None, reply: str | None = None):
        super().__init__(message)
        self.code = code
        self.reply = reply


class TemporaryDeliveryError(DeliveryError):
    """Try again later: a 4xx reply, the connection failed (refused, reset, timed out), or the
    server refused our sender (its set-up, not this message)."""


class PermanentDeliveryError(DeliveryError):
    """Retrying will not help: a 5xx reply to the recipient or the content, or a message that
    cannot be sent at all."""


class SmtpSession:
    """One SMTP connection for a batch, with the app's MAIL_* settings::

        with SmtpSession() as session:
            for row in batch:
                if not session.alive:
                    ...  # the connection is gone: leave the rest pending
                session.send(message)  # raises TemporaryDeliveryError or PermanentDeliveryError

    The connection opens at the first `send` (or `open`); a failure to connect is a
    `TemporaryDeliveryError` from that `send`. After a connection-level failure `alive` is False
    and every later `send` fails at once: the session never reconnects by itself. A refusal of
    one message (4xx or 5xx) keeps the connection. ``MAIL_SUPPRESS_SEND``/``TESTING`` are
    ignored: tests talk to a real server.
    """

    def __init__(self, app: Flask | None = None, *, timeout: float | None = None):
        # The app behind the current_app proxy (LocalProxy's public method, which Flask's annotation
        # of current_app as a Flask object hides).
        self.app = app or current_app._get_current_object()  # type: ignore[attr-defined]
        settings = self.app.extensions["mail"]  # the MAIL_* values Flask-Mail read at init_app
        self.host: str = settings.server
        self.port: int = int(settings.port)
        self.use_tls: bool = bool(settings.use_tls)
        self.use_ssl: bool = bool(settings.use_ssl)
        self.username: str | None = settings.username
        self.password: str | None = settings.password
        self.timeout = float(timeout or self.app.config.get("MAIL_TIMEOUT") or DEFAULT_TIMEOUT)
        #: Messages the server accepted in this session.
        self.sent = 0
        self._smtp: smtplib.SMTP | None = None
        self._closed = False

    @property
    def alive(self) -> bool:
        """False once the connection failed or the session was closed."""
        return not self._closed and (self._smtp is None or self._smtp.sock is not None)

    def __enter__(self) -> SmtpSession:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def open(self) -> smtplib.SMTP:
        """Connect now (`send` does it when needed); `TemporaryDeliveryError` if that fails."""
        if self._smtp is not None and self.alive:
            return self._smtp
        if not self.alive:
            raise TemporaryDeliveryError("The SMTP connection of this session is closed.")
        smtp: smtplib.SMTP | None = None
        try:
            # A verifying context: smtplib's default (what Flask-Mail uses) checks nothing.
            context = (_tls_context(os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))
                       if (self.use_ssl or self.use_tls) else None)
            if self.use_ssl:
                smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
            else:
                smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            smtp.ehlo_or_helo_if_needed()
            if self.use_tls:
                smtp.starttls(context=context)
                smtp.ehlo_or_helo_if_needed()
            if self.username and self.password:
                smtp.login(self.username, self.password)
        except (OSError, smtplib.SMTPException) as error:
            self._closed = True
            if smtp is not None:
                smtp.close()
            raise TemporaryDeliveryError(
                f"Cannot open an SMTP session with {self.host}:{self.port}: {_describe(error)}",
                code=getattr(error, "smtp_code", None), reply=_reply_text(error)) from error
        self._smtp = smtp
        return smtp

    def send(self, message: flask_mail.Message) -> None:
        """Deliver ``message`` to its one recipient; raises a `DeliveryError` subclass if not."""
        try:
            if message.has_bad_headers():
                raise ValueError("line breaks in a header")
            recipients = [_envelope_address(each) for each in message.send_to]
            if len(recipients) != 1:
                raise ValueError(f"{len(recipients)} recipients; each person gets their own copy")
            sender = _envelope_address(message.sender)
            raw = message.as_bytes()
        except ValueError as error:
            raise PermanentDeliveryError(f"This message cannot be sent: {error}") from error
        smtp = self.open()
        try:
            smtp.sendmail(sender, recipients, raw)
        except smtplib.SMTPRecipientsRefused as error:
            code, reply = next(iter(error.recipients.values()))
            raise self._refused(code, reply, f"Recipient {recipients[0]} refused") from error
        except smtplib.SMTPSenderRefused as error:
            if error.smtp_code != 552:  # 552 is this message's size; the rest is the set-up's
                # Who may send (authentication, relaying, the sender address) is the server's
                # set-up, not this message's fault, and the rest of the batch would be refused
                # too: end the session and let the outbox retry once the set-up is fixed.
                self._abandon()
                text = _reply_text(error.smtp_error)
                raise TemporaryDeliveryError(f"Sender {sender} refused: {error.smtp_code} {text}",
                                             code=error.smtp_code, reply=text) from error
            raise self._refused(error.smtp_code, error.smtp_error, "Message refused") from error
        except smtplib.SMTPResponseException as error:  # DATA refused
            raise self._refused(error.smtp_code, error.smtp_error, "Message refused") from error
        except (OSError, smtplib.SMTPException) as error:  # reset, timeout, disconnected
            self._abandon()
            raise TemporaryDeliveryError(
                f"The SMTP connection failed while sending: {_describe(error)}") from error
        self.sent += 1
        flask_mail.email_dispatched.send(self.app, message=message)

    def close(self) -> None:
        """Say QUIT if the connection still works; never raises."""
        smtp, self._smtp, self._closed = self._smtp, None, True
        if smtp is None or smtp.sock is None:
            return
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()

    def _refused(self, code: int, reply: bytes | str, what: str) -> DeliveryError:
        # The reply decides about the message; whether the connection survived (smtplib closes
        # it on 421, and a server may hang up after refusing) decides about the batch.
        text = _reply_text(reply)
        if code == 421 or self._smtp is None or self._smtp.sock is None:
            self._abandon()
        error = PermanentDeliveryError if 500 <= code < 600 else TemporaryDeliveryError
        return error(f"{what}: {code} {text}", code=code, reply=text)

    def _abandon(self) -> None:
        self._closed = True
        if self._smtp is not None:
            self._smtp.close()


def _text_part(text: str, subtype: str) -> bytes:
    """A UTF-8 text part, quoted-printable or base64, never 8bit (DESIGN.md §6).

    A quoted-printable byte costs 3 characters, base64 costs 4/3 for every byte: QP is the
    shorter (and readable) one below 1/6 of non-ASCII bytes.
    """
    data = text.replace("\r\n", "\n").replace("\r", "\n").encode("utf-8")
    wide = len(data) - len(data.translate(None, _WIDE_BYTES))
    content_type = f'text/{subtype}; charset="utf-8"'.encode("ascii")
    if wide * 6 >= len(data):
        return _base64_part(content_type, data)
    encoded = binascii.b2a_qp(data, quotetabs=False, istext=True, header=False)
    if not encoded.endswith(b"\n"):
        encoded += b"=\n"  # a soft break keeps the text exactly as it was
    return (b"Content-Type: " + content_type + b"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
            + encoded.replace(b"\n", b"\r\n"))


_WIDE_BYTES = bytes(range(0x7F, 0x100))


def _base64_part(content_type: bytes, data: bytes, *extra_headers: bytes) -> bytes:
    encoded = base64.encodebytes(data).replace(b"\n", b"\r\n")
    head = [b"Content-Type: " + content_type, *extra_headers, b"Content-Transfer-Encoding: base64"]
    return b"\r\n".join(head) + b"\r\n\r\n" + encoded


def _image_part(image: InlineImage) -> bytes:
    name = image.filename.encode("ascii")
    return _base64_part(image.content_type.encode("ascii") + b'; name="' + name + b'"', image.data,
                        b"Content-ID: <" + image.content_id.encode("ascii") + b">",
                        b'Content-Disposition: inline; filename="' + name + b'"')


def _multipart(subtype: bytes, boundary: bytes, parts: list[bytes]) -> bytes:
    delimiter = b"--" + boundary
    out = [b"Content-Type: multipart/" + subtype + b';\r\n boundary="' + boundary + b'"\r\n']
    for part in parts:
        out.append(delimiter + b"\r\n" + part)
    out.append(delimiter + b"--\r\n")
    return b"\r\n".join(out)


@functools.lru_cache(maxsize=256)  # the From header: the same on every message
def _address_header(name: str, address: str, header_name: str) -> bytes:
    """``name <address>``, the name quoted or RFC 2047-encoded as it needs."""
    if not name:
        return address.encode("ascii")
    if name.isascii():
        encoded = formataddr((name, "x")).rsplit(" <", 1)[0]
    else:
        # A short name is one base64 encoded word (RFC 2047), made directly: the `email.header`
        # machinery costs a twentieth of a message's delivery. Longer names are folded by it.
        encoded = "=?utf-8?b?" + base64.b64encode(name.encode("utf-8")).decode("ascii") + "?="
        if len(encoded) + len(header_name) + 2 > 78:
            encoded = Header(name, "utf-8", header_name=header_name).encode(linesep="\r\n")
    last_line = encoded.rsplit("\r\n", 1)[-1]
    separator = " " if len(last_line) + len(address) + 3 + len(header_name) + 2 <= 78 else "\r\n "
    return f"{encoded}{separator}<{address}>".encode("ascii")


@functools.lru_cache(maxsize=1024)
def _text_header(value: str, header_name: str) -> bytes:
    """An unstructured header value: as it is when ASCII and short, else RFC 2047 encoded words.

    Kept per value: a batch sends one subject (a meeting's, in one language) to everyone, and the
    `email.header` folding costs about a tenth of a reminder's delivery."""
    if value.isascii() and len(value) + len(header_name) + 2 <= 78:
        return value.encode("ascii")
    charset = "us-ascii" if value.isascii() else "utf-8"
    return Header(value, charset, header_name=header_name).encode(linesep="\r\n").encode("ascii")


@functools.lru_cache(maxsize=4)
def _tls_context(cert_file: str | None, cert_dir: str | None) -> ssl.SSLContext:
    """A verifying TLS context, made once per CA store (``SSL_CERT_FILE``/``SSL_CERT_DIR``, which
    OpenSSL reads when it is made): loading the store takes tens of milliseconds."""
    return ssl.create_default_context()


def _calendar_method(calendar: bytes, method: str | None) -> str:
    if not isinstance(calendar, bytes):
        raise ValueError("calendar must be bytes (a serialised iCalendar object).")
    try:
        content = calendar.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ValueError("calendar must be UTF-8.") from error
    # METHOD is a property of the calendar itself: it comes before the first component.
    header = re.split(r"\r?\nBEGIN:V(?!CALENDAR)", content, maxsplit=1, flags=re.I)[0]
    unfolded = re.sub(r"\r?\n[ \t]", "", header)
    if not unfolded.lstrip().upper().startswith("BEGIN:VCALENDAR"):
        raise ValueError("calendar must be an iCalendar object (BEGIN:VCALENDAR).")
    found = {value.strip().upper()
             for value in re.findall(r"^METHOD(?:;[^:\r\n]*)?:(.*?)\r?$", unfolded, re.M | re.I)}
    if len(found) != 1:
        raise ValueError("calendar must carry exactly one METHOD.")
    actual = found.pop()
    if actual not in METHODS:
        raise ValueError(f"METHOD:{actual} is not one of {', '.join(sorted(METHODS))}.")
    if method is not None and method.upper() != actual:
        raise ValueError(f"method={method} does not match the calendar's METHOD:{actual}.")
    return actual


#: An envelope address that needs no parsing: a dot-atom local part at an ASCII host name (every
#: recipient, made by `_mailbox`); the `email` parser costs a tenth of a message's delivery time.
_PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
                            r"@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+")


def _mailbox(value: str, what: str, *, bare: bool = False) -> Address:
    """One address (``bare``: no display name allowed) of the one grammar every part of the app
    reads addresses by (`meetings.core.emails`): what the directory took, delivery sends."""
    if bare:
        return _grammar_address(value, what)
    return _parse_mailbox(value, what)


def _grammar_address(value: str, what: str, display_name: str = "") -> Address:
    if isinstance(value, str) and _has_breaks(value):
        raise ValueError(f"{what} may not contain line breaks or control characters.")
    try:
        username, _, domain = normalize_email(value).rpartition("@")
    except EmailAddressError as error:
        raise ValueError(f"{what} is not an email address mail can be sent to: {value!r} ({error.reason})") from None
    return Address(display_name, username, domain)


@functools.lru_cache(maxsize=4096)
def _parse_mailbox(value: str, what: str) -> Address:
    if not isinstance(value, str) or _has_breaks(value):
        raise ValueError(f"{what} may not contain line breaks or control characters.")
    header = POLICY.header_factory("from", value)
    if len(header.addresses) != 1 or header.defects:
        raise ValueError(f"{what} must be one email address: {value!r}.")
    parsed = header.addresses[0]
    if not parsed.username or not parsed.domain:
        raise ValueError(f"{what} must be a user@domain address: {value!r}.")
    return _grammar_address(f"{parsed.username}@{parsed.domain}", what, _one_line(parsed.display_name))


@functools.lru_cache(maxsize=64)
def _envelope_address(value: str | tuple[str, str]) -> str:
    if isinstance(value, str) and _PLAIN_ADDRESS.fullmatch(value):
        return value
    if isinstance(value, tuple):
        value = value[1]
    if _has_breaks(value):
        raise ValueError("line breaks in an address")
    address = parseaddr(value)[1]
    if not address or not address.isascii():
        raise ValueError(f"not an ASCII email address: {value!r}")
    return address


def _one_line(value: str) -> str:
    """Line breaks and control characters folded into single spaces."""
    return _BREAKS.sub(" ", value).strip()


# Unicode categories Cc (C0 and C1 controls), Zl and Zp: what could end or split a header line.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_CONTROL_BUT_TAB = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")


def _has_breaks(value: str, *, allow_tab: bool = False) -> bool:
    return (_CONTROL_BUT_TAB if allow_tab else _CONTROL).search(value) is not None


def _reply_text(reply) -> str | None:
    if isinstance(reply, BaseException):
        reply = getattr(reply, "smtp_error", None)
    if isinstance(reply, bytes):
        return reply.decode("utf-8", "replace")
    return reply


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
