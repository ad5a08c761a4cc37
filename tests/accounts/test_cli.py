"""``flask users create`` and ``flask users token``."""

import sqlalchemy as sa

from meetings.accounts import services
from meetings.accounts.models import ApiToken, User, UserRole
from meetings.extensions import db
from tests.accounts.helpers import database_text


def users():
    db.session.expire_all()
    return list(db.session.scalars(sa.select(User).order_by(User.id)))


def create(runner, email="wang@example.com", role="organizer", password="s3cret-enough", *extra):
    return runner.invoke(args=["users", "create", email, "--role", role, "--password", password, *extra])


def test_create_an_admin(runner):
    result = create(runner, "Root@Example.com", "admin")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "Created admin root@example.com."
    [user] = users()
    assert user.email == "root@example.com" and user.role == UserRole.ADMIN and user.name == "root"
    assert "s3cret-enough" not in user.password_hash
    assert services.authenticate("root@example.com", "s3cret-enough") == user


def test_create_an_organizer_with_a_name(runner):
    result = create(runner, "wang@example.com", "organizer", "s3cret-enough", "--name", "王伟")
    assert result.exit_code == 0, result.output
    [user] = users()
    assert user.role == UserRole.ORGANIZER and user.name == "王伟"


def test_create_a_user_who_reads_chinese(runner):
    result = create(runner, "li@example.com", "organizer", "s3cret-enough", "--language", "zh_Hans")
    assert result.exit_code == 0, result.output
    assert create(runner, "bo@example.com", "organizer", "s3cret-enough", "--language", "fr").exit_code == 2
    [user] = users()
    assert user.language == "zh_Hans"  # without --language: None, the browser's language


def test_an_email_cannot_be_used_twice(runner):
    create(runner)
    result = create(runner, "WANG@example.com", "admin", "other-password")
    assert result.exit_code == 1
    assert "already exists" in result.output
    [user] = users()
    assert user.role == UserRole.ORGANIZER


def test_a_role_other_than_admin_or_organizer_is_refused(runner):
    result = create(runner, role="owner")
    assert result.exit_code == 2
    assert "'owner' is not one of 'admin', 'organizer'" in result.output
    assert users() == []


def test_a_short_password_is_refused(runner):
    result = create(runner, role="admin", password="short")
    assert result.exit_code == 1
    assert "at least 10 characters" in result.output
    assert users() == []


def test_the_role_and_the_password_are_required(runner):
    assert runner.invoke(args=["users", "create", "wang@example.com", "--password", "s3cret-enough"]).exit_code == 2
    assert runner.invoke(args=["users", "create", "wang@example.com", "--role", "admin"]).exit_code == 2
    assert users() == []


def test_a_display_name_form_of_email_is_refused(runner):
    result = create(runner, "Wang Wei <wang@example.com>", "admin")
    assert result.exit_code == 1
    assert "not a valid email address" in result.output
    assert users() == []


def test_token_prints_a_working_token_as_its_last_line(runner, client):
    create(runner)
    result = runner.invoke(args=["users", "token", "Wang@Example.com", "--name", "laptop"])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert "wang@example.com" in lines[0]
    token = lines[-1]
    response = client.get("/api/people", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert token not in database_text()
    [stored] = db.session.scalars(sa.select(ApiToken))
    assert stored.name == "laptop" and stored.user.email == "wang@example.com"


def test_each_token_is_different_and_all_work(runner, client):
    create(runner)
    first = runner.invoke(args=["users", "token", "wang@example.com"]).output.strip().splitlines()[-1]
    second = runner.invoke(args=["users", "token", "wang@example.com"]).output.strip().splitlines()[-1]
    assert first != second
    for token in (first, second):
        assert client.get("/api/people", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_no_token_for_an_unknown_user(runner):
    result = runner.invoke(args=["users", "token", "nobody@example.com"])
    assert result.exit_code == 1
    assert "No user with the email nobody@example.com" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 0
