"""Directory services: units and their tree, people, tags, and the look-ups other domains use."""

import pytest
import sqlalchemy as sa

from meetings.core.errors import Conflict, InvalidInput, NotFound
from meetings.directory import services
from meetings.directory.models import Person, Unit
from meetings.extensions import db
from tests import factories


def test_get_or_create_unit_makes_a_unit_once(app):
    first = services.get_or_create_unit(" Headquarters ", kind="headquarters", timezone="Asia/Shanghai")
    again = services.get_or_create_unit("Headquarters", kind="branch")
    db.session.commit()
    assert first.id == again.id
    [unit] = db.session.scalars(sa.select(Unit))
    assert (unit.name, unit.kind, unit.timezone) == ("Headquarters", "headquarters", "Asia/Shanghai")


@pytest.mark.parametrize("name, timezone, field", [
    ("", None, "unit"),
    ("   ", None, "unit"),
    ("x" * 201, None, "unit"),
    ("Rotterdam plant", "Europe/Rotterdam", "timezone"),
])
def test_a_unit_needs_a_name_and_a_real_zone(app, name, timezone, field):
    with pytest.raises(InvalidInput) as raised:
        services.get_or_create_unit(name, timezone=timezone)
    assert field in raised.value.fields
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Unit)) == 0


def test_the_units_below_a_unit_are_found_at_every_depth(app):
    hq = services.get_or_create_unit("HQ")
    branch = services.get_or_create_unit("Branch", parent=hq)
    office = services.get_or_create_unit("Office", parent=branch)
    desk = services.get_or_create_unit("Desk", parent=office)
    other = services.get_or_create_unit("Other")
    assert sorted(services.unit_and_descendant_ids(hq)) == sorted([hq.id, branch.id, office.id, desk.id])
    assert sorted(services.unit_and_descendant_ids(office)) == sorted([office.id, desk.id])
    assert services.unit_and_descendant_ids(other) == [other.id]


def test_a_loop_in_the_unit_tree_does_not_hang_the_search(app):
    first = services.get_or_create_unit("First")
    second = services.get_or_create_unit("Second", parent=first)
    first.parent = second
    db.session.flush()
    assert sorted(services.unit_and_descendant_ids(first)) == sorted([first.id, second.id])


def test_services_leave_the_commit_to_the_caller(app):
    services.create_person({"name": "王伟", "email": "wang@example.com", "unit": "总部"})
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Person)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Unit)) == 0


def test_create_person_refuses_a_known_email_in_any_case(app):
    factories.person(email="wang@example.com")
    with pytest.raises(Conflict):
        services.create_person({"name": "Wang", "email": "WANG@example.com"})


def test_tags_may_come_as_one_string_separated_by_commas_or_semicolons(app):
    person = services.create_person({"name": "王伟", "email": "wang@example.com",
                                     "tags": "party-committee; hq-staff,dispatched;;"})
    assert person.tags == ["dispatched", "hq-staff", "party-committee"]


def test_set_tags_adds_and_removes(app):
    person = factories.person(tags=["a", "b"])
    services.set_tags(person, ["B", "c"])
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Person, person.id).tags == ["b", "c"]


def test_get_person_and_the_email_look_ups(app):
    person = factories.person(email="wang@example.com")
    assert services.get_person(person.id) == person
    assert services.get_person_by_email(" WANG@example.com ") == person
    assert services.get_person_by_email("li@example.com") is None
    with pytest.raises(NotFound):
        services.get_person(person.id + 1)


def test_require_person_by_email_names_the_field_for_unknown_and_removed_people(app):
    person = factories.person(email="wang@example.com")
    assert services.require_person_by_email("Wang@Example.com", "host_email") == person
    with pytest.raises(InvalidInput) as raised:
        services.require_person_by_email("li@example.com", "host_email")
    assert "host_email" in raised.value.fields
    with pytest.raises(InvalidInput) as raised:
        services.require_person_by_email("Wang <wang@example.com>", "host_email")
    assert "host_email" in raised.value.fields
    services.remove_person(person)
    db.session.commit()
    with pytest.raises(InvalidInput):
        services.require_person_by_email("wang@example.com", "host_email")


def test_find_people_leaves_removed_people_out(app):
    kept = factories.person("Alice", tags=["hq-staff"])
    gone = factories.person("Bob", tags=["hq-staff"])
    services.remove_person(gone)
    db.session.commit()
    assert services.find_people(["hq-staff"]) == [kept]
    assert services.find_people(search="bob") == []
