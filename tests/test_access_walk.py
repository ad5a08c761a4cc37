"""Every URL of the app, every method, walked as anonymous, as another organizer and as an admin.

Who may use each endpoint is declared once, in `ACCESS` below; the walk asserts that each one
answers exactly that. An endpoint missing from `ACCESS` fails the first test: a new URL must say
who may use it before it ships. The domain walks (tests/materials/test_access.py,
tests/minutes/test_access.py, tests/directory/test_person_access.py) keep their finer checks
(a link of another purpose, the approver rule's reasons, the person rule's holders).
"""

from __future__ import annotations

import io
import re

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from meetings.accounts.models import ApiToken
from meetings.extensions import db
from meetings.materials import services as materials
from meetings.minutes.models import ActionItem
from tests import factories
from tests.manage.conftest import sign_in
from tests.materials import samples

# Kinds of access. API ones answer 401 to a caller without a token; page ones send anyone not
# signed in to the sign-in page.
PUBLIC = "public"          # anyone
LINK = "link"              # whoever holds a live link: a wrong token is a 404
API_MEETING = "api:meeting"    # the meeting's organizers and admins; others get a 404 (no ids learnt)
API_APPROVER = "api:approver"  # as API_MEETING, but never the admin's (only the named approver)
API_CALLER = "api:caller"      # any signed-in user, about their own things (no one else's shown)
API_PERSON_READ = "api:person-read"  # any organizer: the directory is shared
API_PERSON_CHANGE = "api:person-change"  # `person_access` CHANGE: 403 for a person on others' meetings
API_ADMIN = "api:admin"
PAGE_MEETING = "page:meeting"
PAGE_CALLER = "page:caller"
PAGE_PERSON = "page:person"    # GET: the shared directory; POST: `person_access` CHANGE
PAGE_ADMIN = "page:admin"

#: endpoint -> who may use it. The one table of the whole app.
ACCESS = {
    "static": PUBLIC, "health.healthz": PUBLIC, "health.readyz": PUBLIC, "api-docs.openapi_json": PUBLIC,
    "accounts.login": PUBLIC,
    # accounts
    "account_api.audit_log": API_ADMIN, "account_api.issue_token": API_CALLER,
    "account_api.list_tokens": API_CALLER, "account_api.revoke_token": API_MEETING,  # one's own token
    "accounts.audit_page": PAGE_ADMIN, "accounts.change_language": PAGE_CALLER,
    "accounts.change_password": PAGE_CALLER, "accounts.logout": PAGE_CALLER, "accounts.tokens": PAGE_CALLER,
    # attendance
    "attendance.check_in": LINK, "attendance.checkin_page": LINK,
    "attendance_api.attendance_csv": API_MEETING, "attendance_api.attendance_xlsx": API_MEETING,
    "attendance_api.check_in": API_MEETING,
    # conferencing
    "conferencing.join": LINK, "conferencing.join_page": LINK, "conferencing.roll_call": LINK,
    "conferencing.roll_call_page": LINK,
    "conferencing_api.rotate_site_link": API_MEETING, "conferencing_api.site_link": API_MEETING,
    # directory
    "directory.import_people": PAGE_CALLER, "directory.people": PAGE_CALLER,
    "directory.search_people": PAGE_CALLER, "directory.person": PAGE_PERSON,
    "people.create_person": API_CALLER, "people.import_people": API_CALLER, "people.list_people": API_CALLER,
    "people.get_person": API_PERSON_READ, "people.update_person": API_PERSON_CHANGE,
    "people.remove_person": API_PERSON_CHANGE,
    # invitations
    "invitations.feed": LINK, "invitations.rsvp_answer": LINK, "invitations.rsvp_page": LINK,
    "invitations_api.calendar_reply": API_CALLER, "invitations_api.invite": API_MEETING,
    "invitations_api.issued_links": API_MEETING, "invitations_api.list_invitations": API_MEETING,
    "invitations_api.meeting_calendar": API_MEETING, "invitations_api.remove_invitation": API_MEETING,
    "invitations_api.revoke_links": API_MEETING, "invitations_api.unapplied_replies": API_MEETING,
    "invitations_api.update_invitation": API_MEETING,
    # manage (the organizer's pages)
    "manage.dashboard": PAGE_CALLER, "manage.new_meeting": PAGE_CALLER,
    **{f"manage.{name}": PAGE_MEETING for name in (
        "agenda", "attendance", "board", "board_counts_json", "bulk_change", "cancel", "change_invitation",
        "delete", "details", "edit_item", "edit_site", "export_attendance", "invitations", "issued_links",
        "manual_check_in",
        "material_file", "materials", "materials_due", "materials_zip", "meeting_page", "move_item", "preview",
        "publish", "reminders", "remove_item", "remove_site", "replace_material", "resend", "retry_email",
        "sites")},
    # materials
    **{f"materials.{name}": API_MEETING for name in (
        "add_version", "change_material", "get_file", "get_zip", "list_accesses", "list_materials", "set_due",
        "upload_material")},
    **{f"materials_links.{name}": LINK for name in ("join_file", "rsvp_file", "speaker_page", "speaker_upload")},
    # scheduling
    "meetings.create_meeting": API_CALLER, "meetings.list_meetings": API_CALLER,
    **{f"meetings.{name}": API_MEETING for name in (
        "add_agenda_item", "add_site", "cancel_meeting", "delete_meeting", "get_meeting", "list_agenda",
        "list_sites", "publish_meeting", "remove_agenda_item", "remove_site", "update_agenda_item",
        "update_meeting", "update_site")},
    # minutes
    **{f"minutes.{name}": API_MEETING for name in (
        "copy_meeting", "get_minutes", "get_series", "patch_action", "publish_minutes", "put_minutes",
        "reopen_minutes", "set_approver", "submit_minutes")},
    "minutes.approve_minutes": API_APPROVER, "minutes.list_actions": API_CALLER,
    **{f"minutes_links.{name}": LINK for name in ("action_page", "approve_page", "confirm_page", "evidence_file")},
    "minutes_pages.actions_page": PAGE_CALLER, "minutes_pages.actions_xlsx": PAGE_CALLER,
    **{f"minutes_pages.{name}": PAGE_MEETING for name in (
        "action_decision", "autosave", "copy", "docx", "editor", "evidence_file", "print_page", "step")},
    # notifications
    "notifications_api.list_notifications": API_MEETING,
    **dict.fromkeys(("minutes_pages.revisions", "manage.series"), PAGE_MEETING),
}

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
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    undeclared = endpoints - set(ACCESS)
    assert not undeclared, (f"No declared access for {sorted(undeclared)}: add each to ACCESS in "
                            "tests/test_access_walk.py (who may use it), then the walk checks it.")
    assert not set(ACCESS) - endpoints, f"ACCESS names endpoints that are gone: {sorted(set(ACCESS) - endpoints)}"


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
    faults = []
    for rule, method in _calls(app):
        kind, url = ACCESS[rule.endpoint], _url(rule, world)
        if kind.startswith("api:"):
            answer = _api(client, method, url)
            ok = answer.status_code == 401
        elif kind.startswith("page:"):
            answer = _page(client, method, url, csrf)
            ok = _to_login(answer)
        elif kind == LINK:
            answer = _page(client, method, url, csrf)
            ok = answer.status_code == 404
        else:
            answer = client.open(url, method=method)
            ok = answer.status_code != 500 and answer.status_code not in (401, 403)  # /readyz: 503 here
        if not ok:
            faults.append((method, url, kind, answer.status_code))
    assert not faults, "\n".join(map(str, faults))


def test_another_organizer_learns_nothing_of_a_meeting(app, world, other_api):
    client = app.test_client()
    sign_in(client, "walk.other@example.com")
    csrf = _csrf(client, "/meetings/new")
    faults = []
    for rule, method in _calls(app):
        kind, url = ACCESS[rule.endpoint], _url(rule, world)
        if kind in (PUBLIC, LINK):
            continue  # not tied to a user: the anonymous walk covers them
        if kind.startswith("api:"):
            answer = _api(client, method, url, other_api.token, rule.endpoint, world)
        else:
            answer = _page(client, method, url, csrf)
        code = answer.status_code
        if kind in (API_MEETING, API_APPROVER, PAGE_MEETING):
            ok = code in (403, 404)
        elif kind in (API_ADMIN, PAGE_ADMIN):
            ok = code == 403
        elif kind == API_PERSON_CHANGE or (kind == PAGE_PERSON and method == "POST" and "person_id" in rule.arguments):
            ok = code == 403  # the guest is on A's meeting
        elif rule.endpoint == "accounts.logout":
            ok = code == 302  # signs them out, of nothing of A's
        else:  # their own things, or the shared directory: reached, and nothing of A's meeting in it
            ok = code < 500 and code not in (401, 403, 404) and not _to_login(answer) \
                and SECRET.encode() not in answer.data
        if not ok:
            faults.append((method, url, kind, code))
    assert not faults, "\n".join(map(str, faults))


def test_an_admin_gets_through(app, world, admin_api):
    api_client, page_client = app.test_client(), app.test_client()
    sign_in(page_client, "walk.admin@example.com", role="admin")
    csrf = _csrf(page_client, "/meetings/new")
    faults = []
    for rule, method in _calls(app):
        kind, url = ACCESS[rule.endpoint], _url(rule, world)
        if kind in (PUBLIC, LINK):
            continue
        if kind.startswith("api:"):
            answer = _api(api_client, method, url, admin_api.token, rule.endpoint, world)
        else:
            answer = _page(page_client, method, url, csrf)
        code = answer.status_code
        if kind == API_APPROVER:
            ok = code in (403, 409)  # an approval is the named approver's, never an admin's
        else:
            ok = code < 500 and code not in (401, 403) and (
                not _to_login(answer) or rule.endpoint == "accounts.logout")
            if method == "GET" and not FAKE & set(rule.arguments):
                ok = ok and code != 404
        if not ok:
            faults.append((method, url, kind, code))
    assert not faults, "\n".join(map(str, faults))


def test_the_minutes_domains_own_declarations_agree():
    """The minutes modules declare access next to their handlers (`ACCESS` in each): those words
    must say what this table says, or one of the two is wrong."""
    from meetings.minutes import api, linkviews, views

    words = {"meeting": (API_MEETING, PAGE_MEETING), "owner": (API_MEETING,), "approver": (API_APPROVER,),
             "caller": (API_CALLER,), "signed_in": (PAGE_CALLER,)}
    for endpoint, word in {**api.ACCESS, **views.ACCESS, **linkviews.ACCESS}.items():
        expected = (LINK,) if word.startswith("link:") else words[word]
        assert ACCESS[endpoint] in expected, (endpoint, word, ACCESS[endpoint])
