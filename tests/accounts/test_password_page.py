"""Changing one's password from the page."""

from meetings.accounts.services import authenticate
from tests.manage.conftest import sign_in


def test_the_password_changes_and_mistakes_are_shown(client):
    browser = sign_in(client, "pw@example.com")
    url = "/account/password"
    wrong = browser.post(url, {"current_password": "not it", "new_password": "brand new password", "repeat_password": "brand new password"})
    assert wrong.status_code == 200 and "not your current password" in wrong.text
    differ = browser.post(url, {"current_password": "a long password", "new_password": "brand new password", "repeat_password": "other"})
    assert differ.status_code == 200 and "differ" in differ.text
    short = browser.post(url, {"current_password": "a long password", "new_password": "short", "repeat_password": "short"})
    assert short.status_code == 200 and "at least 10" in short.text
    done = browser.post(url, {"current_password": "a long password", "new_password": "brand new password",
                              "repeat_password": "brand new password"})
    assert done.status_code == 302
    assert authenticate("pw@example.com", "brand new password") is not None
    assert browser.get("/").status_code == 200  # this session carries on
