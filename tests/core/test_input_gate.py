"""What no field can hold is refused before any view reads it (meetings.core.inputs): NUL bytes
and unpaired surrogates in any text, integers no column holds, JSON nested without end. Every
endpoint of the url_map is walked with them; each answer is a 4xx that says why, no error is
logged, and nothing is written."""

from __future__ import annotations

import json
import logging
import re

import pytest

from meetings.extensions import db
from meetings.invitations import links
from meetings.invitations.models import LinkPurpose
from tests import factories
from tests.accounts.helpers import database_text
from tests.conftest import api_client_for

NUL = "gate\x00x"
SURROGATE = "gate\ud800x"
HUGE = "99999999999999999999"  # past 64 bits
#: The query arguments the pages and the API read, each sent with every URL.
QUERY_NAMES = ["q", "unit", "tag", "action", "role", "response", "site", "page", "before", "meeting",
               "all", "dry_run", "next", "lang", "done", "result", "saved", "others"]
INT_QUERY_NAMES = ["page", "before", "meeting", "site", "saved", "others"]


def _csrf(page: str) -> str:
    match = re.search(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"', page)
    assert match, "no form on the page"
    return match.group(1)


@pytest.fixture()
def world(app, client):
    """A meeting with every kind of object the URLs name, an admin signed in, and an API token."""
    from meetings.accounts.services import create_user
    from meetings.scheduling import sites

    admin = create_user("gate.admin@example.com", "admin", "a long password", name="Gate")
    db.session.commit()
    csrf = _csrf(client.get("/login").text)
    assert client.post("/login", data={"email": admin.email, "password": "a long password",
                                       "csrf_token": csrf}).status_code == 302
    csrf = _csrf(client.get("/account/tokens").text)  # signing in starts a new session
    api = api_client_for(client, "admin")
    person = factories.person("Gate Person", email="gate.person@example.com", unit="Gate unit")
    meeting = factories.meeting(admin)
    remote = sites.add_site(meeting, {"name": "Remote", "kind": "remote", "timezone": "Asia/Shanghai"})
    db.session.commit()
    item = factories.agenda_item(meeting)
    invitation = factories.invite(meeting, person)
    factories.publish(meeting)  # the RSVP and join pages show their forms only then
    tokens = {
        "invitations.rsvp_page": links.mint(LinkPurpose.RSVP, meeting_id=meeting.id, invitation_id=invitation.id),
        "conferencing.join_page": links.mint(LinkPurpose.JOIN, meeting_id=meeting.id, invitation_id=invitation.id),
        "conferencing.roll_call_page": links.mint(LinkPurpose.SITE, meeting_id=meeting.id, site_id=remote.id),
        "attendance.checkin_page": links.mint(LinkPurpose.CHECKIN, meeting_id=meeting.id, invitation_id=invitation.id),
        "invitations.feed": links.mint(LinkPurpose.FEED, person_id=person.id),
    }
    tokens["invitations.rsvp_answer"] = tokens["invitations.rsvp_page"]
    tokens["conferencing.join"] = tokens["conferencing.join_page"]
    tokens["conferencing.roll_call"] = tokens["conferencing.roll_call_page"]
    tokens["attendance.check_in"] = tokens["attendance.checkin_page"]
    db.session.commit()
    token_id = next(t["id"] for t in api.get("/api/tokens").json)
    ids = {"meeting_id": meeting.id, "site_id": remote.id, "item_id": item.id, "invitation_id": invitation.id,
           "person_id": person.id, "token_id": token_id, "message_id": 1, "extension": "csv",
           # Domains merged later (materials, minutes): ids that name nothing are enough, the
           # gate answers before any handler looks them up.
           "material_id": 1, "action_id": 1, "evidence_id": 1, "step": "submit"}
    return {"client": client, "api": api, "ids": ids, "tokens": tokens, "csrf": csrf}


def endpoints(app):
    """Every (rule, method) the app answers, but the static files and the spec."""
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint in ("static", "api-docs.openapi_json", "health.readyz"):  # readyz: 503 without a scheduler
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def url_of(rule, world) -> str:
    values = {name: world["ids"][name] for name in rule.arguments if name != "token"}
    if "token" in rule.arguments:
        values["token"] = world["tokens"].get(rule.endpoint, "A" * 43)  # no live link: still gated
    return rule.build(values, append_unknown=False)[1]


def request_schemas(client) -> dict[tuple[str, str], dict]:
    """The request body's properties of every API operation, from the served OpenAPI spec."""
    spec = client.get("/api/openapi.json").json
    components = spec.get("components", {}).get("schemas", {})
    found = {}
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if not isinstance(operation, dict):  # the path's own "parameters"
                continue
            content = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if not content:
                continue
            schema = content["schema"]
            if "$ref" in schema:
                schema = components[schema["$ref"].rsplit("/", 1)[1]]
            found[(re.sub(r"\{(\w+)\}", r"<\1>", "/api" + path if not path.startswith("/api") else path),
                   method.upper())] = schema.get("properties", {})
    return found


def _shaped(prop: dict, value):
    kind = prop.get("type")
    if kind == "array":
        return [_shaped(prop.get("items", {}), value)]
    if kind == "object" or "$ref" in prop or "allOf" in prop:
        return {"provider": value, "email": value, "role": value}
    if kind == "integer":
        return 10**20
    return value


class Watch:
    """Snapshots the database and the error log around the requests of a walk."""

    def __init__(self, caplog):
        self.caplog = caplog

    def __enter__(self):
        self.before = database_text()
        self.caplog.clear()
        return self

    def __exit__(self, *exc):
        if exc[0] is None:
            after = database_text()
            if after != self.before:
                import difflib
                print("\n".join(difflib.unified_diff(self.before.splitlines(), after.splitlines(), lineterm="")))
            errors = [r for r in self.caplog.records if r.levelno >= logging.ERROR or r.exc_info]
            assert not errors, [r.getMessage() for r in errors]
            assert database_text() == self.before, "a refused request changed the database"


def check(response, where: str, api: bool, refused: bool = True):
    """A 4xx (or, where ``refused`` is False, anything but a 5xx), in the API's error shape."""
    low = 400 if refused else 100
    assert low <= response.status_code < 500, f"{where}: {response.status_code} {response.data[:300]!r}"
    assert b"Traceback" not in response.data  # bytes: files and zips answer too
    if api and response.status_code >= 400:
        error = response.json["error"]
        assert error["status"] == response.status_code and error["message"], where


def test_every_url_refuses_unstorable_query_arguments(app, world, caplog):
    client = world["client"]
    with Watch(caplog):
        for rule, method in endpoints(app):
            url = url_of(rule, world)
            for value, names in ((NUL, QUERY_NAMES), (HUGE, INT_QUERY_NAMES)):
                if value is HUGE and method != "GET":
                    continue  # read nowhere else, so the request would go on and act
                query = {name: value for name in names}
                response = client.open(url, method=method, query_string=query,
                                       headers={"Authorization": f"Bearer {world['api'].token}"}
                                       if rule.rule.startswith("/api") else {},
                                       data={"csrf_token": world["csrf"]} if method == "POST"
                                       and not rule.rule.startswith("/api") else None)
                # A NUL is refused wherever it is; a large number only where it is read as one.
                check(response, f"{method} {url}?{names[0]}={value!r}", rule.rule.startswith("/api"),
                      refused=value is NUL)


@pytest.mark.parametrize("value", [NUL, SURROGATE, 10**20], ids=["nul", "surrogate", "huge-int"])
def test_every_api_body_field_refuses_what_no_column_holds(app, world, caplog, value):
    api, client = world["api"], world["client"]
    schemas = request_schemas(client)
    walked = 0
    with Watch(caplog):
        for rule, method in endpoints(app):
            properties = schemas.get((re.sub(r"<(?:\w+:)?(\w+)>", r"<\1>", rule.rule), method))
            if not properties:
                continue
            url = url_of(rule, world)
            for name, prop in properties.items():
                body = json.dumps({name: value if isinstance(value, int) else _shaped(prop, value)})
                response = api.client.open(url, method=method, data=body, content_type="application/json",
                                           headers={"Authorization": f"Bearer {api.token}"})
                check(response, f"{method} {url} {name}={value!r}", True)
                walked += 1
    assert walked > 40  # the spec was read: the walk reached the bodies


def test_every_api_body_refuses_json_nested_without_end(app, world, caplog):
    api = world["api"]
    for body in ("[" * 100_000, '{"a":' * 50_000 + "1" + "}" * 50_000, "[" * 40 + "]" * 40):
        with Watch(caplog):
            for rule, method in endpoints(app):
                if not rule.rule.startswith("/api") or method == "GET":
                    continue
                url = url_of(rule, world)
                response = api.client.open(url, method=method, data=body, content_type="application/json",
                                           headers={"Authorization": f"Bearer {api.token}"})
                check(response, f"{method} {url} deep", True)
                if rule.endpoint == "meetings.create_meeting":
                    assert response.status_code == 400
                    assert "nested too deeply" in response.json["error"]["message"]


_FORM = re.compile(r'<form\b([^>]*)>(.*?)</form>', re.S)
_ACTION = re.compile(r'action="([^"]*)"')
_NAME = re.compile(r'<(?:input|select|textarea|button)[^>]* name="([^"]+)"')


def form_fields(client, app, world) -> dict[str, set[str]]:
    """The field names of every form the signed-in admin is shown, by the URL each posts to."""
    posted_to: dict[str, set[str]] = {}
    for rule, method in endpoints(app):
        if method == "GET" and not rule.rule.startswith("/api"):
            url = url_of(rule, world)
            page = client.get(url)
            if page.mimetype != "text/html":
                continue
            for attributes, body in _FORM.findall(page.text):
                action = _ACTION.search(attributes)
                target = action.group(1).split("?")[0] if action and action.group(1) else url
                posted_to.setdefault(target, set()).update(_NAME.findall(body))
    for names in posted_to.values():
        names.discard("csrf_token")
    return posted_to


#: Fields the pages read that no page shows as such (the tokens page's revoke buttons, the
#: roll call's list), sent to every form besides its own.
EXTRA_FIELDS = {"revoke", "present", "head_count", "email", "response", "delegate_email"}


def test_every_form_refuses_a_nul_byte_in_any_field(app, world, caplog):
    client = world["client"]
    forms = form_fields(client, app, world)
    assert {"title", "date", "start_time"} <= forms["/meetings/new"]
    assert {"response", "delegate_email"} <= forms[f"/rsvp/{world['tokens']['invitations.rsvp_page']}"]
    with Watch(caplog):
        for rule, method in endpoints(app):
            if method != "POST" or rule.rule.startswith("/api"):
                continue
            url = url_of(rule, world)
            for name in sorted(forms.get(url, set()) | EXTRA_FIELDS):
                response = client.post(url, data={name: NUL, "csrf_token": world["csrf"]})
                check(response, f"POST {url} {name}={NUL!r}", False)


#: Form posts that act with nothing but a CSRF token: posting a number to them would act.
ACTIONS = ("delete", "cancel", "remove", "publish", "logout", "resend", "retry", "rotate", "move")


def test_every_form_takes_numbers_past_64_bits_without_a_server_error(app, world, caplog):
    client = world["client"]
    forms = form_fields(client, app, world)
    caplog.clear()
    for rule, method in endpoints(app):
        if method != "POST" or rule.rule.startswith("/api") or any(a in rule.endpoint for a in ACTIONS):
            continue
        url = url_of(rule, world)
        for name in sorted(forms.get(url, set()) | EXTRA_FIELDS):
            response = client.post(url, data={name: HUGE, "csrf_token": world["csrf"]})
            check(response, f"POST {url} {name}={HUGE}", False, refused=False)
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert not errors, [r.getMessage() for r in errors]


@pytest.mark.parametrize("url", ["/people?q=a%00b", "/people?unit=a%00b", "/admin/audit?action=a%00b",
                                 "/admin/audit?before=99999999999999999999",
                                 "/admin/audit?meeting=99999999999999999999",
                                 "/people?page=99999999999999999999"])
def test_the_named_query_faults_are_refused(world, url):
    response = world["client"].get(url)
    assert response.status_code == 422, response.text[:300]
    assert "cannot be stored" in response.text or "too large" in response.text


def test_an_export_filter_with_a_nul_byte_is_refused(world):
    meeting_id = world["ids"]["meeting_id"]
    for url in (f"/api/meetings/{meeting_id}/attendance.csv?unit=a%00b",
                f"/api/meetings/{meeting_id}/attendance.xlsx?role=a%00b"):
        response = world["api"].get(url)
        assert response.status_code == 422, response.text[:300]
        assert set(response.json["error"]["fields"]) in ({"unit"}, {"role"})


def test_a_group_invite_with_a_nul_byte_in_its_unit_is_refused(world):
    response = world["api"].post(f"/api/meetings/{world['ids']['meeting_id']}/invitations",
                                 json={"unit": "Gate\x00unit", "role": "participant"})
    assert response.status_code == 422 and list(response.json["error"]["fields"]) == ["unit"]


def test_the_sign_in_form_refuses_a_nul_byte_before_anyone_is_known(app):
    client = app.test_client()
    csrf = _csrf(client.get("/login").text)
    response = client.post("/login", data={"email": "a\x00@example.com", "password": "x", "csrf_token": csrf})
    assert response.status_code == 422 and "cannot be stored" in response.text


@pytest.mark.parametrize("path", ["/api/meetings/99999999999999999999", "/api/people/99999999999999999999",
                                  "/api/tokens/99999999999999999999"])
def test_ids_past_any_column_are_not_found(world, path):
    api = world["api"]
    response = api.delete(path) if path.startswith("/api/tokens") else api.get(path)
    assert response.status_code in (404, 405) and response.json["error"]


def test_revoking_a_token_by_a_number_past_64_bits_says_no_such_token(world):
    client = world["client"]
    response = client.post("/account/tokens", data={"revoke": HUGE, "csrf_token": world["csrf"]},
                           follow_redirects=True)
    assert response.status_code == 200 and "No such token." in response.text


@pytest.mark.parametrize("endpoint, body", [
    ("/api/meetings", {"title": SURROGATE, "start": factories.wall(factories.future_day(), 9),
                       "end": factories.wall(factories.future_day(), 10), "timezone": "UTC"}),
    ("/api/people", {"name": SURROGATE, "email": "s@example.com"}),
    ("/api/tokens", {"name": SURROGATE}),
    ("/api/meetings/{meeting_id}/sites", {"name": SURROGATE, "kind": "remote", "timezone": "UTC"}),
    ("/api/meetings/{meeting_id}/agenda", {"title": SURROGATE, "kind": "other", "duration_minutes": 5}),
])
def test_a_lone_surrogate_is_refused_with_its_field_named(world, endpoint, body):
    before = database_text()
    api = world["api"]
    response = api.client.post(endpoint.format(**world["ids"]), data=json.dumps(body),
                               content_type="application/json", headers={"Authorization": f"Bearer {api.token}"})
    assert response.status_code == 422, response.text[:300]
    assert list(response.json["error"]["fields"]) == [next(iter(body))]
    assert database_text() == before


def test_the_gate_costs_little_on_a_large_ordinary_body(world):
    # A bound on the walk, not a measure of speed: a flat body of 200,000 strings passes.
    api = world["api"]
    body = json.dumps({"title": "x", "extra": ["text"] * 200_000})
    response = api.client.post("/api/meetings", data=body, content_type="application/json",
                               headers={"Authorization": f"Bearer {api.token}"})
    assert response.status_code == 422 and "nested" not in response.text



def test_a_calendar_reply_with_a_nul_byte_is_refused(world):
    before = database_text()
    body = b"BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\nUID:a\x00b\r\nEND:VCALENDAR\r\n"
    response = world["api"].post("/api/replies", data=body, headers={"Content-Type": "text/calendar"})
    assert response.status_code == 422 and list(response.json["error"]["fields"]) == ["body"]
    assert database_text() == before


def test_a_link_whose_token_holds_a_nul_byte_is_a_404_like_any_wrong_link(world):
    for endpoint in ("invitations.rsvp_page", "conferencing.join_page", "attendance.checkin_page"):
        rule = next(r for r in world["client"].application.url_map.iter_rules() if r.endpoint == endpoint)
        url = rule.build({"token": "\x00" + world["tokens"][endpoint]}, append_unknown=False)[1]
        assert "%00" in url
        assert world["client"].get(url).status_code == 404, url


@pytest.mark.parametrize("path", ["/meetings/new", "/meetings/{meeting_id}/details"])
@pytest.mark.parametrize("missing", ["date", "start_time", "end_time"])
def test_a_meeting_form_without_its_date_or_times_says_so_next_to_the_field(world, path, missing):
    before = database_text()
    form = {"title": "Form", "date": factories.future_day().isoformat(), "start_time": "09:00",
            "end_time": "10:00", "timezone": "Asia/Shanghai", "csrf_token": world["csrf"]}
    del form[missing]
    response = world["client"].post(path.format(**world["ids"]), data=form)
    assert response.status_code == 200, response.text[:300]
    assert "This cannot be empty." in response.text
    assert database_text() == before
