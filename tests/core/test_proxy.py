"""Behind the reverse proxy, the client's address comes from the proxy's X-Forwarded-For, for
exactly ``TRUSTED_PROXY_HOPS`` proxies: what every per-client limit counts by."""

from __future__ import annotations

import re

import pytest
from flask import request

from config import TestConfig
from meetings import create_app

PROXY = {"REMOTE_ADDR": "127.0.0.1"}  # every connection comes from nginx on the same host


def echo_app(tmp_path, hops: int):
    """An app with ``hops`` trusted proxies and a route that answers the client's address and
    scheme as the app sees them."""
    app = create_app(TestConfig(SQLALCHEMY_DATABASE_URI="sqlite://", TRUSTED_PROXY_HOPS=hops),
                     instance_path=str(tmp_path))
    app.add_url_rule("/whoami", "whoami", lambda: f"{request.remote_addr} {request.scheme}")
    return app.test_client()


@pytest.mark.parametrize("hops, forwarded, seen", [
    (1, "203.0.113.5", "203.0.113.5 https"),
    (1, "198.51.100.1, 203.0.113.5", "203.0.113.5 https"),  # what the client wrote is not trusted
    (2, "198.51.100.1, 203.0.113.5", "198.51.100.1 https"),  # two proxies: the address the first saw
    (0, "203.0.113.5", "127.0.0.1 http"),  # no proxy: the header is the client's own words
    (1, None, "127.0.0.1 http"),  # straight to the app (a health check): its own address
])
def test_the_client_address_is_taken_from_the_trusted_hops(tmp_path, hops, forwarded, seen):
    # Each proxy appends to X-Forwarded-For, and sets or appends X-Forwarded-Proto.
    proto = ", ".join(["https"] * max(hops, 1))
    headers = {"X-Forwarded-For": forwarded, "X-Forwarded-Proto": proto} if forwarded else {}
    response = echo_app(tmp_path, hops).get("/whoami", headers=headers, environ_base=PROXY)
    assert response.text == seen


def test_the_default_is_one_proxy_on_the_same_host(monkeypatch):
    monkeypatch.delenv("TRUSTED_PROXY_HOPS", raising=False)
    assert TestConfig().TRUSTED_PROXY_HOPS == 1


def test_a_negative_number_of_hops_is_refused(tmp_path):
    with pytest.raises(RuntimeError, match="TRUSTED_PROXY_HOPS"):
        create_app(TestConfig(SQLALCHEMY_DATABASE_URI="sqlite://", TRUSTED_PROXY_HOPS=-1),
                   instance_path=str(tmp_path))


def test_wrong_links_are_counted_per_client_behind_the_proxy(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "LINK_MISS_LIMIT", "3 per minute")

    def guess(n, address):
        return client.get(f"/rsvp/{'x' * 42}{n}", headers={"X-Forwarded-For": address},
                          environ_base=PROXY).status_code

    assert [guess(n, "203.0.113.5") for n in range(4)] == [404, 404, 404, 429]
    assert guess(5, "203.0.113.6") == 404  # another client through the same proxy is not paused


def test_failed_sign_ins_are_counted_per_client_behind_the_proxy(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_LIMIT_PER_ADDRESS", "2 per 10 minutes")

    def sign_in(email, address):
        headers = {"X-Forwarded-For": address}
        page = client.get("/login", headers=headers, environ_base=PROXY)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text).group(1)
        return client.post("/login", data={"email": email, "password": "wrong", "csrf_token": token},
                           headers=headers, environ_base=PROXY).status_code

    assert [sign_in(f"nobody{n}@example.com", "203.0.113.5") for n in range(3)] == [401, 401, 429]
    assert sign_in("someone@example.com", "203.0.113.6") == 401
