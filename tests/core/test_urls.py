"""Absolute links from BASE_URL (`meetings.core.urls`): a capability link's URL written from a
template built once is the URL the URL map builds."""

from __future__ import annotations

import secrets

import pytest

from meetings.core.urls import external_url, token_url
from tests.conftest import make_test_app

ENDPOINTS = ["invitations.rsvp_page", "conferencing.join_page", "conferencing.roll_call_page",
             "materials_links.speaker_page"]


@pytest.mark.parametrize("base", ["https://meetings.example.com", "https://example.com/group/meetings",
                                  "http://127.0.0.1:8000/"])
def test_a_tokens_url_is_the_one_the_url_map_builds(database_url, base):
    app = make_test_app(database_url, BASE_URL=base)
    with app.app_context():
        for endpoint in ENDPOINTS:
            for token in (secrets.token_urlsafe(32), secrets.token_urlsafe(32), "-_" + secrets.token_urlsafe(8)):
                url = token_url(endpoint, token)
                assert url == external_url(endpoint, token=token)
                assert url.startswith(base.rstrip("/") + "/") and f"/{token}" in url


@pytest.mark.parametrize("token", ["a/b", "a b", "例子", "a%2F", "a?b#c"])
def test_a_token_with_other_characters_is_escaped_as_the_url_map_escapes_it(app, token):
    assert token_url("invitations.rsvp_page", token) == external_url("invitations.rsvp_page", token=token)
