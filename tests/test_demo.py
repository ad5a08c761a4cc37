"""The demo data: a realistic group and its mid-year operation meeting, loaded once."""

from datetime import date

import sqlalchemy as sa

from meetings import demo
from meetings.directory.models import Person, Unit
from meetings.extensions import db
from meetings.invitations.models import Invitation
from meetings.scheduling.models import AgendaItem, Meeting, Site, SpeakerSlot


def counts():
    return {model.__name__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
            for model in (Unit, Person, Meeting, Site, AgendaItem, SpeakerSlot)}


def test_the_demo_loads_a_group_and_its_meeting(runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "admin@example.com" in result.output and demo.DEMO_PASSWORD in result.output
    assert counts() == {"Unit": 5, "Person": 30, "Meeting": 1, "Site": 4, "AgendaItem": 7, "SpeakerSlot": 6}
    meeting = db.session.scalar(sa.select(Meeting))
    remote = [s for s in meeting.sites if s.kind == "remote"]
    assert len(remote) == 3 and {s.timezone for s in remote} == {"Asia/Shanghai", "Europe/Amsterdam"}
    assert meeting.main_site is not None and all(s.host for s in meeting.sites)
    titles = [item.title for item in meeting.agenda_items]
    assert titles[1].startswith("Half-year operation report") and titles[-2].startswith("The chairman's speech")
    speeches = next(i for i in meeting.agenda_items if i.kind == "speech")
    assert len({slot.person.unit_id for slot in speeches.speaker_slots}) == 4
    roles = {}
    for invitation in db.session.scalars(sa.select(Invitation)):
        roles.setdefault(invitation.role.value, set()).add(invitation.person.name)
    assert roles["chair"] == {"张建国"}
    assert {"李明", "Pieter de Vries", "徐海", "罗刚", "黄志刚"} <= roles["speaker"]
    assert {"何俊", "Daan Bakker", "胡斌", "孙磊"} <= roles["site_host"]
    assert "王芳" in roles["participant"] and "赵敏" in roles["observer"]
    pieter = db.session.scalar(sa.select(Invitation).join(Invitation.person).where(Person.name == "Pieter de Vries"))
    assert pieter.site.name == "Rotterdam plant, meeting room 2"  # his enterprise's room


def test_running_it_twice_changes_nothing(runner):
    runner.invoke(args=["demo"])
    before = counts()
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0
    assert "nothing changed" in result.output
    assert counts() == before


def test_if_empty_leaves_a_used_database_alone(runner):
    from meetings.accounts.services import create_user

    create_user("someone@example.com", "organizer", "long enough password")
    db.session.commit()
    result = runner.invoke(args=["demo", "--if-empty"])
    assert "not loaded" in result.output
    assert counts()["Meeting"] == 0


def test_the_demo_meeting_is_on_a_thursday_two_weeks_ahead():
    day = demo.demo_day(date(2026, 11, 25))
    assert day.weekday() == 3 and (day - date(2026, 11, 25)).days >= 14
