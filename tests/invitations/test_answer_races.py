"""An answer by link is decided on what one statement read, then written by a guarded UPDATE
(`meetings.invitations.answers`): when someone else changes what it was decided on in between,
the answer is decided again on what is there, and nothing is half-written."""

import sqlalchemy as sa

from meetings.extensions import db
from meetings.invitations.models import Invitation, Response
from meetings.outbox.models import OutboxMessage, OutboxStatus
from tests.invitations.test_rsvp import invitation, meeting, token  # noqa: F401 (fixtures)
from tests.writers import change_after


def stored(invitation) -> Invitation:
    db.session.rollback()
    db.session.expire_all()
    return db.session.get(Invitation, invitation.id)


def rows(invitation, kind: str) -> list[OutboxMessage]:
    db.session.rollback()
    return list(db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.invitation_id == invitation.id,
                                                                  OutboxMessage.kind == kind)))


def test_an_invitation_withdrawn_meanwhile_refuses_the_answer(client, invitation, token):
    with change_after("capability_links", f"UPDATE invitations SET removed_at = CURRENT_TIMESTAMP "
                                          f"WHERE id = {invitation.id}") as changed:
        result = client.post(f"/rsvp/{token}", data={"response": "accepted"})
    assert changed, "the change did not come between the read and the write"
    assert result.status_code == 409 and "withdrawn" in result.text
    assert stored(invitation).response == Response.NEEDS_ACTION and stored(invitation).responded_at is None
    assert stored(invitation).confirmation_due_at is None


def test_a_meeting_cancelled_meanwhile_closes_answers(client, invitation, token):
    with change_after("capability_links", f"UPDATE meetings SET status = 'cancelled' "
                                          f"WHERE id = {invitation.meeting_id}") as changed:
        result = client.post(f"/rsvp/{token}", data={"response": "accepted"})
    assert changed
    assert result.status_code == 409 and "answers are closed" in result.text
    assert stored(invitation).response == Response.NEEDS_ACTION
    assert stored(invitation).confirmation_due_at is None


def test_a_decline_that_came_meanwhile_is_what_the_answer_changes(client, invitation, token):
    # The person's calendar declined between the page's read and its write: the guarded UPDATE
    # finds another answer than the one read, and the answer is decided again on the decline.
    # Coming again leaves the reminders as they stand (whether one goes is asked when it is due).
    assert {row.status for row in rows(invitation, "reminder")} == {OutboxStatus.PENDING}
    with change_after("capability_links",
                      f"UPDATE invitations SET response = 'declined' WHERE id = {invitation.id}") as changed:
        result = client.post(f"/rsvp/{token}", data={"response": "accepted"})
    assert changed
    assert result.status_code == 303
    assert stored(invitation).response == Response.ACCEPTED
    assert {row.status for row in rows(invitation, "reminder")} == {OutboxStatus.PENDING}
    assert stored(invitation).confirmation_due_at is not None


def test_the_same_answer_twice_queues_one_confirmation(client, invitation, token):
    for _ in range(2):
        assert client.post(f"/rsvp/{token}", data={"response": "tentative"}).status_code == 303
    assert stored(invitation).response == Response.TENTATIVE
    assert stored(invitation).confirmation_due_at is not None
    assert rows(invitation, "confirmation") == []  # queued when due, by the scheduler
