"""Every URL of the app, every method, walked as anonymous, as another organizer and as an admin.

Who may use each endpoint is declared on its handler (``@access(KIND)``, `meetings.core.access`,
which also enforces it); the walk reads each endpoint's kind from the app and asserts that it
answers what that kind implies. An endpoint that declares nothing fails the first test (and
``create_app`` refuses it). What anyone may reach without signing in is also listed here, by
hand (`SIGNED_OUT`): widening access by editing a declaration fails a test. The domain walks
(tests/materials/test_access.py, tests/minutes/test_access.py, tests/directory/test_person_access.py)
keep their finer checks (a link of another purpose, the approver rule's reasons, the person rule's
holders).
"""

from __future__ import annotations

import io
import re

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from meetings.accounts.models import ApiToken
from meetings.core import access
from meetings.core.access import ADMIN, APPROVER, MEETING, OWN, PERSON_CHANGE, PUBLIC
from meetings.extensions import db
from meetings.materials import services as materials
from meetings.minutes.models import ActionItem
from tests import factories
from tests.manage.conftest import sign_in
from tests.materials import samples

#: Every endpoint anyone may reach without signing in, and how (`PUBLIC`, or a link's purposes).
#: Written here by hand, not read from the app: a declaration that opens an endpoint to everyone
#: must be added here too, where a reviewer sees it.
SIGNED_OUT = {
    "static": "public", "health.healthz": "public", "health.readyz": "public", "api-docs.openapi_json": "public",
    "accounts.login": "public",
    "attendance.check_in": "link:checkin", "attendance.checkin_page": "link:checkin",
    "conferencing.join": "link:join|site", "conferencing.join_page": "link:join|site",
    "conferencing.roll_call": "link:site", "conferencing.roll_call_page": "link:site",
    "invitations.feed": "link:feed", "invitations.rsvp_answer": "link:rsvp", "invitations.rsvp_page": "link:rsvp",
    "materials_links.join_file": "link:join|site", "materials_links.rsvp_file": "link:rsvp",
    "materials_links.speaker_page": "link:rsvp", "materials_links.speaker_upload": "link:rsvp",
    "minutes_links.action_page": "link:action", "minutes_links.approve_page": "link:approve",
    "minutes_links.confirm_page": "link:confirm", "minutes_links.evidence_file": "link:action",
}


def _kinds(app) -> dict:
    """endpoint -> its declared kind; Flask's static files (declared by no one) are public."""
    return {endpoint: PUBLIC if endpoint in access.EXEMPT else access.declared(view)
            for endpoint, view in app.view_functions.items()}


def _is_api(rule) -> bool:
    # API callers are bearer tokens (401 without one); pages send them to the sign-in page.
    return rule.rule.startswith("/api/")


#: A title no other organizer may ever read.
SECRET = "Walk-secret-title-7f3a"

#: Calls that run last, in this order, so that an admin's writes do not remove what the calls
#: after them name: removals, then the meeting's end, then the session's.
LAST = (("DELETE", "remove"), ("cancel",), ("delete",), ("logout",))


def _rank(rule, method) -> int:
    words = (method, rule.endpoint.split(".")[-1])
    return next((n + 1 for n, marks in enumerate(LAST)
                 if any(mark in word for mark in marks for word in words)), 0)


def _calls(app):
    """(rule, method) for every rule and method of the app, in a stable order, destructive last."""
    calls = [(rule, method) for rule in app.url_map.iter_rules()
             for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return sorted(calls, key=lambda c: (_rank(*c), c[0].rule, c[1]))


def test_every_endpoint_declares_who_may_use_it(app):
    missing = access.undeclared(app)
    assert not missing, "\n".join(missing)
    assert all(isinstance(kind, access.Kind) for kind in _kinds(app).values())
    assert set(_kinds(app)) == {rule.endpoint for rule in app.url_map.iter_rules()}


def test_what_is_reached_without_signing_in_is_exactly_the_list(app):
    declared = {endpoint: str(kind) for endpoint, kind in _kinds(app).items() if kind.signed_out}
    assert declared == SIGNED_OUT, ("Reachable without signing in, declared but not listed: "
                                    f"{sorted(set(declared.items()) - set(SIGNED_OUT.items()))}; listed but "
                                    f"not declared: {sorted(set(SIGNED_OUT.items()) - set(declared.items()))}")


def test_an_endpoint_without_a_declaration_stops_the_app(app):
    """`create_app` runs `check_declarations`: an undeclared endpoint, a meeting's kind on a URL
    that names no meeting (the app's domains registered what loads one), or a read along with an
    API token's caller on a page, is refused."""
    from meetings.scheduling.services import meeting_version_for

    bare = Flask(__name__)
    bare.add_url_rule("/open", "open", access.access(PUBLIC)(lambda: "open"))
    bare.add_url_rule("/meetings/<int:meeting_id>", "meeting", access.access(MEETING)(lambda meeting_id: ""))
    access.check_declarations(bare)
    bare.add_url_rule("/forgotten", "forgotten", lambda: "anyone")
    bare.add_url_rule("/nothing-to-load", "nothing", access.access(MEETING)(lambda: ""))
    # What the API reads with the token's caller (a meeting's version), on a page: nothing reads it.
    bare.add_url_rule("/meetings/<int:meeting_id>/version", "page_version",
                      access.access(MEETING, load=meeting_version_for)(lambda meeting_id: ""))
    with pytest.raises(RuntimeError) as refused:
        access.check_declarations(bare)
    problems = str(refused.value).splitlines()[1:]
    assert [problem.split(" ")[0] for problem in problems] == ["forgotten", "nothing", "page_version"], problems
    assert "declares no access" in problems[0] and "is meeting, but names none of" in problems[1]
    assert "loads along with an API caller, but is not on the API" in problems[2]


def test_the_development_app_starts_with_its_mailbox_declared(tmp_path, monkeypatch):
    """`make run`'s app has the development mailbox's pages too: they declare themselves, or the
    app would not start."""
    from config import TestConfig
    from meetings import create_app

    monkeypatch.delenv("MAIL_SERVER", raising=False)  # the mailbox exists only without a real server
    app = create_app(TestConfig(TESTING=False, DEBUG=True, SCHEDULER_ENABLED=False), instance_path=str(tmp_path))
    mailbox = {endpoint: kind for endpoint, kind in _kinds(app).items() if endpoint.startswith("devmail.")}
    assert mailbox and set(mailbox.values()) == {PUBLIC}, mailbox


@pytest.fixture()
def world(api):
    """Organizer A's published meeting with a site, an agenda item, an invitee, a material, and
    published minutes with an action: an id for every argument of every URL."""
    meeting = factories.meeting(api.user, title=SECRET)
    item = factories.agenda_item(meeting, title="Walk item")
    guest = factories.person("Walk Guest", email="walk.guest@example.com")
    invitation = factories.invite(meeting, guest)
    factories.publish(meeting)
    material = materials.upload(meeting, samples.pdf(), "a.pdf", title="A", user=api.user)
    db.session.commit()
    base = f"/api/meetings/{meeting.id}/minutes"
    body = {"notes": [{"agenda_item_id": item.id, "text": "noted"}], "decisions": [],
            "actions": [{"title": "Walk action", "owner_email": guest.email,
                         "due": factories.future_day(7, 1).isoformat(), "agenda_item_id": item.id}]}
    assert api.client.put(base, json=body, headers={"Authorization": f"Bearer {api.token}"}).status_code == 200
    for step, json in (("submit", None), ("approve", None), ("publish", {"audience": "invited"})):
        assert api.post(f"{base}/{step}", json=json).status_code == 200, step
    copied = api.post(f"/api/meetings/{meeting.id}/copy", json={"start": "2031-01-06T09:00"})
    assert copied.status_code in (200, 201), copied.json  # a series, for /series
    return {
        "meeting_id": meeting.id, "site_id": meeting.main_site.id, "item_id": item.id,
        "invitation_id": invitation.id, "person_id": guest.id, "material_id": material.id,
        "action_id": db.session.scalar(sa.select(ActionItem.id)),
        "token_id": db.session.scalar(sa.select(ApiToken.id).where(ApiToken.user_id == api.user.id)),
        # No such rows: whoever may reach the meeting gets a 404 for these, and no one else more.
        "evidence_id": 999999, "message_id": 999999,
        "token": "A" * 43, "step": "submit", "extension": "csv", "filename": "no-such-file.css",
    }


#: Arguments that name no row (see `world`): an admin may get a 404 for them.
FAKE = {"evidence_id", "message_id"}


def _url(rule, values) -> str:
    return re.sub(r"<(?:[a-z]+(?:\([^)]*\))?:)?([a-z_]+)>", lambda m: str(values[m.group(1)]), rule.rule)


def _csrf(client: FlaskClient, page: str) -> str:
    match = re.search(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"', client.get(page).text)
    assert match, f"no form on {page}"
    return match.group(1)


#: Bodies that pass the schemas of the writes that have required fields, so that what answers
#: another organizer is the access rule (a 422 would say nothing about it).
BODIES = {
    "attendance_api.check_in": lambda w: {"json": {"invitation_id": w["invitation_id"]}},
    "minutes.copy_meeting": lambda w: {"json": {"start": "2031-02-03T09:00"}},
    "invitations_api.revoke_links": lambda w: {"json": {"purpose": "rsvp"}},
    "materials.upload_material": lambda w: _file(),
    "materials.add_version": lambda w: _file(),
    "materials.set_due": lambda w: {"json": {"due": None}},
    "minutes.set_approver": lambda w: {"json": {"approver": "owner"}},
    "meetings.add_site": lambda w: {"json": {"name": "Walk site", "kind": "remote"}},
}


def _file():
    return {"data": {"file": (io.BytesIO(samples.pdf()), "b.pdf"), "title": "B"},
            "content_type": "multipart/form-data"}


def _api(client, method, url, token=None, endpoint=None, world=None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if method == "GET":
        return client.open(url, method=method, headers=headers)
    body = BODIES[endpoint](world) if endpoint in BODIES else {"json": {}}
    return client.open(url, method=method, headers=headers, **body)


def _page(client, method, url, csrf):
    if method == "GET":
        return client.get(url)
    # A valid CSRF token, so that what answers is the access rule, not the form's protection.
    return client.open(url, method=method, data={"csrf_token": csrf}, headers={"X-CSRFToken": csrf})


def _to_login(response) -> bool:
    return response.status_code == 401 or (
        response.status_code == 302 and "/login" in response.headers.get("Location", ""))


def test_anonymous_callers_get_nothing(app, world):
    client = app.test_client()
    csrf = _csrf(client, "/login")
    kinds = _kinds(app)
    faults = []
    for rule, method in _calls(app):
        kind, url = kinds[rule.endpoint], _url(rule, world)
        if kind == PUBLIC:
            answer = client.open(url, method=method)
            ok = answer.status_code != 500 and answer.status_code not in (401, 403)  # /readyz: 503 here
        elif kind.signed_out:  # a link: this token is none
            answer = _page(client, method, url, csrf)
            ok = answer.status_code == 404
        elif _is_api(rule):
            answer = _api(client, method, url)
            ok = answer.status_code == 401
        else:
            answer = _page(client, method, url, csrf)
            ok = _to_login(answer)
        if not ok:
            faults.append((method, url, str(kind), answer.status_code))
    assert not faults, "\n".join(map(str, faults))


def test_a_pages_script_signed_out_gets_a_401_it_can_read(app, world):
    """The minutes editor's autosave, after the session ended: a 401 (the page keeps its text and
    asks to sign in again), not the sign-in page's HTML; a browser's form is sent to sign in."""
    client = app.test_client()
    csrf = _csrf(client, "/login")
    url = f"/meetings/{world['meeting_id']}/minutes/content"
    script = client.put(url, json={"notes": []}, headers={"X-CSRFToken": csrf, "Accept": "application/json"})
    assert script.status_code == 401 and script.json["error"]["status"] == 401
    form = client.post(f"/meetings/{world['meeting_id']}/publish", data={"csrf_token": csrf})
    assert form.status_code == 302 and "/login" in form.headers["Location"]


def _as(client, rule, method, url, token, world, csrf):
    if _is_api(rule):
        return _api(client, method, url, token, rule.endpoint, world)
    return _page(client, method, url, csrf)


def test_another_organizer_learns_nothing_of_a_meeting(app, world, other_api):
    client = app.test_client()
    sign_in(client, "walk.other@example.com")
    csrf = _csrf(client, "/meetings/new")
    kinds = _kinds(app)
    faults = []
    for rule, method in _calls(app):
        kind, url = kinds[rule.endpoint], _url(rule, world)
        if kind.signed_out:
            continue  # not tied to a user: the anonymous walk covers them
        answer = _as(client, rule, method, url, other_api.token, world, csrf)
        code = answer.status_code
        if kind in (MEETING, APPROVER, OWN):
            ok = code == 404  # A's meeting, action or token: as if there were none
        elif kind == ADMIN:
            ok = code == 403
        elif kind == PERSON_CHANGE and method not in ("GET", "HEAD") and "person_id" in rule.arguments:
            ok = code == 403  # the guest is on A's meeting
        elif rule.endpoint == "accounts.logout":
            ok = code == 302  # signs them out, of nothing of A's
        else:  # their own things, or the shared directory: reached, and nothing of A's meeting in it
            ok = code < 500 and code not in (401, 403, 404) and not _to_login(answer) \
                and SECRET.encode() not in answer.data
        if not ok:
            faults.append((method, url, str(kind), code))
    assert not faults, "\n".join(map(str, faults))


def test_an_admin_gets_through(app, world, admin_api):
    api_client, page_client = app.test_client(), app.test_client()
    sign_in(page_client, "walk.admin@example.com", role="admin")
    csrf = _csrf(page_client, "/meetings/new")
    kinds = _kinds(app)
    faults = []
    for rule, method in _calls(app):
        kind, url = kinds[rule.endpoint], _url(rule, world)
        if kind.signed_out:
            continue
        answer = _as(api_client if _is_api(rule) else page_client, rule, method, url, admin_api.token, world, csrf)
        code = answer.status_code
        if kind == APPROVER:
            ok = code in (403, 409)  # an approval is the named approver's, never an admin's
        else:
            ok = code < 500 and code not in (401, 403) and (
                not _to_login(answer) or rule.endpoint == "accounts.logout")
            if method == "GET" and not FAKE & set(rule.arguments):
                ok = ok and code != 404
        if not ok:
            faults.append((method, url, str(kind), code))
    assert not faults, "\n".join(map(str, faults))
