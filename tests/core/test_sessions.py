"""Only the pages people sign in to have a Flask session (`meetings.core.sessions`): the API
(a bearer token) and the pages behind links (the secret in their URL) get Flask's null session,
which reads as empty and is never saved."""

from __future__ import annotations

from flask import session

from meetings.invitations import links
from meetings.invitations.models import LinkPurpose
from tests import factories
from tests.manage.conftest import sign_in


def _has_session(app, path: str) -> bool:
    with app.test_request_context(path):
        return not app.session_interface.is_null_session(session)


def test_the_api_and_link_pages_have_no_session_and_signed_in_pages_do(app):
    for path in ("/rsvp/" + "x" * 43, "/rsvp/" + "x" * 43 + "/materials", "/join/" + "x" * 43,
                 "/feeds/" + "x" * 43 + ".ics", "/minutes/approve/" + "x" * 43,
                 "/api/meetings", "/api/meetings/7", "/api/people/import", "/api/replies"):
        assert not _has_session(app, path), path
    # The check-in page serves the signed-in staff too (they check people in there).
    for path in ("/", "/login", "/meetings/new", "/meetings/7", "/people", "/account/tokens", "/actions",
                 "/api/openapi.json", "/checkin/" + "x" * 43):
        assert _has_session(app, path), path


def test_a_signed_in_organizer_opening_a_link_stays_signed_in_and_the_link_page_sets_no_cookie(app, client):
    browser = sign_in(client, "organizer.links@example.com")
    meeting = factories.meeting(browser.user, title="Sessions")
    invitation = factories.invite(meeting, factories.person("王芳", email="wang.fang@example.com"), "participant")
    factories.publish(meeting)
    token = links.mint(LinkPurpose.RSVP, meeting_id=meeting.id, invitation_id=invitation.id)
    factories.db.session.commit()
    page = client.get(f"/rsvp/{token}")
    assert page.status_code == 200 and "Set-Cookie" not in page.headers
    answered = client.post(f"/rsvp/{token}", data={"response": "accepted"})
    assert answered.status_code == 303 and "Set-Cookie" not in answered.headers
    # The session cookie was neither read nor touched there: the organizer is still signed in.
    assert client.get("/account/tokens").status_code == 200
