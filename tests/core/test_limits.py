"""Rate limits through Flask-Limiter's public API (`meetings.core.limits`): one key for every
limit by address, wrong links counted apart, refusals in the reader's language, and counts
shared between worker processes through Redis."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys

import pytest

from limits import parse

from meetings.core import limits as link_limits
from meetings.core.limits import batch_for, client_address
from meetings.extensions import limiter
from meetings.invitations import links
from meetings.invitations.models import LinkPurpose
from tests import factories

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture()
def token(api):
    meeting = factories.meeting(api.user, title="Limits")
    invitation = factories.invite(meeting, factories.person("李明", email="li.ming@example.com"), "participant")
    factories.publish(meeting)
    raw = links.mint(LinkPurpose.RSVP, meeting_id=meeting.id, invitation_id=invitation.id)
    factories.db.session.commit()
    return raw


def _from(address: str) -> dict:
    return {"environ_base": {"REMOTE_ADDR": address}}


def test_every_limit_by_address_counts_by_the_one_key_function(app):
    assert limiter._key_func is client_address  # the default of every limit that names no other
    with app.test_request_context(environ_base={"REMOTE_ADDR": "203.0.113.9"}):
        assert client_address() == "203.0.113.9"


def test_link_pages_skip_flask_limiters_pass_but_the_rest_of_the_app_does_not(app):
    """A link page's request is exempt (Flask-Limiter's ``request_filter``) from every limit but
    those `meetings.core.limits` counts for it, so the pass before its view is skipped; the API
    and the sign-in page go through it. (That the wrong links and the cap on answers are still
    counted, inside that exemption, is what the tests of those limits show.)"""
    from meetings.core.limits import not_counted_here

    for path in ("/rsvp/" + "x" * 43, "/join/" + "x" * 43, "/checkin/" + "x" * 43):
        with app.test_request_context(path):
            assert not_counted_here(), path
    for path in ("/api/meetings", "/login", "/meetings"):
        with app.test_request_context(path):
            assert not not_counted_here(), path


def test_only_wrong_links_count_as_misses_and_each_address_apart(app, client, token, monkeypatch):
    monkeypatch.setitem(app.config, "LINK_MISS_LIMIT", "2 per minute")
    for _ in range(5):  # good links cost nothing of the misses
        assert client.get(f"/rsvp/{token}", **_from("198.51.100.1")).status_code == 200
    wrong = f"/rsvp/{'z' * 43}"
    assert [client.get(wrong, **_from("198.51.100.1")).status_code for _ in range(3)] == [404, 404, 429]
    # Every link page counts the same wrong links: guessing moves on to /join/ in vain.
    assert client.get(f"/join/{'z' * 43}", **_from("198.51.100.1")).status_code == 429
    # A good link still opens from there: the people of one site share its address, and one
    # guesser among them must not shut the others out (a guesser has no good link to open).
    assert client.get(f"/rsvp/{token}", **_from("198.51.100.1")).status_code == 200
    # Another address (another site's NAT) is counted apart, on every link page.
    assert client.get(wrong, **_from("198.51.100.2")).status_code == 404


def test_a_refused_page_is_a_page_in_the_readers_language(app, client, token, monkeypatch):
    monkeypatch.setitem(app.config, "LINK_MISS_LIMIT", "1 per minute")
    assert client.get(f"/rsvp/{'z' * 43}").status_code == 404
    english = client.get(f"/rsvp/{'y' * 43}")
    assert english.status_code == 429 and english.mimetype == "text/html"
    assert "Too many wrong links from your address" in english.text
    chinese = client.get(f"/rsvp/{'y' * 43}?lang=zh_Hans")
    assert chinese.status_code == 429 and "过多无效链接" in chinese.text
    chinese = client.get(f"/rsvp/{'y' * 43}", headers={"Accept-Language": "zh-CN"})
    assert chinese.status_code == 429 and "过多无效链接" in chinese.text


def test_a_refused_api_request_is_a_json_error_in_the_readers_language(app, api, monkeypatch):
    monkeypatch.setitem(app.config, "REPLY_LIMIT", "1 per minute")
    calendar = b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"
    headers = {"Content-Type": "text/calendar", "Accept-Language": "zh-CN"}
    assert api.post("/api/replies", data=calendar, headers=headers).status_code != 429
    refused = api.post("/api/replies", data=calendar, headers=headers)
    assert refused.status_code == 429
    error = refused.get_json()["error"]
    assert error["status"] == 429 and "Too many" not in error["message"] and error["message"]


_WORKER = """
import sys
from config import TestConfig
from meetings import create_app
app = create_app(TestConfig(SQLALCHEMY_DATABASE_URI="sqlite://", RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379",
                            RATELIMIT_KEY_PREFIX=sys.argv[1], LINK_MISS_LIMIT="3 per minute"))
client = app.test_client()
print(" ".join(str(client.get("/rsvp/not-a-token").status_code) for _ in range(2)))
"""


def test_workers_share_their_counts_through_redis():
    """Two processes (as two gunicorn workers) with RATELIMIT_STORAGE_URI=redis://: the second
    is refused once the two together spent the address's wrong links."""
    redis = pytest.importorskip("redis")
    try:
        redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=2).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    prefix = f"test-limits-{secrets.token_hex(4)}"
    env = dict(os.environ, SECRET_KEY="x" * 64)
    env.pop("DATABASE_URL", None)
    seen = [subprocess.run([sys.executable, "-c", _WORKER, prefix], cwd=ROOT, env=env, capture_output=True,
                           text=True, timeout=120, check=True).stdout.split() for _ in range(2)]
    # The wrong link is a 404 without reading any table (an implausible token): the count is all.
    assert seen == [["404", "404"], ["404", "429"]]


_UNREACHABLE = """
from config import TestConfig
from meetings import create_app
# LINK_LIMIT small enough to be counted at every action (a batch of one: `batch_for`).
app = create_app(TestConfig(SQLALCHEMY_DATABASE_URI="sqlite://", RATELIMIT_STORAGE_URI="redis://127.0.0.1:1",
                            LINK_MISS_LIMIT="1 per minute", LINK_LIMIT="5 per minute"))
client = app.test_client()
wrong = [client.get("/rsvp/not-a-token").status_code for _ in range(3)]
posted = [client.post("/join/not-a-token", data={}).status_code for _ in range(2)]
print(" ".join(str(status) for status in wrong + posted))
"""


def test_link_pages_keep_working_uncounted_while_the_limits_storage_is_out_of_reach():
    """Redis down (nothing listens on the storage's port): a wrong link is still a 404 and an
    action still reaches its view, never a 500; each uncounted hit is logged."""
    env = dict(os.environ, SECRET_KEY="x" * 64)
    env.pop("DATABASE_URL", None)
    done = subprocess.run([sys.executable, "-c", _UNREACHABLE], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120, check=True)
    # With the storage reachable, the second wrong link would be refused (LINK_MISS_LIMIT is 1).
    assert done.stdout.split() == ["404"] * 5, done.stdout + done.stderr
    assert "link limit link-misses not counted" in done.stderr
    assert "link limit link-actions not counted" in done.stderr


def test_a_generous_cap_is_counted_a_batch_at_a_time_and_still_refuses(app, client, token, monkeypatch):
    """``LINK_LIMIT`` of hundreds: each process tells the storage ten actions at once (no round
    trip for the nine before), refuses once a batch finds the window spent, and then refuses the
    address itself until the window ends; wrong links (a small cap) are counted at every hit."""
    assert batch_for(parse("500 per minute")) == 10 and batch_for(parse("30 per minute")) == 1
    assert batch_for(parse("100 per minute")) == 2 and batch_for(parse("20000 per minute")) == 10
    monkeypatch.setitem(app.config, "LINK_LIMIT", "500 per minute")
    item, address = parse("500 per minute"), "10.9.8.7"
    prefix = app.config.get("RATELIMIT_KEY_PREFIX") or ""
    identifiers = (prefix, address, "link-actions") if prefix else (address, "link-actions")
    with app.app_context():
        strategy = limiter.limiter

    def remaining() -> int:
        return strategy.get_window_stats(item, *identifiers).remaining

    def answer() -> int:
        return client.post(f"/rsvp/{token}", data={"response": "accepted"}, **_from(address)).status_code

    assert [answer() for _ in range(9)] == [303] * 9 and remaining() == 500  # held, not yet counted
    assert answer() == 303 and remaining() == 490  # the tenth: ten counted at once
    strategy.hit(item, *identifiers, cost=485)  # other workers spend the window
    assert [answer() for _ in range(9)] == [303] * 9 and remaining() == 5
    refused = client.post(f"/rsvp/{token}", data={"response": "accepted"}, **_from(address))
    assert refused.status_code == 429 and "Too many requests" in refused.text
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    # Refused by the process itself now: no more counting in the storage until the window ends.
    counted = strategy.storage.get(item.key_for(*identifiers))
    assert remaining() == 0 and counted == 505  # the refused batch is counted too
    assert answer() == 429 and strategy.storage.get(item.key_for(*identifiers)) == counted
    # Another address behind the same cap answers; a page read through the good link is not counted.
    assert client.post(f"/rsvp/{token}", data={"response": "tentative"}, **_from("10.9.8.6")).status_code == 303
    assert client.get(f"/rsvp/{token}", **_from(address)).status_code == 200


def test_the_uncounted_actions_a_process_holds_are_bounded(app, client, token, monkeypatch):
    monkeypatch.setitem(app.config, "LINK_LIMIT", "500 per minute")
    monkeypatch.setattr(link_limits, "MAX_HELD", 3)
    for n in range(8):
        assert client.post(f"/rsvp/{token}", data={"response": "accepted"}, **_from(f"10.7.0.{n}")).status_code == 303
        assert len(link_limits._held.uncounted) <= 3
