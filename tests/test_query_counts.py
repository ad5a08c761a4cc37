"""Pages and API answers run a bounded number of SQL statements whatever the number of
invitations: counted with SQLAlchemy's events at 10 and at 1,000 invitations."""

from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from meetings.core.database import engines
from meetings.core.db import utcnow
from meetings.directory.models import Person
from meetings.extensions import db
from meetings.invitations import services as invitations
from meetings.invitations.models import Invitation, Mode, Response
from tests import factories
from tests.manage.conftest import sign_in


@contextmanager
def counting():
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    for engine in engines(db.engine):  # the session's and `autocommit`'s
        sa.event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        for engine in engines(db.engine):
            sa.event.remove(engine, "before_cursor_execute", count)


def meeting_with(owner, count: int):
    """A published meeting with ``count`` invitations, some answered, delegated, checked in."""
    meeting = factories.meeting(owner, title=f"With {count}")
    remote = __import__("meetings.scheduling.sites", fromlist=["x"]).add_site(meeting, {"name": "Remote"})
    db.session.flush()
    now = utcnow()
    start = db.session.scalar(sa.select(sa.func.count()).select_from(Person))
    db.session.execute(sa.insert(Person), [
        {"name": f"P{start + n}", "email": f"p{start + n}@example.com", "title": "", "timezone": "Asia/Shanghai",
         "language": "en", "created_at": now} for n in range(count)])
    people = db.session.scalars(sa.select(Person.id).order_by(Person.id.desc()).limit(count)).all()
    db.session.execute(sa.insert(Invitation), [
        {"meeting_id": meeting.id, "person_id": pid, "role": "participant",
         "site_id": remote.id if n % 2 else meeting.main_site.id,
         "mode": Mode.REMOTE_SITE if n % 2 else Mode.IN_PERSON,
         "response": Response.ACCEPTED if n % 3 else Response.NEEDS_ACTION,
         "checked_in_at": now if n % 5 == 0 else None, "created_at": now} for n, pid in enumerate(people)])
    db.session.commit()
    first, second = invitations.invitations_of(meeting)[:2]
    invitations.delegate(first, "delegate@example.com", "Delegate")  # a delegation shows its delegate
    factories.publish(meeting)
    factories.deliver()
    return meeting


def statements_for(fetch) -> int:
    with counting() as statements:
        response = fetch()
    assert response.status_code == 200, response.status_code
    return len(statements)


@pytest.mark.parametrize("path", ["/meetings/{id}", "/meetings/{id}/board", "/meetings/{id}/invitations",
                                  "/meetings/{id}/attendance", "/meetings/{id}/board.json"])
def test_pages_do_not_grow_with_invitations(client, smtp, path):
    browser = sign_in(client, "counter@example.com")
    small, large = meeting_with(browser.user, 10), meeting_with(browser.user, 1000)
    browser.get(path.format(id=small.id))  # once to warm up what the first request of a session does
    assert statements_for(lambda: browser.get(path.format(id=small.id))) == \
        statements_for(lambda: browser.get(path.format(id=large.id)))


@pytest.mark.parametrize("path", ["/api/meetings/{id}/invitations", "/api/meetings/{id}",
                                  "/api/meetings/{id}/attendance.csv", "/api/meetings/{id}/attendance.xlsx",
                                  "/api/meetings/{id}/notifications", "/api/meetings/{id}.ics"])
def test_api_answers_do_not_grow_with_invitations(api, smtp, path):
    small, large = meeting_with(api.user, 10), meeting_with(api.user, 1000)

    def fetch(meeting):
        response = api.get(path.format(id=meeting.id))
        response.get_data()  # streamed exports run their queries while streaming
        response.close()
        return response

    # Once to warm up what the first request does (the token's "last used"): another route, so
    # that both answers below are read, not served as kept (`meetings.core.pagecache`).
    assert api.get("/api/meetings").status_code == 200
    assert statements_for(lambda: fetch(small)) == statements_for(lambda: fetch(large))


def test_link_pages_do_not_grow_with_invitations(app, client, smtp):
    """The RSVP page and a person's join page run as many statements in a meeting of 10 as in
    one of 2,000 (the agenda, kept per version, is read once: the first visit warms it)."""
    from meetings.invitations import links
    from meetings.invitations.models import LinkPurpose

    from meetings.accounts.services import create_user

    owner = create_user("link-counter@example.com", "organizer", "a long password")
    counts = []
    for size in (10, 2000):
        meeting = meeting_with(owner, size)
        invitation = invitations.invitations_of(meeting)[-1]
        rsvp = links.mint(LinkPurpose.RSVP, meeting_id=meeting.id, invitation_id=invitation.id)
        join = links.mint(LinkPurpose.JOIN, meeting_id=meeting.id, invitation_id=invitation.id)
        db.session.commit()
        for path in (f"/rsvp/{rsvp}", f"/join/{join}"):
            client.get(path)
        counts.append([statements_for(lambda path=path: client.get(path)) for path in (f"/rsvp/{rsvp}",
                                                                                          f"/join/{join}")])
    # The person's part in one statement, in both meetings: the agenda and the materials
    # (`materials.links`) are kept per version of the meeting.
    assert counts[0] == counts[1] == [1, 1], counts


@pytest.mark.parametrize("answers", [["accepted"], ["declined"], ["declined", "accepted"]])
def test_an_answer_by_link_is_one_statement(app, client, smtp, answers):
    """The rush after the invites go out is answers: each that changes the response is one
    UPDATE of the invitation through its link (in autocommit: on SQLite no BEGIN is issued), with
    nothing read first, whatever the answer was and is. The confirmation it owes is marked by
    that UPDATE; declining, or coming back, writes no reminder (they ask for the answer when due).
    A read first, a second row written per answer, or a transaction around them, fails this."""
    from meetings.accounts.services import create_user
    from meetings.invitations import links
    from meetings.invitations.models import LinkPurpose

    owner = create_user("answer-counter@example.com", "organizer", "a long password")
    meeting = meeting_with(owner, 10)
    invitation = invitations.invitations_of(meeting)[-1]
    rsvp = links.mint(LinkPurpose.RSVP, meeting_id=meeting.id, invitation_id=invitation.id)
    db.session.commit()
    for answer in answers:
        with counting() as statements:
            assert client.post(f"/rsvp/{rsvp}", data={"response": answer}).status_code == 303
        assert [statement.split()[0] for statement in statements] == ["UPDATE"], statements
        assert statements[0].startswith("UPDATE invitations SET response=")
    db.session.expire_all()
    answered = db.session.get(Invitation, invitation.id)
    assert answered.response == answers[-1] and answered.confirmation_due_at is not None
