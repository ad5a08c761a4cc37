"""An answer by link that changes the response is one UPDATE whose conditions hold the rule
(`meetings.invitations.answers`): what someone else committed before it is what it is decided
on. Any other answer is decided on what the request's transaction reads: when someone else
changes it between the link's read and that, it is decided on what is there, and nothing is
half-written."""

import pytest
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


def withdraw(invitation) -> str:
    return f"UPDATE invitations SET removed_at = CURRENT_TIMESTAMP WHERE id = {invitation.id}"


def cancel(invitation) -> str:
    return f"UPDATE meetings SET status = 'cancelled' WHERE id = {invitation.meeting_id}"


def decline(invitation) -> str:
    return f"UPDATE invitations SET response = 'declined' WHERE id = {invitation.id}"


def elsewhere(statement: str) -> None:
    """Someone else's change, committed before the answer comes."""
    with db.engine.begin() as other:
        other.execute(sa.text(statement))


def test_an_invitation_withdrawn_before_refuses_the_answer(client, invitation, token):
    elsewhere(withdraw(invitation))
    result = client.post(f"/rsvp/{token}", data={"response": "accepted"})
    assert result.status_code == 409 and "withdrawn" in result.text
    assert stored(invitation).response == Response.NEEDS_ACTION and stored(invitation).responded_at is None
    assert stored(invitation).confirmation_due_at is None


def test_a_meeting_cancelled_before_closes_answers(client, invitation, token):
    elsewhere(cancel(invitation))
    result = client.post(f"/rsvp/{token}", data={"response": "accepted"})
    assert result.status_code == 409 and "answers are closed" in result.text
    assert stored(invitation).response == Response.NEEDS_ACTION
    assert stored(invitation).confirmation_due_at is None


def test_a_decline_that_came_before_is_what_the_answer_changes(client, invitation, token):
    # The person's calendar declined before the page's answer: coming again is a change, and
    # leaves the reminders as they stand (whether one goes is asked when it is due).
    assert {row.status for row in rows(invitation, "reminder")} == {OutboxStatus.PENDING}
    elsewhere(decline(invitation))
    assert client.post(f"/rsvp/{token}", data={"response": "accepted"}).status_code == 303
    assert stored(invitation).response == Response.ACCEPTED
    assert {row.status for row in rows(invitation, "reminder")} == {OutboxStatus.PENDING}
    assert stored(invitation).confirmation_due_at is not None


@pytest.mark.parametrize("change, status, response", [
    (withdraw, 409, Response.TENTATIVE), (cancel, 409, Response.TENTATIVE), (decline, 303, Response.TENTATIVE)])
def test_the_same_answer_again_is_decided_on_what_is_there_after_the_links_read(
        client, invitation, token, change, status, response):
    # The same answer again updates nothing in one statement: it is decided on the invitation
    # the request's transaction reads, after the link's read, when someone else's change came in
    # between (a decline makes the same answer a change again).
    assert client.post(f"/rsvp/{token}", data={"response": "tentative"}).status_code == 303
    with change_after("capability_links", change(invitation)) as changed:
        result = client.post(f"/rsvp/{token}", data={"response": "tentative"})
    assert changed, "the change did not come between the link's read and the answer"
    assert result.status_code == status, result.text
    assert stored(invitation).response == response


def test_the_same_answer_twice_queues_one_confirmation(client, invitation, token):
    for _ in range(2):
        assert client.post(f"/rsvp/{token}", data={"response": "tentative"}).status_code == 303
    assert stored(invitation).response == Response.TENTATIVE
    assert stored(invitation).confirmation_due_at is not None
    assert rows(invitation, "confirmation") == []  # queued when due, by the scheduler
