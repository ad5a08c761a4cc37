"""Sign-in throttling and the host check."""

import re

import pytest

from meetings.accounts.services import create_user
from meetings.extensions import db


@pytest.fixture()
def user():
    create_user("guard@example.com", "organizer", "the right password")
    db.session.commit()


def attempt(client, password, email="guard@example.com", address="198.51.100.7"):
    page = client.get("/login", environ_base={"REMOTE_ADDR": address})
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text).group(1)
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token},
                       environ_base={"REMOTE_ADDR": address})


def test_failed_sign_ins_to_one_account_are_throttled_with_a_clear_page(client, user):
    for n in range(5):
        assert attempt(client, f"wrong {n}", address=f"198.51.100.{n}").status_code == 401
    blocked = attempt(client, "the right password", address="198.51.100.99")
    assert blocked.status_code == 429
    assert "Too many failed sign-ins" in blocked.text


def test_successful_sign_ins_do_not_count(app, user):
    for _ in range(8):
        assert attempt(app.test_client(), "the right password").status_code == 302


def test_failed_sign_ins_from_one_address_are_throttled_across_accounts(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_LIMIT_PER_ADDRESS", "3 per 10 minutes")
    for n in range(3):
        assert attempt(client, "x", email=f"nobody{n}@example.com").status_code == 401
    assert attempt(client, "x", email="someone-else@example.com").status_code == 429


def test_a_request_for_another_host_is_refused(client):
    assert client.get("/login", headers={"Host": "evil.example.org"}).status_code == 400
    assert client.get("/login", headers={"Host": "meetings.example.com"}).status_code == 200
