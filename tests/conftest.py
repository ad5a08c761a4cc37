"""Fixtures: the app, its database (SQLite, or PostgreSQL with DATABASE_URL), clients, and a
real SMTP server on loopback.

The schema is built once per run by the Alembic migrations themselves; every test starts from
empty tables.
"""

from __future__ import annotations

import asyncio
import contextvars
import email
import os
import socket
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from email import policy

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from flask import has_app_context
from flask.testing import FlaskClient

from config import TestConfig
from meetings import create_app
from meetings.extensions import db, limiter


def pytest_sessionstart(session):
    """Compile the translation catalogs, so the suite reads the .po files as they are now even
    when pytest runs without make."""
    from pathlib import Path

    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po_path in Path(__file__).resolve().parent.parent.glob("translations/*/LC_MESSAGES/messages.po"):
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file)
        with po_path.with_suffix(".mo").open("wb") as mo_file:
            write_mo(mo_file, catalog)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class ReceivedMail:
    """One message as the SMTP server got it."""

    mail_from: str
    rcpt_tos: list[str]
    raw: bytes

    @property
    def message(self) -> email.message.EmailMessage:
        return email.message_from_bytes(self.raw, policy=policy.default)


class Mailbox:
    """An aiosmtpd handler that keeps what it receives; can be told to refuse for a while, or to
    take ``delay`` seconds over each message (a slow server, to stop a sender mid-batch)."""

    def __init__(self):
        self.received: list[ReceivedMail] = []
        self.refuse_with: str | None = None
        self.delay = 0.0
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)

    async def handle_DATA(self, server, session, envelope):
        if self.refuse_with:
            return self.refuse_with
        if self.delay:
            await asyncio.sleep(self.delay)
        with self._arrived:
            self.received.append(ReceivedMail(envelope.mail_from, list(envelope.rcpt_tos),
                                              envelope.original_content))
            self._arrived.notify_all()
        return "250 Message accepted for delivery"

    def clear(self) -> None:
        with self._lock:
            self.received.clear()
        self.refuse_with = None
        self.delay = 0.0

    def wait_for(self, count: int, timeout: float = 10.0) -> list[ReceivedMail]:
        """Block until at least ``count`` messages arrived (or the timeout); returns them."""
        with self._arrived:
            self._arrived.wait_for(lambda: len(self.received) >= count, timeout)
            return list(self.received)


class SmtpServer:
    """A real SMTP server on 127.0.0.1 for the whole run."""

    def __init__(self):
        self.mailbox = Mailbox()
        self.port = _free_port()
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)

    @property
    def messages(self) -> list[ReceivedMail]:
        return list(self.mailbox.received)


@pytest.fixture(scope="session")
def smtp_server():
    server = SmtpServer()
    server.controller.start()
    yield server
    server.controller.stop()


@pytest.fixture()
def smtp(smtp_server):
    """The SMTP server, its mailbox emptied for this test."""
    smtp_server.mailbox.clear()
    yield smtp_server
    smtp_server.mailbox.clear()


def _database_url(tmp_path_factory) -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        name = sa.engine.make_url(url).database or ""
        if "test" not in name:
            pytest.exit(f"Refusing to run the suite on database {name!r}: its name must contain 'test', "
                        "because every test empties the tables.", returncode=2)
        return url
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "meetings.sqlite3")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    return _database_url(tmp_path_factory)


def make_test_app(database_url: str, smtp_port: int | None = None, **overrides):
    """An app on the test database (schema already there)."""
    settings = {"SQLALCHEMY_DATABASE_URI": database_url, "MAIL_SERVER": "127.0.0.1",
                "MAIL_PORT": smtp_port or 1}
    settings.update(overrides)
    return create_app(TestConfig(**settings))


@pytest.fixture(scope="session")
def _app(database_url, smtp_server):
    from flask_migrate import upgrade

    app = make_test_app(database_url, smtp_server.port)
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            _drop_everything(app)
        upgrade()
    yield app
    with app.app_context():
        db.engine.dispose()


def _drop_everything(app) -> None:
    with db.engine.begin() as connection:
        connection.exec_driver_sql("DROP SCHEMA public CASCADE")
        connection.exec_driver_sql("CREATE SCHEMA public")


def read_after_request(response) -> None:
    """Consume ``response``'s body and close it, as gunicorn does once the request has ended: a
    generator body (``stream_with_context``) runs here, outside the view's database session."""
    try:
        response.make_sequence()
    finally:
        response.close()


class Client(FlaskClient):
    """A test client whose requests run as they do in production, beside the test's own context.

    Each request gets an app context of its own (its own ``g`` and database session), as it
    would in a server. Before a request, what the test wrote is committed; after it, the test's
    session is ended so the next read sees what the request committed (SQLite keeps a read
    snapshot otherwise).
    """

    def open(self, *args, **kwargs):
        # A streamed body is read the way a WSGI server reads it: after the view returned and the
        # request's teardown ran (its database session removed), then closed. Reading it inside
        # the request (``buffered=True``) hid exports that touched ORM objects while streaming.
        kwargs.setdefault("buffered", False)
        if not has_app_context():  # a redirect followed, already inside `_serve`'s context
            return super().open(*args, **kwargs)
        db.session.commit()
        try:
            # In a context of its own, as in a server: the test's app context is not there for the
            # request to reuse, so the request pushes and tears down its own before the body is read.
            return contextvars.Context().run(self._serve, *args, **kwargs)
        finally:
            db.session.commit()

    def _serve(self, *args, **kwargs):
        response = super().open(*args, **kwargs)
        read_after_request(response)
        return response


@pytest.fixture()
def app(_app):
    """The app, inside an app context, on empty tables."""
    _app.test_client_class = Client
    context = _app.app_context()
    context.push()
    limiter.reset()
    try:
        yield _app
    finally:
        db.session.remove()
        _empty_tables()
        context.pop()


@pytest.fixture()
def checkin_open(app):
    """QR check-in and roll call open for any meeting of the suite (they are in next year's
    June): the window (`CHECKIN_OPENS_BEFORE`) set to two years, put back after."""
    before = app.config["CHECKIN_OPENS_BEFORE"]
    app.config["CHECKIN_OPENS_BEFORE"] = 2 * 366 * 24 * 60
    try:
        yield
    finally:
        app.config["CHECKIN_OPENS_BEFORE"] = before


@pytest.fixture()
def page_cache_off(app):
    """``with page_cache_off(): ...`` serves pages and answers without keeping any
    (`meetings.core.pagecache`), as ``PAGE_CACHE_SIZE=0`` does; the cache is back, empty, after."""
    from meetings.core import pagecache

    @contextmanager
    def off():
        size = app.config["PAGE_CACHE_SIZE"]
        app.config["PAGE_CACHE_SIZE"] = 0
        pagecache.init_app(app)
        try:
            yield
        finally:
            app.config["PAGE_CACHE_SIZE"] = size
            pagecache.init_app(app)

    return off


def _empty_tables() -> None:
    tables = db.metadata.sorted_tables
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            connection.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
        else:
            for table in reversed(tables):
                connection.execute(table.delete())


@pytest.fixture()
def client(app):
    return app.test_client()


@pytest.fixture()
def runner(app):
    return app.test_cli_runner()


class ApiClient:
    """A test client that sends a bearer token and speaks JSON."""

    def __init__(self, client: FlaskClient, token: str, user):
        self.client, self.token, self.user = client, token, user

    def _headers(self, headers):
        merged = {"Authorization": f"Bearer {self.token}"}
        merged.update(headers or {})
        return merged

    def get(self, url, headers=None, **kwargs):
        return self.client.get(url, headers=self._headers(headers), **kwargs)

    def post(self, url, json=None, headers=None, **kwargs):
        return self.client.post(url, json=json, headers=self._headers(headers), **kwargs)

    def patch(self, url, json=None, headers=None, **kwargs):
        return self.client.patch(url, json=json, headers=self._headers(headers), **kwargs)

    def delete(self, url, headers=None, **kwargs):
        return self.client.delete(url, headers=self._headers(headers), **kwargs)


def api_client_for(client, role: str = "organizer", email: str | None = None) -> ApiClient:
    """An API client acting as a new user with ``role``."""
    from meetings.accounts import services

    email = email or f"{role}-{os.urandom(3).hex()}@example.com"
    user = services.create_user(email, role, "correct horse battery", name=role.title())
    token = services.issue_api_token(email, "tests")
    db.session.commit()
    return ApiClient(client, token, user)


@pytest.fixture()
def api(client):
    """An organizer's API client."""
    return api_client_for(client, "organizer")


@pytest.fixture()
def admin_api(client):
    """An admin's API client."""
    return api_client_for(client, "admin")


@pytest.fixture()
def other_api(client):
    """Another organizer's API client."""
    return api_client_for(client, "organizer")
