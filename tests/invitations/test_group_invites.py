"""Group invites in bulk: the rules of one-by-one invites (people added, roles only raised,
nobody moved, people placed by their unit's room) and their effects (invites, reminders, updates,
the pages' content version) for everyone at once."""

from collections import Counter

import pytest
import sqlalchemy as sa

from meetings.core.database import engines
from meetings.core.errors import InvalidInput
from meetings.extensions import db
from meetings.invitations import services
from meetings.invitations.models import Invitation
from meetings.outbox.models import OutboxMessage, OutboxStatus
from meetings.scheduling import sites
from meetings.scheduling.models import Meeting
from tests import factories


@pytest.fixture()
def meeting(api):
    return factories.meeting(api.user)


def version(meeting) -> int:
    return db.session.scalar(sa.select(Meeting.content_version).where(Meeting.id == meeting.id))


def invitations(meeting) -> dict[int, Invitation]:
    db.session.expire_all()
    return {i.person_id: i for i in db.session.scalars(sa.select(Invitation).where(Invitation.meeting_id == meeting.id))}


def pending(kind: str) -> Counter:
    db.session.expire_all()
    rows = db.session.execute(sa.select(OutboxMessage.invitation_id).where(
        OutboxMessage.kind == kind, OutboxMessage.status == OutboxStatus.PENDING)).scalars()
    return Counter(rows)


def test_a_group_is_placed_by_unit_never_downgraded_and_people_who_left_come_back(meeting):
    host = factories.person("Host", unit="Rotterdam plant", timezone="Europe/Amsterdam")
    room = sites.add_site(meeting, {"name": "Rotterdam room", "host_email": host.email,
                                    "timezone": "Europe/Amsterdam"})
    db.session.commit()
    colleague = factories.person("Colleague", unit="Rotterdam plant", tags=["leader"])
    stranger = factories.person("Stranger", unit="Beijing branch", tags=["leader"])
    chair = factories.person("Chair", tags=["leader"])
    returning = factories.person("Returning", tags=["leader"])
    outsider = factories.person("Outsider", tags=["other"])
    factories.invite(meeting, chair, "chair")
    services.remove_invitation(meeting, factories.invite(meeting, returning, "observer"))
    db.session.commit()
    before = version(meeting)

    made = services.invite(meeting, {"tags": ["leader"], "role": "participant"})
    db.session.commit()

    assert {i.person_id for i in made} == {colleague.id, stranger.id, chair.id, returning.id}
    found = invitations(meeting)
    assert outsider.id not in found
    assert (found[colleague.id].site_id, found[colleague.id].mode) == (room.id, "remote_site")
    assert (found[stranger.id].site.name, found[stranger.id].mode) == ("Main hall", "in_person")
    assert found[chair.id].role == "chair"
    assert (found[returning.id].role, found[returning.id].removed_at) == ("participant", None)
    assert version(meeting) > before  # the link pages show the list: they are rendered anew


def test_on_a_published_meeting_each_new_person_gets_one_invite_and_reminders(meeting, smtp):
    guests = [factories.person(f"Guest {n}", tags=["crew"]) for n in range(3)]
    observer = factories.person("Observer", tags=["crew"])
    factories.invite(meeting, observer, "observer")
    factories.publish(meeting)
    factories.deliver()
    smtp.mailbox.clear()

    services.invite(meeting, {"tags": ["crew"], "role": "participant"})
    db.session.commit()

    found = invitations(meeting)
    new = {found[guest.id].id for guest in guests}
    assert pending("invite") == Counter({invitation: 1 for invitation in new})
    reminders = pending("reminder")
    assert set(reminders) == new | {found[observer.id].id}
    assert reminders[found[observer.id].id] == 2  # a participant's two reminders now, not an observer's one
    assert set(pending("update")) == {found[observer.id].id}  # their role went up: they are told
    assert all(found[guest.id].invited_at is not None for guest in guests)
    factories.deliver()
    assert sorted(mail.rcpt_tos[0] for mail in smtp.mailbox.received
                  if mail.message["Subject"].startswith("Invitation")) == sorted(g.email for g in guests)


def test_inviting_the_same_group_again_changes_nothing_and_queues_nothing(meeting):
    for n in range(3):
        factories.person(f"Guest {n}", tags=["crew"])
    factories.publish(meeting)
    services.invite(meeting, {"tags": ["crew"]})
    db.session.commit()
    before = (version(meeting), db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)))
    again = services.invite(meeting, {"tags": ["crew"]})
    db.session.commit()
    assert len(again) == 3
    assert (version(meeting), db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage))) == before


def test_a_group_that_cannot_be_placed_is_refused_whole(meeting):
    factories.person("Placed", tags=["crew"], unit="HQ")
    factories.person("Nowhere", tags=["crew"], unit="Beijing branch")
    with pytest.raises(InvalidInput, match="no remote site"):
        services.invite(meeting, {"tags": ["crew"], "mode": "remote_site"})
    db.session.rollback()
    assert invitations(meeting) == {}


def test_a_group_of_thousands_is_invited_in_a_few_statements(meeting):
    factories.crowd(factories.meeting(meeting.owner, title="Other"), 3000, prefix="crew")
    db.session.execute(sa.text("INSERT INTO person_tags (person_id, tag) SELECT id, 'crew' FROM people "
                               "WHERE email LIKE 'crew%'"))
    db.session.commit()
    factories.publish(meeting)
    statements = []

    def count(_connection, _cursor, statement, *_):
        statements.append(statement)

    for engine in engines(db.engine):  # the session's and `autocommit`'s
        sa.event.listen(engine, "before_cursor_execute", count)
    try:
        made = services.invite(meeting, {"tags": ["crew"]})
        db.session.commit()
    finally:
        for engine in engines(db.engine):
            sa.event.remove(engine, "before_cursor_execute", count)
    assert len(made) == 3000
    assert len(pending("invite")) == 3000
    assert len(statements) < 60, statements[:80]
