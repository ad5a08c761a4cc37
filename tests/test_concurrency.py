"""Rules that say "only once" hold when requests race: the database's constraints back them.

On PostgreSQL the requests really run at once; on SQLite they queue for the write lock, and the
same answers come out.
"""

import threading

import pytest
from flask.testing import FlaskClient

from meetings.directory.models import Person
from meetings.extensions import db
from meetings.invitations.models import Invitation
from meetings.scheduling.models import Site
from tests import factories

RACERS = 8


def race(app, token, method, path, bodies):
    """Send the requests together from threads, each with its own client; their statuses."""
    barrier = threading.Barrier(len(bodies))
    statuses = [None] * len(bodies)
    db.session.commit()  # nothing of the test's own is left open while they race

    def run(index, body):
        client = FlaskClient(app)  # a plain client: each request its own app context
        barrier.wait()
        response = client.open(path, method=method, json=body, headers={"Authorization": f"Bearer {token}"})
        statuses[index] = response.status_code

    threads = [threading.Thread(target=run, args=(n, body)) for n, body in enumerate(bodies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return statuses


@pytest.fixture()
def meeting(api):
    return factories.meeting(api.user)


def test_one_person_invited_by_racing_requests_is_invited_once(app, api, meeting):
    person = factories.person(email="racer@example.com")
    statuses = race(app, api.token, "POST", f"/api/meetings/{meeting.id}/invitations",
                    [{"email": person.email, "role": "participant"}] * RACERS)
    assert all(status in (201, 409) for status in statuses), statuses
    assert 201 in statuses
    assert db.session.query(Invitation).filter_by(meeting_id=meeting.id, person_id=person.id).count() == 1


def test_racing_main_venues_leave_exactly_one(app, api):
    meeting = factories.meeting(api.user, main_site=False)
    statuses = race(app, api.token, "POST", f"/api/meetings/{meeting.id}/sites",
                    [{"name": f"Hall {n}", "kind": "main"} for n in range(RACERS)])
    assert all(status in (201, 409, 422) for status in statuses), statuses
    assert statuses.count(201) == 1
    assert db.session.query(Site).filter_by(meeting_id=meeting.id, kind="main").count() == 1


def test_racing_creates_of_one_person_leave_one(app, api):
    statuses = race(app, api.token, "POST", "/api/people",
                    [{"name": "Same", "email": "same@example.com"}] * RACERS)
    assert all(status in (201, 409) for status in statuses), statuses
    assert statuses.count(201) == 1
    assert db.session.query(Person).filter_by(email="same@example.com").count() == 1
