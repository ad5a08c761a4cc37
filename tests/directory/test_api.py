"""The people API: add, read, change and find people."""

import pytest
import sqlalchemy as sa

from meetings.directory import services
from meetings.directory.models import Person, PersonTag, Unit
from meetings.extensions import db
from tests import factories


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def new_person(api, **overrides):
    body = {"name": "王伟", "email": "wang.wei@example.com"}
    body.update(overrides)
    return api.post("/api/people", json=body)


def names(response) -> list[str]:
    assert response.status_code == 200, response.json
    return [person["name"] for person in response.json]


# Adding people


def test_add_a_person_with_every_field(api):
    response = new_person(api, email="Wang.Wei@Example.COM", unit="上海分公司", title="副总经理",
                          tags=["vice-director-and-above", "party-committee"], timezone="Europe/Amsterdam",
                          language="zh_Hans")
    assert response.status_code == 201
    body = response.json
    assert body == {"id": body["id"], "name": "王伟", "email": "wang.wei@example.com", "unit": "上海分公司",
                    "title": "副总经理", "tags": ["party-committee", "vice-director-and-above"],
                    "timezone": "Europe/Amsterdam", "language": "zh_Hans"}
    assert api.get(f"/api/people/{body['id']}").json == body
    person = db.session.get(Person, body["id"])
    assert person.unit.name == "上海分公司" and person.unit.parent is None


def test_a_person_with_only_name_and_email_gets_the_defaults(api):
    response = new_person(api)
    assert response.status_code == 201
    assert response.json["unit"] is None
    assert response.json["title"] == ""
    assert response.json["tags"] == []
    assert response.json["timezone"] == "Asia/Shanghai"
    assert response.json["language"] == "zh_Hans"


def test_a_new_unit_name_creates_the_unit_once(api):
    assert new_person(api, email="a@example.com", unit="Rotterdam plant").status_code == 201
    assert new_person(api, email="b@example.com", unit="Rotterdam plant").status_code == 201
    assert new_person(api, email="c@example.com", unit="Headquarters").status_code == 201
    assert sorted(db.session.scalars(sa.select(Unit.name))) == ["Headquarters", "Rotterdam plant"]


def test_a_person_takes_the_time_zone_of_their_unit_unless_they_give_one(api):
    services.get_or_create_unit("Rotterdam plant", timezone="Europe/Amsterdam")
    db.session.commit()
    assert new_person(api, email="a@example.com", unit="Rotterdam plant").json["timezone"] == "Europe/Amsterdam"
    assert new_person(api, email="b@example.com", unit="Rotterdam plant",
                      timezone="Asia/Shanghai").json["timezone"] == "Asia/Shanghai"


@pytest.mark.parametrize("given, stored", [("zh", "zh_Hans"), ("zh-CN", "zh_Hans"), ("zh_Hans", "zh_Hans"),
                                           ("en", "en"), ("en-GB", "en")])
def test_languages_are_understood_in_their_usual_spellings(api, given, stored):
    assert new_person(api, language=given).json["language"] == stored


def test_tags_are_lower_cased_sorted_and_kept_once(api):
    response = new_person(api, tags=["HQ-Staff", "dispatched", "hq-staff", " dispatched "])
    assert response.json["tags"] == ["dispatched", "hq-staff"]
    assert count(PersonTag) == 2


def test_name_title_and_unit_are_trimmed(api):
    response = new_person(api, name="  王伟 ", title=" 总经理 ", unit=" 总部 ")
    assert (response.json["name"], response.json["title"], response.json["unit"]) == ("王伟", "总经理", "总部")


@pytest.mark.parametrize("email", ["wang.wei@example.com", "WANG.WEI@EXAMPLE.COM", " Wang.Wei@example.com "])
def test_an_email_already_in_the_directory_is_a_conflict_in_any_case(api, email):
    first = new_person(api)
    response = new_person(api, name="Another Wang", email=email)
    assert response.status_code == 409
    error = response.json["error"]
    assert error["status"] == 409 and "email" in error["fields"]
    assert str(first.json["id"]) in error["message"]
    assert count(Person) == 1


BAD_PEOPLE = [
    ({"email": "not-an-email"}, "email"),
    ({"email": "wang.wei@"}, "email"),
    ({"email": "wang.wei@example"}, "email"),
    ({"email": "Wang Wei <wang.wei@example.com>"}, "email"),
    ({"email": '"Wang Wei" wang.wei@example.com'}, "email"),
    ({"email": "wang.wei@example.com\r\nBcc: all@example.com"}, "email"),
    ({"email": "wang.wei@example.com\nX-Injected: 1"}, "email"),
    ({"email": "wang wei@example.com"}, "email"),
    ({"email": "wang,wei@example.com"}, "email"),
    ({"email": ""}, "email"),
    ({"email": "a" * 250 + "@example.com"}, "email"),
    ({"timezone": "Asia/Beijing"}, "timezone"),
    ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
    ({"timezone": "asia/shanghai"}, "timezone"),
    ({"timezone": "+08:00"}, "timezone"),
    ({"language": "fr"}, "language"),
    ({"language": "Chinese"}, "language"),
    ({"tags": ["Party Committee"]}, "tags"),
    ({"tags": ["hq_staff"]}, "tags"),
    ({"tags": ["-dash-first"]}, "tags"),
    ({"tags": [""]}, "tags"),
    ({"tags": ["x" * 65]}, "tags"),
    ({"name": ""}, "name"),
    ({"name": "   "}, "name"),
    ({"name": "Wang\nWei"}, "name"),
    ({"name": "Wang\x00Wei"}, "name"),
    ({"name": "x" * 201}, "name"),
    ({"title": "two\r\nlines"}, "title"),
    ({"unit": "x" * 201}, "unit"),
    ({"unit": "a\nb"}, "unit"),
]


@pytest.mark.parametrize("overrides, field", BAD_PEOPLE)
def test_bad_values_are_refused_with_the_field_named(api, overrides, field):
    response = new_person(api, **overrides)
    assert response.status_code == 422, response.json
    error = response.json["error"]
    assert error["status"] == 422
    assert list(error["fields"]) == [field]
    assert error["fields"][field] and all(isinstance(m, str) and m for m in error["fields"][field])
    assert count(Person) == 0 and count(Unit) == 0


@pytest.mark.parametrize("body, field", [
    ({"email": "wang.wei@example.com"}, "name"),
    ({"name": "王伟"}, "email"),
    ({"name": 123, "email": "wang.wei@example.com"}, "name"),
    ({"name": "王伟", "email": ["wang.wei@example.com"]}, "email"),
    ({"name": "王伟", "email": "wang.wei@example.com", "tags": "party-committee"}, "tags"),
    ({"name": "王伟", "email": "wang.wei@example.com", "tags": [1]}, "tags"),
    ({"name": "王伟", "email": "wang.wei@example.com", "unit": 7}, "unit"),
    ({"name": "王伟", "email": "wang.wei@example.com", "title": ["boss"]}, "title"),
    ({"name": "王伟", "email": "wang.wei@example.com", "timezone": None}, "timezone"),
    ({"name": "王伟", "email": "wang.wei@example.com", "language": 1}, "language"),
    ({"name": "王伟", "email": "wang.wei@example.com", "phone": "+86 21 1234 5678"}, "phone"),
    ({"name": "王伟", "email": "wang.wei@example.com", "id": 5}, "id"),
])
def test_missing_fields_wrong_types_and_unknown_fields_are_named(api, body, field):
    response = api.post("/api/people", json=body)
    assert response.status_code == 422, response.json
    assert field in response.json["error"]["fields"]
    assert field in response.json["error"]["message"]
    assert count(Person) == 0


@pytest.mark.parametrize("body", [[], ["王伟"], "王伟", 42])
def test_a_body_that_is_not_an_object_is_refused(api, body):
    response = api.post("/api/people", json=body)
    assert response.status_code == 422
    assert response.json["error"]["status"] == 422
    assert count(Person) == 0


@pytest.mark.parametrize("raw", ['{"name": "王伟", "email": ', "{'name': 'x'}", "not json", '{"name": "a",}'])
def test_malformed_json_is_a_bad_request(api, raw):
    response = api.post("/api/people", data=raw, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json == {"error": {"status": 400, "message": "The body is not valid JSON.", "fields": {}}}
    assert count(Person) == 0


# Reading and changing one person


def test_an_unknown_person_is_not_found(api):
    for response in (api.get("/api/people/999"), api.patch("/api/people/999", json={"title": "Boss"})):
        assert response.status_code == 404
        assert response.json["error"]["status"] == 404
    assert api.get("/api/people/abc").status_code == 404


def test_patch_changes_only_the_fields_sent(api):
    person = factories.person("王伟", email="wang.wei@example.com", unit="总部", tags=["hq-staff"],
                              timezone="Asia/Shanghai", language="zh_Hans", title="经理")
    response = api.patch(f"/api/people/{person.id}", json={"title": "总经理"})
    assert response.status_code == 200
    assert response.json == {"id": person.id, "name": "王伟", "email": "wang.wei@example.com", "unit": "总部",
                             "title": "总经理", "tags": ["hq-staff"], "timezone": "Asia/Shanghai",
                             "language": "zh_Hans"}
    assert api.get(f"/api/people/{person.id}").json == response.json


def test_patch_with_nothing_changes_nothing(api):
    person = factories.person("王伟", tags=["hq-staff"])
    before = api.get(f"/api/people/{person.id}").json
    response = api.patch(f"/api/people/{person.id}", json={})
    assert response.status_code == 200 and response.json == before


def test_patch_replaces_the_tags(api):
    person = factories.person(tags=["hq-staff", "dispatched"])
    response = api.patch(f"/api/people/{person.id}", json={"tags": ["party-committee", "dispatched"]})
    assert response.json["tags"] == ["dispatched", "party-committee"]
    assert api.patch(f"/api/people/{person.id}", json={"tags": []}).json["tags"] == []
    assert count(PersonTag) == 0


def test_patch_moves_a_person_to_a_new_unit_and_out_of_any(api):
    person = factories.person(unit="总部")
    assert api.patch(f"/api/people/{person.id}", json={"unit": "深圳分公司"}).json["unit"] == "深圳分公司"
    assert sorted(db.session.scalars(sa.select(Unit.name))) == ["总部", "深圳分公司"]
    assert api.patch(f"/api/people/{person.id}", json={"unit": None}).json["unit"] is None


def test_patch_changes_email_time_zone_and_language(api):
    person = factories.person(email="old@example.com", language="en")
    response = api.patch(f"/api/people/{person.id}", json={"email": "New@Example.com", "timezone": "Europe/Amsterdam",
                                                           "language": "zh-CN"})
    assert response.status_code == 200
    assert (response.json["email"], response.json["timezone"], response.json["language"]) == \
        ("new@example.com", "Europe/Amsterdam", "zh_Hans")


def test_patch_to_another_persons_email_is_a_conflict(api):
    factories.person(email="taken@example.com")
    person = factories.person(email="mine@example.com")
    response = api.patch(f"/api/people/{person.id}", json={"email": "TAKEN@example.com"})
    assert response.status_code == 409
    assert "email" in response.json["error"]["fields"]
    assert api.get(f"/api/people/{person.id}").json["email"] == "mine@example.com"


def test_patch_to_ones_own_email_in_another_case_is_fine(api):
    person = factories.person(email="mine@example.com")
    response = api.patch(f"/api/people/{person.id}", json={"email": "MINE@example.com"})
    assert response.status_code == 200 and response.json["email"] == "mine@example.com"


@pytest.mark.parametrize("body, field", [
    ({"name": ""}, "name"),
    ({"name": None}, "name"),
    ({"email": "Wang <wang@example.com>"}, "email"),
    ({"timezone": "Asia/Beijing"}, "timezone"),
    ({"language": "de"}, "language"),
    ({"tags": ["Not A Tag"]}, "tags"),
    ({"tags": None}, "tags"),
    ({"nickname": "Wei"}, "nickname"),
])
def test_a_bad_patch_changes_nothing(api, body, field):
    person = factories.person("王伟", email="wang@example.com", tags=["hq-staff"], timezone="Asia/Shanghai")
    before = api.get(f"/api/people/{person.id}").json
    response = api.patch(f"/api/people/{person.id}", json=body)
    assert response.status_code == 422, response.json
    assert field in response.json["error"]["fields"]
    assert api.get(f"/api/people/{person.id}").json == before


# Finding people


@pytest.fixture()
def group(app):
    """Headquarters with a branch and a sub-branch, and an enterprise beside it."""
    hq = services.get_or_create_unit("Headquarters", kind="headquarters")
    branch = services.get_or_create_unit("Shanghai branch", kind="branch", parent=hq)
    services.get_or_create_unit("Pudong office", kind="branch", parent=branch)
    services.get_or_create_unit("Rotterdam plant")
    db.session.commit()
    factories.person("Alice", unit="Headquarters", tags=["hq-staff", "party-committee"])
    factories.person("Bob", unit="Shanghai branch", tags=["vice-director-and-above"])
    factories.person("Carol", unit="Pudong office", tags=["dispatched"])
    factories.person("Dirk", unit="Rotterdam plant", tags=["enterprise-representative", "vice-director-and-above"])
    factories.person("Eve", tags=["party-committee"])


def test_everyone_is_listed_in_name_order(api, group):
    assert names(api.get("/api/people")) == ["Alice", "Bob", "Carol", "Dirk", "Eve"]


def test_a_tag_filter_finds_people_with_any_of_the_tags(api, group):
    assert names(api.get("/api/people?tag=party-committee")) == ["Alice", "Eve"]
    assert names(api.get("/api/people?tag=party-committee&tag=dispatched")) == ["Alice", "Carol", "Eve"]
    assert names(api.get("/api/people?tag=Vice-Director-And-Above")) == ["Bob", "Dirk"]
    assert names(api.get("/api/people?tag=nobody-has-this")) == []


def test_a_unit_filter_includes_the_units_below(api, group):
    assert names(api.get("/api/people?unit=Headquarters")) == ["Alice", "Bob", "Carol"]
    assert names(api.get("/api/people?unit=Shanghai branch")) == ["Bob", "Carol"]
    assert names(api.get("/api/people?unit=Pudong office")) == ["Carol"]
    assert names(api.get("/api/people?unit=Rotterdam plant")) == ["Dirk"]


def test_an_unknown_unit_matches_nobody(api, group):
    assert names(api.get("/api/people?unit=Atlantis")) == []
    assert names(api.get("/api/people?unit=Atlantis&tag=party-committee")) == []


def test_filters_combine(api, group):
    response = api.get("/api/people?unit=Headquarters&tag=vice-director-and-above&tag=dispatched")
    assert names(response) == ["Bob", "Carol"]
    assert names(api.get("/api/people?tag=vice-director-and-above&q=dir")) == ["Dirk"]


def test_search_finds_part_of_a_name_or_an_email(api, app):
    factories.person("王伟", email="wang.wei@example.com")
    factories.person("李娜", email="li.na@example.org")
    factories.person("Anna Smith", email="anna@example.com")
    assert names(api.get("/api/people?q=王")) == ["王伟"]
    assert names(api.get("/api/people?q=example.org")) == ["李娜"]
    assert names(api.get("/api/people?q=ANNA")) == ["Anna Smith"]
    assert names(api.get("/api/people?q=nothing-like-this")) == []


@pytest.mark.parametrize("q", ["%", "_", "\\"])
def test_search_takes_wildcards_literally(api, app, q):
    factories.person("Plain name", email="plain@example.com")
    factories.person(f"Odd {q} name", email="odd@example.com")
    assert names(api.get("/api/people", query_string={"q": q})) == [f"Odd {q} name"]


def test_a_bad_tag_filter_is_refused(api, group):
    response = api.get("/api/people?tag=Not a tag!")
    assert response.status_code == 422
    assert "tag" in response.json["error"]["fields"]


def test_removed_people_are_not_listed(api, group):
    services.remove_person(services.get_person_by_email(api.get("/api/people?q=Eve").json[0]["email"]))
    db.session.commit()
    assert names(api.get("/api/people")) == ["Alice", "Bob", "Carol", "Dirk"]


# Who may use the API


@pytest.mark.parametrize("method, url", [
    ("get", "/api/people"),
    ("post", "/api/people"),
    ("get", "/api/people/1"),
    ("patch", "/api/people/1"),
    ("post", "/api/people/import"),
])
def test_every_endpoint_needs_a_token(client, app, method, url):
    person = factories.person()
    response = getattr(client, method)(url.replace("/1", f"/{person.id}"), json={"name": "X", "email": "x@example.com"})
    assert response.status_code == 401
    assert response.json["error"]["status"] == 401
    assert count(Person) == 1
    assert db.session.get(Person, person.id).name == person.name


def test_admins_and_organizers_both_manage_the_directory(api, admin_api):
    assert new_person(api, email="a@example.com").status_code == 201
    assert new_person(admin_api, email="b@example.com").status_code == 201
    assert len(api.get("/api/people").json) == len(admin_api.get("/api/people").json) == 2


def test_a_removed_person_keeps_their_past_attendance(api):
    from meetings.attendance import services as attendance
    from meetings.extensions import db
    from tests import factories

    meeting = factories.meeting(api.user)
    person = factories.person("Leaver", email="leaver@example.com")
    invitation = factories.invite(meeting, person)
    factories.publish(meeting)
    attendance.check_in(invitation, "manual")
    db.session.commit()
    assert api.delete(f"/api/people/{person.id}").status_code == 204
    assert "leaver@example.com" not in [p["email"] for p in api.get("/api/people").json]
    assert api.post(f"/api/meetings/{meeting.id}/invitations", json={"email": "leaver@example.com"}).status_code == 422
    export = api.get(f"/api/meetings/{meeting.id}/attendance.csv").get_data(as_text=True)
    assert "Leaver" in export
    back = api.post("/api/people", json={"name": "Leaver, back", "email": "leaver@example.com"})
    assert back.status_code == 201 and back.json["id"] == person.id
