"""Development only: a local SMTP server that keeps every email, and pages to read them.

With ``FLASK_DEBUG=1`` and no ``MAIL_SERVER`` set (what `make run` does), the app's outgoing
mail goes to an aiosmtpd server inside the development server, which writes each message to
``instance/dev-mail/``; ``/dev/mail`` lists them, shows each one as a mail client would, and
offers its invite.ics. Nothing of this exists outside development.
"""

from __future__ import annotations

import base64
import email
import os
import re
import socket
import threading
import time
from email import policy

from flask import Blueprint, Flask, Response, abort, current_app, render_template

from meetings.core.access import PUBLIC, access
from meetings.core.http import shows_secret

blueprint = Blueprint("devmail", __name__, url_prefix="/dev/mail")
_NAME = re.compile(r"^\d+-[0-9a-f]{8}\.eml$")
_lock = threading.Lock()
_servers: dict[str, object] = {}


def folder() -> str:
    """Where the development mailbox keeps its messages."""
    return os.path.join(current_app.instance_path, "dev-mail")


class _Keeper:
    """An aiosmtpd handler that writes each message to a file."""

    def __init__(self, directory: str):
        self.directory = directory

    async def handle_DATA(self, server, session, envelope):
        name = f"{time.time_ns()}-{os.urandom(4).hex()}.eml"
        with open(os.path.join(self.directory, name), "wb") as handle:
            handle.write(envelope.original_content)
        return "250 Kept in the development mailbox"


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def init_app(app: Flask, *, serving: bool) -> None:
    """Route mail to the development mailbox and attach its pages (development only)."""
    if not app.debug or os.environ.get("MAIL_SERVER") or app.testing:
        return
    port = int(os.environ.get("DEV_MAIL_PORT", "8025"))
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_USE_TLS=False, MAIL_USE_SSL=False,
                      MAIL_USERNAME=None, MAIL_PASSWORD=None)
    app.extensions["mail"].server, app.extensions["mail"].port = "127.0.0.1", port
    app.extensions["mail"].use_tls = app.extensions["mail"].use_ssl = False
    app.register_blueprint(blueprint)
    app.context_processor(lambda: {"dev_mailbox": True})
    if serving:
        directory = os.path.join(app.instance_path, "dev-mail")
        os.makedirs(directory, exist_ok=True)
        with _lock:
            if directory not in _servers and _port_free(port):
                from aiosmtpd.controller import Controller

                controller = Controller(_Keeper(directory), hostname="127.0.0.1", port=port)
                controller.start()
                _servers[directory] = controller
                app.logger.info("development mailbox on 127.0.0.1:%s, read it at /dev/mail", port)


def _messages() -> list[tuple[str, email.message.EmailMessage]]:
    directory = folder()
    names = sorted((n for n in os.listdir(directory) if _NAME.match(n)), reverse=True) if os.path.isdir(
        directory) else []
    out = []
    for name in names[:300]:
        with open(os.path.join(directory, name), "rb") as handle:
            out.append((name, email.message_from_bytes(handle.read(), policy=policy.default)))
    return out


def _message(name: str) -> email.message.EmailMessage:
    if not _NAME.match(name) or not os.path.exists(os.path.join(folder(), name)):
        abort(404)
    with open(os.path.join(folder(), name), "rb") as handle:
        return email.message_from_bytes(handle.read(), policy=policy.default)


@blueprint.route("/")
@access(PUBLIC)  # development only: the blueprint exists only under FLASK_DEBUG
def inbox():
    """Every email the app sent, newest first."""
    return render_template("devmail/inbox.html", messages=_messages())


@blueprint.route("/<name>")
@access(PUBLIC)
@shows_secret
def message(name: str):
    """One email: its headers, its HTML and text, and its calendar part."""
    mail = _message(name)
    html = mail.get_body(("html",))
    text = mail.get_body(("plain",))
    calendar = next((p for p in mail.walk() if p.get_content_type() == "text/calendar"), None)
    return render_template("devmail/message.html", name=name, mail=mail,
                           html=inline_images(mail, html.get_content()) if html else None, text=text.get_content() if text else "",
                           calendar=calendar.get_content() if calendar else None)


def inline_images(mail: email.message.EmailMessage, html: str) -> str:
    """``html`` with each ``cid:`` image (the check-in code) written in as a ``data:`` URL: the
    page shows the HTML in a sandboxed frame, which cannot reach the message's other parts, as
    a mail client does."""
    for part in mail.walk():
        content_id = (part.get("Content-ID") or "").strip("<> ")
        if content_id and part.get_content_maintype() == "image" and f"cid:{content_id}" in html:
            data = base64.b64encode(part.get_content()).decode("ascii")
            html = html.replace(f"cid:{content_id}", f"data:{part.get_content_type()};base64,{data}")
    return html


@blueprint.route("/<name>/invite.ics")
@access(PUBLIC)
@shows_secret
def calendar_file(name: str):
    """The email's calendar part, to open in a calendar program."""
    mail = _message(name)
    calendar = next((p for p in mail.walk() if p.get_content_type() == "text/calendar"), None)
    if calendar is None:
        abort(404)
    return Response(calendar.get_payload(decode=True), mimetype="text/calendar",
                    headers={"Content-Disposition": 'attachment; filename="invite.ics"'})
