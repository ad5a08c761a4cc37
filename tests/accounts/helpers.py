"""What the account tests share: a user who can sign in, and looking through every table."""

from __future__ import annotations

import re

import sqlalchemy as sa

from meetings.accounts import services
from meetings.extensions import db

PASSWORD = "correct horse battery"


def make_user(email: str = "alice@example.com", role: str = "organizer", password: str = PASSWORD,
              active: bool = True):
    """A committed user."""
    user = services.create_user(email, role, password, "Alice")
    user.active = active
    db.session.commit()
    return user


class Browser:
    """A test client whose every request runs in an app context of its own, as on a server.

    The ``app`` fixture keeps one app context for the whole test, and Flask keeps ``g`` per app
    context: Flask-Login caches the signed-in user there and Flask-WTF the CSRF token. Through the
    plain ``client``, what one request (or another client) did leaks into the next request, so
    signing out or a second browser cannot be tested with it.
    """

    def __init__(self, app):
        self.app = app
        self.client = app.test_client()

    def open(self, *args, **kwargs):
        db.session.commit()
        try:
            with self.app.app_context():
                return self.client.open(*args, **kwargs)
        finally:
            db.session.commit()

    def get(self, *args, **kwargs):
        return self.open(*args, method="GET", **kwargs)

    def post(self, *args, **kwargs):
        return self.open(*args, method="POST", **kwargs)

    def get_cookie(self, key: str):
        return self.client.get_cookie(key)

    def set_cookie(self, key: str, value: str):
        self.client.set_cookie(key, value)


def page_csrf_token(html: str) -> str:
    """The CSRF token a page carries (the sign-out form of the layout, or the sign-in form)."""
    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html)
    assert match, "the page has no CSRF token"
    return match.group(1)


def csrf_token(client, url: str = "/login") -> str:
    """The CSRF token of the sign-in form, as a browser would read it from the page."""
    page = client.get(url)
    assert page.status_code == 200
    return page_csrf_token(page.text)


def log_in(client, email: str = "alice@example.com", password: str = PASSWORD, query: str = ""):
    """Fill in and send the sign-in form; ``query`` is appended to /login as it is."""
    token = csrf_token(client)
    return client.post("/login" + query, data={"email": email, "password": password, "csrf_token": token})


def database_text() -> str:
    """Every value of every row of every table, as one string."""
    parts = []
    with db.engine.connect() as connection:
        for table in db.metadata.sorted_tables:
            for row in connection.execute(sa.select(table)):
                parts.extend(str(value) for value in row)
    return "\n".join(parts)
