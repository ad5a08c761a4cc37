"""The CSV export is streamed: its body is read the way gunicorn reads it, after the view has
returned and the request's database session has been removed, and the audit log notes it only
once it has been produced."""

from __future__ import annotations

import contextvars

import sqlalchemy as sa
from werkzeug.test import EnvironBuilder

from meetings.accounts.models import AuditEvent
from meetings.extensions import db
from tests import factories


def serve(app, api, url: str):
    """Call the WSGI app as a server does, in a context of its own; returns (status, body iterator,
    the context the body must be read in)."""
    environ = EnvironBuilder(url, headers={"Authorization": f"Bearer {api.token}"},
                             base_url="https://meetings.example.com").get_environ()
    started = {}
    context = contextvars.Context()
    body = context.run(app.wsgi_app, environ, lambda status, headers, *_: started.update(status=status))
    return started["status"], body, context


def exports_noted() -> list[AuditEvent]:
    db.session.rollback()
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "attendance.exported")))


def test_the_csv_is_produced_after_the_requests_session_is_gone(app, api):
    meeting = factories.meeting(api.user)
    for index in range(3):
        factories.invite(meeting, factories.person(f"Guest {index}", email=f"guest{index}@example.com"))
    db.session.commit()
    status, body, context = serve(app, api, f"/api/meetings/{meeting.id}/attendance.csv")
    assert status.startswith("200")
    # The view has returned and its app context was torn down: the rows are read now.
    text = b"".join(context.run(list, body)).decode("utf-8-sig")
    context.run(body.close)
    assert [line.split(",")[1] for line in text.splitlines()[1:]] == [f"guest{i}@example.com" for i in range(3)]
    [event] = exports_noted()
    assert event.meeting_id == meeting.id and event.actor == api.user.email and event.details["format"] == "csv"


def test_a_csv_closed_before_it_was_produced_is_not_noted_as_exported(app, api):
    meeting = factories.meeting(api.user)
    factories.invite(meeting, factories.person("Guest", email="guest@example.com"))
    db.session.commit()
    status, body, context = serve(app, api, f"/api/meetings/{meeting.id}/attendance.csv")
    assert status.startswith("200")
    context.run(body.close)  # the client went away before the first byte
    assert exports_noted() == []


def test_the_xlsx_is_noted_once_produced(api):
    meeting = factories.meeting(api.user)
    response = api.get(f"/api/meetings/{meeting.id}/attendance.xlsx")
    assert response.status_code == 200 and response.data[:2] == b"PK"
    assert [event.details["format"] for event in exports_noted()] == ["xlsx"]
