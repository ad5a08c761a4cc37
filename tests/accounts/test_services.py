"""Account services: users, passwords, sessions and API tokens."""

import hashlib

import pytest
import sqlalchemy as sa

from meetings.accounts import services
from meetings.accounts.models import ApiToken, User, UserRole
from meetings.core.db import utcnow
from meetings.core.errors import Conflict, InvalidInput, NotFound
from meetings.extensions import db
from tests.accounts.helpers import PASSWORD, database_text, make_user


def test_a_new_user_is_stored_with_a_lower_case_email_and_a_hashed_password(app):
    services.create_user("  Alice@Example.COM ", "admin", PASSWORD)
    db.session.commit()
    user = db.session.scalar(sa.select(User))
    assert user.email == "alice@example.com"
    assert user.role == UserRole.ADMIN and user.is_admin
    assert user.name == "alice"
    assert PASSWORD not in user.password_hash
    assert user.password_hash.startswith("scrypt:")
    assert user.active and user.session_version == 1


def test_the_same_password_hashes_differently_for_two_users(app):
    first = make_user("a@example.com")
    second = make_user("b@example.com")
    assert first.password_hash != second.password_hash


def test_an_email_is_taken_whatever_its_case(app):
    make_user("alice@example.com")
    with pytest.raises(Conflict) as raised:
        services.create_user("ALICE@example.com", "organizer", PASSWORD)
    assert "email" in raised.value.fields
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1


@pytest.mark.parametrize("email", [
    "",
    "alice",
    "Alice <alice@example.com>",
    "alice@example.com\r\nBcc: mallory@example.com",
    "alice smith@example.com",
    "alice@example",
])
def test_a_user_needs_a_plain_email_address(app, email):
    with pytest.raises(InvalidInput) as raised:
        services.create_user(email, "organizer", PASSWORD)
    assert "email" in raised.value.fields
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


@pytest.mark.parametrize("role", ["owner", "", "ADMIN "])
def test_the_role_must_be_admin_or_organizer(app, role):
    with pytest.raises(InvalidInput) as raised:
        services.create_user("alice@example.com", role, PASSWORD)
    assert "role" in raised.value.fields


@pytest.mark.parametrize("password", ["", "1234567", "12345678", "abc12345", None])
def test_a_password_needs_ten_characters(app, password):
    with pytest.raises(InvalidInput) as raised:
        services.create_user("alice@example.com", "organizer", password)
    assert "10 characters" in raised.value.fields["password"][0]


def test_authenticate_takes_the_right_password_in_any_email_case(app):
    user = make_user()
    assert services.authenticate("ALICE@example.com", PASSWORD) == user
    assert services.authenticate("alice@example.com", PASSWORD + "x") is None
    assert services.authenticate("alice@example.com", "") is None
    assert services.authenticate("alice@example.com", None) is None
    assert services.authenticate("bob@example.com", PASSWORD) is None


def test_an_inactive_user_cannot_authenticate(app):
    make_user(active=False)
    assert services.authenticate("alice@example.com", PASSWORD) is None


def test_a_new_password_replaces_the_old_one_and_ends_sessions(app):
    user = make_user()
    old_session = user.get_id()
    services.set_password(user, "a brand new password")
    db.session.commit()
    assert services.authenticate("alice@example.com", PASSWORD) is None
    assert services.authenticate("alice@example.com", "a brand new password") == user
    assert services.load_session_user(old_session) is None
    assert services.load_session_user(user.get_id()) == user


def test_a_short_new_password_changes_nothing(app):
    user = make_user()
    with pytest.raises(InvalidInput):
        services.set_password(user, "short")
    db.session.rollback()
    assert services.authenticate("alice@example.com", PASSWORD) == user


@pytest.mark.parametrize("session_id", ["", "x", "1", "1:", ":1", "abc:1", "1:abc", "999:1"])
def test_a_malformed_or_unknown_session_names_no_one(app, session_id):
    make_user()
    assert services.load_session_user(session_id) is None


def test_a_session_of_an_inactive_user_names_no_one(app):
    user = make_user()
    session_id = user.get_id()
    assert services.load_session_user(session_id) == user
    user.active = False
    db.session.commit()
    assert services.load_session_user(session_id) is None


def test_end_sessions_makes_the_old_session_stale(app):
    user = make_user()
    session_id = user.get_id()
    services.end_sessions(user)
    db.session.commit()
    assert services.load_session_user(session_id) is None


def test_an_api_token_is_stored_only_as_its_sha256(app):
    make_user()
    raw = services.issue_api_token("Alice@Example.com", "laptop")
    db.session.commit()
    token = db.session.scalar(sa.select(ApiToken))
    assert token.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert token.name == "laptop"
    assert raw not in database_text()


def test_an_api_token_resolves_to_its_user(app):
    user = make_user()
    raw = services.issue_api_token("alice@example.com")
    db.session.commit()
    found_user, token = services.user_for_api_token(raw)
    assert found_user == user and token.user_id == user.id


def test_each_token_is_new_and_all_keep_working(app):
    make_user()
    first = services.issue_api_token("alice@example.com")
    second = services.issue_api_token("alice@example.com")
    db.session.commit()
    assert first != second
    assert services.user_for_api_token(first) is not None
    assert services.user_for_api_token(second) is not None


def test_no_token_for_an_unknown_email(app):
    with pytest.raises(NotFound) as raised:
        services.issue_api_token("nobody@example.com")
    assert "email" in raised.value.fields


@pytest.mark.parametrize("raw", ["", "short", "has spaces in it but is long enough", "é" * 43, "A" * 43])
def test_junk_and_unknown_tokens_resolve_to_no_one(app, raw):
    make_user()
    services.issue_api_token("alice@example.com")
    db.session.commit()
    assert services.user_for_api_token(raw) is None


def test_revoked_tokens_and_inactive_users_resolve_to_no_one(app):
    user = make_user()
    revoked = services.issue_api_token("alice@example.com")
    kept = services.issue_api_token("alice@example.com")
    db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == hashlib.sha256(revoked.encode()).hexdigest())
                      ).revoked_at = utcnow()
    db.session.commit()
    assert services.user_for_api_token(revoked) is None
    assert services.user_for_api_token(kept) is not None
    user.active = False
    db.session.commit()
    assert services.user_for_api_token(kept) is None
