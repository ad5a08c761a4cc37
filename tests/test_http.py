"""Every response's security headers and request id; the health checks."""

from datetime import timedelta

import sqlalchemy as sa

from meetings.core.db import utcnow
from meetings.extensions import db
from meetings.health import HEARTBEAT_LIMIT
from meetings.outbox.models import SchedulerHeartbeat
from meetings.outbox.scheduler import HEARTBEAT_SECONDS, heartbeat


def test_pages_and_api_carry_the_security_headers(client):
    for path in ("/login", "/api/openapi.json", "/healthz"):
        headers = client.get(path).headers
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
        assert "frame-ancestors 'none'" in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Referrer-Policy"]
        assert headers["Strict-Transport-Security"].startswith("max-age=")  # BASE_URL is https in tests


def test_no_page_carries_inline_script(client):
    import re

    from tests.manage.conftest import sign_in

    browser = sign_in(client, "csp@example.com")
    for path in ("/", "/meetings/new", "/people", "/people/import", "/account/password"):
        page = browser.get(path).text
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page), path
        assert " on" + "click=" not in page and " on" + "submit=" not in page


def test_each_response_has_a_request_id_and_a_good_one_offered_is_kept(client):
    first, second = client.get("/healthz"), client.get("/healthz")
    assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]
    assert client.get("/healthz", headers={"X-Request-ID": "lb-1234567890"}).headers["X-Request-ID"] == "lb-1234567890"
    assert client.get("/healthz", headers={"X-Request-ID": "bad id; <x>"}).headers["X-Request-ID"] != "bad id; <x>"


def test_healthz_answers_and_readyz_wants_a_scheduler(client):
    assert client.get("/healthz").json == {"status": "ok"}
    not_ready = client.get("/readyz")
    assert not_ready.status_code == 503
    checks = not_ready.json["checks"]
    assert checks["database"]["ok"] and checks["migrations"]["ok"] and not checks["scheduler"]["ok"]
    heartbeat("test-host:1", utcnow())
    db.session.commit()
    assert client.get("/readyz").json["status"] == "ready"


def last_heard(ago: timedelta) -> None:
    """The one scheduler's heartbeat, written ``ago`` before now (as if it had gone silent since)."""
    db.session.execute(sa.update(SchedulerHeartbeat).values(seen_at=utcnow() - ago))
    db.session.commit()


def test_a_silent_scheduler_is_not_ready(client, app):
    heartbeat("test-host:1", utcnow() - timedelta(hours=1))
    db.session.commit()
    last_heard(HEARTBEAT_LIMIT - timedelta(seconds=30))  # a couple of beats late: still there
    assert client.get("/readyz").status_code == 200
    last_heard(timedelta(seconds=HEARTBEAT_SECONDS * 10))
    not_ready = client.get("/readyz")
    assert not_ready.status_code == 503 and not not_ready.json["checks"]["scheduler"]["ok"]
