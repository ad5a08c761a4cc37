"""Bearer tokens on the API: the only way in, and every failure a 401 in the API's error shape."""

import hashlib

import pytest
import sqlalchemy as sa

from meetings.accounts import services
from meetings.accounts.models import ApiToken
from meetings.core.db import utcnow
from meetings.extensions import db
from tests import factories
from tests.accounts.helpers import Browser, log_in, make_user

UNAUTHORIZED_MESSAGE = "Authentication required: send a valid API token as 'Authorization: Bearer TOKEN'."


def assert_unauthorized(response):
    assert response.status_code == 401
    assert response.json == {"error": {"status": 401, "message": UNAUTHORIZED_MESSAGE, "fields": {}}}
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="meetings"'


@pytest.fixture()
def token(app):
    make_user()
    raw = services.issue_api_token("alice@example.com", "tests")
    db.session.commit()
    return raw


@pytest.fixture(params=["people", "meeting"])
def read_path(request, token):
    """An answer read after the token is checked (the people), and one kept per version (a
    meeting's JSON): the token is checked before either."""
    if request.param == "people":
        return "/api/people"
    return f"/api/meetings/{factories.meeting(services.get_user_by_email('alice@example.com')).id}"


def stored(raw):
    return db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == hashlib.sha256(raw.encode()).hexdigest()))


def test_a_valid_token_opens_the_api(client, token):
    response = client.get("/api/people", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.json == []


def test_the_scheme_is_read_in_any_case(client, token, read_path):
    assert client.get(read_path, headers={"Authorization": f"bearer {token}"}).status_code == 200
    assert client.get(read_path, headers={"Authorization": f"BEARER  {token} "}).status_code == 200


def test_a_token_writes_without_a_csrf_token(client, token):
    response = client.post("/api/people", json={"name": "Wang Wei", "email": "wang@example.com"},
                           headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 201


@pytest.mark.parametrize("header", [
    None,
    "",
    "Bearer",
    "Bearer ",
    "Basic YWxpY2U6cGFzc3dvcmQ=",
    "Token {token}",
    "{token}",
    "Bearer {token}x",
    "Bearer {token} {token}",
    "Bearer not-a-token!",
    "Bearer abc",
    "Bearer " + "A" * 43,
])
def test_a_missing_malformed_or_unknown_token_is_refused(client, token, read_path, header):
    headers = {} if header is None else {"Authorization": header.format(token=token)}
    assert client.get(read_path, headers={"Authorization": f"Bearer {token}"}).status_code == 200  # (kept)
    assert_unauthorized(client.get(read_path, headers=headers))
    assert_unauthorized(client.post("/api/people", json={"name": "X", "email": "x@example.com"}, headers=headers))
    assert db.session.execute(sa.text("select count(*) from people")).scalar() == 0


def test_a_revoked_token_is_refused(client, token, read_path):
    assert client.get(read_path, headers={"Authorization": f"Bearer {token}"}).status_code == 200
    stored(token).revoked_at = utcnow()
    db.session.commit()
    assert_unauthorized(client.get(read_path, headers={"Authorization": f"Bearer {token}"}))


def test_the_token_of_an_inactive_user_is_refused(client, token, read_path):
    assert client.get(read_path, headers={"Authorization": f"Bearer {token}"}).status_code == 200
    services.get_user_by_email("alice@example.com").active = False
    db.session.commit()
    assert_unauthorized(client.get(read_path, headers={"Authorization": f"Bearer {token}"}))


def test_a_kept_answer_still_checks_the_token_before_the_view(app, client, token):
    # The meeting's JSON is kept per version (meetings.core.pagecache); the token is checked
    # before every view all the same, by the blueprint's one hook.
    meeting = factories.meeting(services.get_user_by_email("alice@example.com"))
    db.session.commit()
    url, auth = f"/api/meetings/{meeting.id}", {"Authorization": f"Bearer {token}"}
    assert client.get(url, headers=auth).status_code == 200
    assert client.get(url, headers=auth).status_code == 200  # kept
    assert_unauthorized(client.get(url, headers={"Authorization": "Bearer " + "A" * 43}))
    stored(token).revoked_at = utcnow()
    db.session.commit()
    assert_unauthorized(client.get(url, headers=auth))


def test_a_signed_in_browser_session_does_not_open_the_api(app, token):
    browser = Browser(app)
    assert log_in(browser).status_code == 302
    assert browser.get("/").status_code == 200
    assert_unauthorized(browser.get("/api/people"))


def test_each_use_is_recorded_on_the_token(client, token, read_path):
    assert stored(token).last_used_at is None
    before = utcnow()
    client.get(read_path, headers={"Authorization": f"Bearer {token}"})
    db.session.expire_all()
    used = stored(token).last_used_at
    assert used is not None and used >= before.replace(microsecond=0)
