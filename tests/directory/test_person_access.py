"""Who may change or remove a person (meetings.directory.access): walks every URL that names a
person, pages and API, as anonymous, as another organizer, as the meeting's organizer and as an
admin. A person's email is where their links go: another organizer must not be able to change it."""

import pytest

from meetings.core.access import PERSON_CHANGE, PERSON_READ, declared
from meetings.core.database import engines
from meetings.directory.models import Person
from meetings.extensions import db
from tests import factories
from tests.accounts.helpers import Browser, log_in, make_user, page_csrf_token

PASSWORD = "a long password, 2"


def person_rules(app):
    """Every (rule, method) of the app whose URL names a person."""
    found = []
    for rule in app.url_map.iter_rules():
        if "person_id" in rule.arguments:
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                found.append((rule, method))
    return found


def test_every_handler_of_a_person_declares_its_access(app):
    rules = person_rules(app)
    assert {(rule.rule, method) for rule, method in rules} >= {
        ("/api/people/<int:person_id>", "PATCH"), ("/api/people/<int:person_id>", "DELETE"),
        ("/people/<int:person_id>", "POST")}
    for rule, _method in rules:
        assert declared(app.view_functions[rule.endpoint]) in (PERSON_READ, PERSON_CHANGE), rule.rule


def signed_in(app, user):
    browser = Browser(app)
    log_in(browser, user.email, PASSWORD)
    return browser


def call(app, who, rule, method, person):
    """``who`` (None, or an ApiClient for /api, or a Browser) sends ``method`` to the person's URL."""
    url = rule.rule.replace("<int:person_id>", str(person.id))
    form = {"name": "Taken over", "email": "thief@example.com", "unit": "", "title": "", "tags": "",
            "timezone": "Asia/Shanghai", "language": "en"}
    if url.startswith("/api/"):
        client = who or app.test_client()
        headers = who._headers(None) if who else {}
        body = {"email": "thief@example.com"} if method in ("PATCH", "PUT", "POST") else None
        return client.client.open(url, method=method, json=body, headers=headers) if who else \
            client.open(url, method=method, json=body)
    client = who or Browser(app)
    if method == "GET":
        return client.get(url)
    page = client.get(url)
    if page.status_code != 200:
        return page
    return client.open(url, method=method, data=dict(form, csrf_token=page_csrf_token(page.text)))


@pytest.fixture()
def cast(app):
    users = {"organizer": make_user("a.organizer@example.com", password=PASSWORD),
             "other": make_user("b.organizer@example.com", password=PASSWORD),
             "admin": make_user("an.admin@example.com", role="admin", password=PASSWORD)}
    meeting = factories.meeting(users["organizer"])
    return users, meeting


@pytest.mark.parametrize("who", ["anonymous", "other", "organizer", "admin"])
def test_only_who_may_see_all_of_a_persons_meetings_changes_or_removes_them(app, client, cast, who):
    from tests.conftest import ApiClient
    from meetings.accounts import services as accounts

    users, meeting = cast
    for rule, method in person_rules(app):
        invited = factories.person("Invited", email=f"invited.{rule.endpoint}.{method}@example.com".lower())
        factories.invite(meeting, invited)
        free = factories.person("Free", email=f"free.{rule.endpoint}.{method}@example.com".lower())
        if who == "anonymous":
            caller = None
        elif rule.rule.startswith("/api/"):
            caller = ApiClient(client, accounts.issue_api_token(users[who].email, "t"), users[who])
            db.session.commit()
        else:
            caller = signed_in(app, users[who])
        for person in (invited, free):
            email = person.email
            response = call(app, caller, rule, method, person)
            db.session.expire_all()
            after = db.session.get(Person, person.id)
            if who == "anonymous":
                assert response.status_code in (401, 302), (rule.rule, method)
                assert after.email == email and after.removed_at is None
            elif method != "GET" and who == "other" and person is invited:
                assert response.status_code == 403, (rule.rule, method, response.status_code)
                assert "other organizers" in response.text
                assert after.email == email and after.removed_at is None, (rule.rule, method)
            else:
                assert response.status_code < 400, (who, rule.rule, method, response.status_code, response.text)
            if after.email != email or after.removed_at is not None:  # put it back for the next call
                after.email, after.removed_at = email, None
                db.session.commit()


def test_sharing_the_meeting_lets_the_other_organizer_change_them(app, client, cast):
    from meetings.scheduling.services import share_meeting
    from tests.conftest import ApiClient
    from meetings.accounts import services as accounts

    users, meeting = cast
    person = factories.person("Invited", email="invited@example.com")
    factories.invite(meeting, person)
    other = ApiClient(client, accounts.issue_api_token(users["other"].email, "t"), users["other"])
    db.session.commit()
    refused = other.patch(f"/api/people/{person.id}", json={"email": "thief@example.com"})
    assert refused.status_code == 403
    assert refused.json["error"]["message"].startswith("Invited is on meetings of other organizers")
    assert other.delete(f"/api/people/{person.id}").status_code == 403
    share_meeting(meeting, users["other"])
    db.session.commit()
    assert other.patch(f"/api/people/{person.id}", json={"email": "new@example.com"}).status_code == 200


def test_a_roster_does_not_update_people_on_other_organizers_meetings(app, client, cast):
    from meetings.accounts import services as accounts
    from tests.conftest import ApiClient

    users, meeting = cast
    person = factories.person("Invited", email="invited@example.com")
    factories.invite(meeting, person)
    other = ApiClient(client, accounts.issue_api_token(users["other"].email, "t"), users["other"])
    mine = ApiClient(client, accounts.issue_api_token(users["organizer"].email, "t"), users["organizer"])
    db.session.commit()
    roster = "name,email,tags\nRenamed,invited@example.com,board\n".encode()
    refused = other.post("/api/people/import", data=roster, headers={"Content-Type": "text/csv"})
    assert refused.status_code == 422
    assert "other organizers" in refused.json["error"]["fields"]["row 2"][0]
    db.session.expire_all()
    assert db.session.get(Person, person.id).name == "Invited"
    assert mine.post("/api/people/import", data=roster, headers={"Content-Type": "text/csv"}).status_code == 200
    db.session.expire_all()
    assert db.session.get(Person, person.id).name == "Renamed"


def test_adding_back_someone_who_left_is_a_change_under_the_same_rule(app, client, cast):
    from meetings.accounts import services as accounts
    from meetings.directory import services as directory
    from tests.conftest import ApiClient

    users, meeting = cast
    person = factories.person("Invited", email="invited@example.com")
    factories.invite(meeting, person)
    directory.remove_person(person)
    db.session.commit()
    other = ApiClient(client, accounts.issue_api_token(users["other"].email, "t"), users["other"])
    db.session.commit()
    refused = other.post("/api/people", json={"name": "Someone else", "email": "Invited@example.com"})
    assert refused.status_code == 403 and "other organizers" in refused.json["error"]["message"]
    browser = signed_in(app, users["other"])
    page = browser.get("/people/new")
    form = {"name": "Someone else", "email": "invited@example.com", "timezone": "Asia/Shanghai", "language": "en",
            "csrf_token": page_csrf_token(page.text)}
    assert "other organizers" in browser.post("/people/new", data=form).text
    db.session.expire_all()
    after = db.session.get(Person, person.id)
    assert after.name == "Invited" and after.removed_at is not None
    mine = signed_in(app, users["organizer"])  # who sees all of their meetings brings them back
    assert mine.post("/people/new", data=dict(
        form, csrf_token=page_csrf_token(mine.get("/people/new").text))).status_code == 302
    db.session.expire_all()
    assert db.session.get(Person, person.id).removed_at is None


def _statements(run) -> int:
    """How many statements ``run()`` sends to the database."""
    import sqlalchemy as sa

    count = 0

    def counted(*_args, **_kwargs):
        nonlocal count
        count += 1

    for engine in engines(db.engine):  # the session's and `autocommit`'s
        sa.event.listen(engine, "before_cursor_execute", counted)
    try:
        run()
    finally:
        for engine in engines(db.engine):
            sa.event.remove(engine, "before_cursor_execute", counted)
    return count


def test_a_rosters_rule_is_one_question_for_all_its_known_people(app, cast):
    """Each way of holding a person counts (invited, hosting a site, speaking, the invitation
    withdrawn does not), and the statements the check sends do not grow with the rows."""
    import sqlalchemy as sa

    from meetings.directory import roster
    from meetings.invitations.models import Invitation
    from meetings.scheduling import sites
    from meetings.scheduling.services import share_meeting

    users, meeting = cast
    host = factories.person("Host", email="host@example.com")
    speaker = factories.person("Speaker", email="speaker@example.com")
    withdrawn = factories.person("Withdrawn", email="withdrawn@example.com")
    shared_guest = factories.person("Shared", email="shared.guest@example.com")
    sites.add_site(meeting, {"name": "Remote", "kind": "remote", "host_email": host.email})
    factories.agenda_item(meeting, kind="speech", minutes=30,
                          speakers=[{"email": speaker.email, "topic": "Plans", "minutes": 10}])
    factories.invite(meeting, withdrawn)
    # Only the site and the slot hold the host and the speaker; the withdrawn guest, nothing.
    db.session.execute(sa.update(Invitation).values(removed_at=sa.func.current_timestamp()))
    shared = factories.meeting(users["organizer"], title="Shared with the other")
    share_meeting(shared, users["other"])
    db.session.commit()
    factories.invite(shared, shared_guest)
    held_emails = factories.crowd(meeting, 40, prefix="held")
    free_emails = [f"free{n}@example.com" for n in range(40)]
    for email in free_emails:
        factories.person(email=email, commit=False)
    db.session.commit()

    def plan(count: int):
        emails = ([host.email, speaker.email, withdrawn.email, shared_guest.email]
                  + held_emails[:count] + free_emails[:count] + [f"new{n}@example.com" for n in range(count)])
        content = ("name,email\n" + "".join(f"Someone,{email}\n" for email in emails)).encode()
        result = None

        assert not users["other"].is_admin  # loaded before counting (the test's commits expired it)

        def run():
            nonlocal result
            result = roster.plan_import(content, "roster.csv", user=users["other"])

        statements = _statements(run)
        flagged = {emails[int(row.split()[1]) - 2] for row in result.errors}  # "row N": the header is row 1
        return statements, flagged

    few, flagged_few = plan(2)
    many, flagged_many = plan(40)
    assert flagged_few == {host.email, speaker.email, *held_emails[:2]}
    assert flagged_many == {host.email, speaker.email, *held_emails}
    assert few == many <= 3, (few, many)  # the people of the file, then who holds them
    # The same rule, one person at a time (the person pages and the API).
    from meetings.directory.access import may_change_person

    assert not may_change_person(users["other"], host.id) and may_change_person(users["other"], withdrawn.id)
    assert may_change_person(users["organizer"], host.id) and may_change_person(users["admin"], host.id)
