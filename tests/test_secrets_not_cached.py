"""Every answer that shows a secret (a new API token, a capability link) is sent with
``Cache-Control: no-store``: no browser history, back button or shared cache keeps it."""

import re

from meetings.core.http import shows_secret
from tests import factories
from tests.manage.conftest import sign_in


def no_store(response) -> bool:
    return "no-store" in response.headers.get("Cache-Control", "")


def test_a_new_api_token_is_not_kept(api):
    issued = api.post("/api/tokens", json={"name": "mail gateway"})
    assert issued.status_code == 201 and issued.json["token"]
    assert no_store(issued)


def test_the_token_page_that_shows_a_new_token_is_not_kept(client):
    browser = sign_in(client, "tokens.page@example.com")
    page = browser.post("/account/tokens", {"name": "calendar bridge"})
    assert page.status_code == 200
    token = re.search(r'id="new-token">([A-Za-z0-9_-]{40,})<', page.text).group(1)
    assert token and no_store(page)
    assert no_store(browser.get("/account/tokens"))


def test_site_links_new_or_rotated_are_not_kept(api, client):
    meeting = factories.meeting(api.user)
    site = meeting.main_site
    for action in ("link", "rotate-link"):
        answer = api.post(f"/api/meetings/{meeting.id}/sites/{site.id}/{action}")
        assert answer.status_code == 200 and "/join/" in answer.json["url"]
        assert no_store(answer), action
        page = client.get(answer.json["url"].removeprefix("https://meetings.example.com"))
        assert page.status_code == 200 and no_store(page)  # the link's own page embeds the token


def test_every_handler_declared_to_show_a_secret_is_marked(app):
    marked = {endpoint for endpoint, view in app.view_functions.items() if getattr(view, "shows_secret", False)}
    assert {"account_api.issue_token", "accounts.tokens", "conferencing_api.site_link",
            "conferencing_api.rotate_site_link"} <= marked, marked
    assert shows_secret(lambda: None).shows_secret
