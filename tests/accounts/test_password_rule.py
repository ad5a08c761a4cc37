"""The password rule (meetings.accounts.passwords): too short, one kind of character, too few
different characters, a common password or one's own email are refused, with the reason, by
`users create`, the password page and the services; in English and in Chinese."""

import pytest

from meetings.accounts import services
from meetings.accounts.passwords import check_password, common_passwords
from meetings.core.errors import InvalidInput
from meetings.core.i18n import in_language
from tests.manage.conftest import sign_in


@pytest.mark.parametrize("password, reason", [
    ("12345678", "at least 10 characters"),
    ("1234567890", "most common"),
    ("Password123", "most common"),
    ("qwertyuiop", "most common"),
    ("abcdefghijkl", "Mix letters"),
    ("8472910365", "Mix letters"),
    ("!!??!!??--++", "too few"),
    ("aaaaaaaaaaaaaaaaaaaaa", "too few"),
    ("wang.wei@example.com", "your email"),
    ("Wang.Wei12", "your email"),
])
def test_weak_passwords_are_refused_with_the_reason(app, password, reason):
    with pytest.raises(InvalidInput) as raised:
        services.create_user("wang.wei12@example.com" if password == "Wang.Wei12" else "wang.wei@example.com",
                             "organizer", password)
    assert reason in raised.value.fields["password"][0]


@pytest.mark.parametrize("password", ["correct horse battery", "s3cret-enough", "meetings-demo", "Tr0ub4dor&3",
                                      "averyveryverylongpassphrase", "会议系统的密码2026"])
def test_reasonable_passwords_pass(app, password):
    check_password(password, "wang.wei@example.com")


def test_the_common_list_ships_with_the_code_and_is_read(app):
    assert len(common_passwords()) > 50
    assert "1234567890" in common_passwords()


def test_the_reason_is_said_in_chinese_too(app):
    with in_language("zh_Hans"), pytest.raises(InvalidInput) as raised:
        check_password("1234567890")
    message = raised.value.fields["password"][0]
    assert "常见" in message and "common" not in message


def test_users_create_refuses_a_common_password(runner):
    result = runner.invoke(args=["users", "create", "wang@example.com", "--role", "organizer",
                                 "--password", "password123"])
    assert result.exit_code != 0
    assert "most common" in result.output


def test_the_password_page_refuses_a_weak_password(client):
    browser = sign_in(client, "pw.rule@example.com")
    weak = browser.post("/account/password", {"current_password": "a long password", "new_password": "1234567890",
                                              "repeat_password": "1234567890"})
    assert weak.status_code == 200 and "most common" in weak.text
