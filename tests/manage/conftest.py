import re

import pytest

from meetings.accounts.services import create_user
from meetings.extensions import db


class Browser:
    """A signed-in organizer's test client that fills forms the way the pages build them."""

    def __init__(self, client, user):
        self.client, self.user = client, user

    def token(self, path: str) -> str:
        page = self.client.get(path)
        match = re.search(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"', page.text)
        assert match, f"no form on {path}"
        return match.group(1)

    def get(self, path, **kwargs):
        return self.client.get(path, **kwargs)

    def post(self, path, data=None, form_page=None, **kwargs):
        data = dict(data or {})
        data.setdefault("csrf_token", self.token(form_page or path))
        return self.client.post(path, data=data, **kwargs)


def sign_in(client, email: str, role: str = "organizer") -> Browser:
    user = create_user(email, role, "a long password", name=email.split("@")[0])
    db.session.commit()
    page = client.get("/login")
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text).group(1)
    assert client.post("/login", data={"email": email, "password": "a long password",
                                       "csrf_token": token}).status_code == 302
    return Browser(client, user)


@pytest.fixture()
def browser(client):
    return sign_in(client, "organizer.ui@example.com")
