"""A group invite of 10,000 people (by tag) to a published meeting: invitations made, invites and
reminders queued, committed; on SQLite and PostgreSQL (issue 15). The API's answer, which lists
every invitation, is timed beside it."""

from __future__ import annotations

import tempfile
import time

import sqlalchemy as sa

from bench.common import bench_app, report
from bench.load import postgres_database
from meetings.accounts.services import create_user, issue_api_token
from meetings.core.db import utcnow
from meetings.directory.models import Person, PersonTag
from meetings.extensions import db
from meetings.invitations import services
from meetings.outbox.models import OutboxMessage
from meetings.scheduling import services as scheduling
from meetings.scheduling import sites

PEOPLE = 10_000
TARGET_SECONDS = 3.0


def run_on(label: str, url: str) -> bool:
    from tests.factories import future_day, wall

    with bench_app(database_url=url) as app:
        owner = create_user("organizer@example.com", "organizer", "bench password")
        meeting = scheduling.create_meeting({"title": "Operation meeting", "start": wall(future_day(), 9),
                                             "end": wall(future_day(), 12), "timezone": "Asia/Shanghai"}, owner)
        sites.add_site(meeting, {"name": "Main hall", "kind": "main", "location": "HQ 12F"})
        now = utcnow()
        db.session.execute(sa.insert(Person), [
            {"name": f"员工{n}", "email": f"staff{n}@example.com", "title": "", "timezone": "Asia/Shanghai",
             "language": "zh_Hans", "created_at": now} for n in range(PEOPLE)])
        db.session.execute(sa.insert(PersonTag).from_select(
            ["person_id", "tag"], sa.select(Person.id, sa.literal("hq-staff")).where(Person.email.like("staff%"))))
        scheduling.publish_meeting(meeting)
        db.session.commit()
        token = issue_api_token("organizer@example.com")
        db.session.commit()
        meeting_id = meeting.id
        started = time.perf_counter()
        invited = services.invite_ids(meeting, {"tags": ["hq-staff"]})
        db.session.commit()
        elapsed = time.perf_counter() - started
        invites = db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)
                                    .where(OutboxMessage.kind == "invite"))
        # The same through the API, on a second meeting: the answer lists all 10,000 invitations,
        # which costs as much again (loading and dumping them), shown beside it.
        other = scheduling.create_meeting({"title": "Second meeting", "start": wall(future_day(), 14),
                                           "end": wall(future_day(), 16), "timezone": "Asia/Shanghai"}, owner)
        sites.add_site(other, {"name": "Main hall", "kind": "main", "location": "HQ 12F"})
        scheduling.publish_meeting(other)
        db.session.commit()
        client = app.test_client()
        api_started = time.perf_counter()
        response = client.post(f"/api/meetings/{other.id}/invitations", json={"tags": ["hq-staff"]},
                               headers={"Authorization": f"Bearer {token}"})
        api_elapsed = time.perf_counter() - api_started
        db.session.rollback()
    done = len(invited) == PEOPLE and invites == PEOPLE and meeting_id
    ok = done and elapsed < TARGET_SECONDS
    report(f"{label}: group invite of {PEOPLE} people (invites queued, committed)", elapsed, TARGET_SECONDS, "s",
           f"< {TARGET_SECONDS:.0f} s", ok)
    print(f"   the same by the API, answering with the {PEOPLE} invitations: {api_elapsed:.2f} s "
          f"(status {response.status_code}, {len(response.json or [])} listed)", flush=True)
    if not done:
        print(f"   {len(invited)} invited, {invites} invites queued")
    return ok


def run() -> bool:
    with tempfile.TemporaryDirectory() as tmp:
        on_sqlite = run_on("SQLite", f"sqlite:///{tmp}/groups.sqlite3")
    with postgres_database() as (label, url, _instance):
        on_postgres = run_on(label, url)
    return on_sqlite and on_postgres
