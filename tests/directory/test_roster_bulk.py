"""The roster import's set-based writes: what the pages of meetings show of the people it
changes is rendered anew, and large files stay within the databases' bounds.

What the kept part of a meeting's pages shows of people is its agenda's speakers (an invitee's
own name is read on every visit: `meetings.scheduling.versions`), so renaming a speaker moves
their meeting's version and renaming anyone else moves none."""

import sqlalchemy as sa

from meetings.extensions import db
from meetings.scheduling.models import Meeting
from tests import factories
from tests.writers import another_writer_after


def version(meeting) -> int:
    return db.session.scalar(sa.select(Meeting.content_version).where(Meeting.id == meeting.id))


def test_renaming_speakers_by_roster_moves_their_meetings_versions_only(api):
    theirs, other = factories.meeting(api.user), factories.meeting(api.user, title="Other")
    guests = factories.crowd(theirs, 3)
    factories.agenda_item(theirs, speakers=[{"email": guests[0], "topic": "Results", "minutes": 10}])
    factories.crowd(other, 3, prefix="listener")
    before = (version(theirs), version(other))
    roster = "name,email\n" + "".join(f"New name {n},{email}\n" for n, email in enumerate(guests))
    response = api.post("/api/people/import", data=roster.encode(), headers={"Content-Type": "text/csv"})
    assert response.status_code == 200 and response.json["updated"] == 3
    assert version(theirs) > before[0]
    assert version(other) == before[1]


def test_a_roster_of_forty_thousand_known_people_is_updated_in_bounded_statements(api):
    # 40,000 ids in one IN list would pass SQLite's 32,766 bound parameters.
    meeting = factories.meeting(api.user)
    guests = factories.crowd(meeting, 40_000)
    factories.agenda_item(meeting, speakers=[{"email": guests[-1], "topic": "Results", "minutes": 10}])
    before = version(meeting)
    roster = "name,email,title\n" + "".join(f"员工{n},{email},Engineer\n" for n, email in enumerate(guests))
    response = api.post("/api/people/import", data=roster.encode(), headers={"Content-Type": "text/csv"})
    assert response.status_code == 200, response.json
    assert (response.json["created"], response.json["updated"]) == (0, 40_000)
    assert db.session.scalar(sa.text("SELECT count(*) FROM people WHERE title = 'Engineer'")) == 40_000
    assert version(meeting) > before


def test_someone_added_between_the_check_and_the_write_is_updated_once_not_refused(api):
    # The import reads and prepares without a write lock, then writes; a person added in
    # between with one of the file's emails makes the write fail, and the import starts again.
    import sqlalchemy as sa

    from meetings.core.db import utcnow
    from meetings.directory.models import Person

    added = []

    def add_someone(session):
        if not added:  # the end of the import's read (its first rollback)
            added.append(True)
            with db.engine.begin() as connection:
                connection.execute(sa.insert(Person), {"name": "Early", "email": "late@example.com", "title": "",
                                                       "timezone": "UTC", "language": "en",
                                                       "created_at": utcnow()})

    roster = "name,email,unit,tags\nLate Comer,late@example.com,Brand New Unit,hq-staff\nOther,other@example.com,,\n"
    sa.event.listen(sa.orm.Session, "after_rollback", add_someone)
    try:
        response = api.post("/api/people/import", data=roster.encode(), headers={"Content-Type": "text/csv"})
    finally:
        sa.event.remove(sa.orm.Session, "after_rollback", add_someone)
    assert added
    assert response.status_code == 200, response.json
    assert (response.json["created"], response.json["updated"]) == (1, 1)
    db.session.rollback()
    late = db.session.scalars(sa.select(Person).where(Person.email == "late@example.com")).all()
    assert [(p.name, p.unit.name, p.tags) for p in late] == [("Late Comer", "Brand New Unit", ["hq-staff"])]


def test_a_roster_import_reads_and_checks_without_holding_the_write_lock(api):
    # The scheduler's delivery and every answer need SQLite's one write lock: while a big roster
    # is read and checked, another writer gets in at once (no wait allowed); only the import's
    # own short write takes the lock.
    factories.crowd(factories.meeting(api.user), 3)
    roster = "name,email\n" + "".join(f"Staff {n},staff{n}@example.com\n" for n in range(200))
    with another_writer_after("people", wait=0) as interleaved:
        response = api.post("/api/people/import", data=roster.encode(), headers={"Content-Type": "text/csv"})
    assert interleaved, "the other writer never ran: the test no longer interleaves"
    assert response.status_code == 200, response.json
    assert response.json["created"] == 200
