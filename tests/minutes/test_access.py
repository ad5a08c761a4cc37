"""Every URL of the minutes walked as anonymous, as another organizer and as an admin: each one
declares who may use it (``@access``, `meetings.core.access`) and gets exactly that."""

import re

import pytest
import sqlalchemy as sa

from meetings.core.access import declared
from meetings.extensions import db
from meetings.minutes.models import ActionItem
from tests.minutes.conftest import content
from tests.test_pages import login

PREFIXES = ("minutes.", "minutes_pages.", "minutes_links.")


def _rules(app):
    return [(rule, method) for rule in app.url_map.iter_rules() if rule.endpoint.startswith(PREFIXES)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]


def _declared(app) -> dict[str, str]:
    """endpoint -> its declared kind (``meeting``, ``approver``, ``caller``, ``link:PURPOSE``)."""
    return {rule.endpoint: str(declared(app.view_functions[rule.endpoint])) for rule, _ in _rules(app)}


def test_every_handler_declares_its_access(app):
    kinds = _declared(app)
    assert "None" not in kinds.values(), kinds
    assert kinds["minutes.approve_minutes"] == "approver" and kinds["minutes.list_actions"] == "caller"
    assert {kinds[name] for name in ("minutes_links.approve_page", "minutes_links.action_page",
                                     "minutes_links.confirm_page")} == {"link:approve", "link:action", "link:confirm"}


@pytest.fixture()
def published(held, api):
    base = f"/api/meetings/{held.meeting.id}/minutes"
    api.client.put(base, json=content(held), headers={"Authorization": f"Bearer {api.token}"})
    api.post(base + "/submit")
    api.post(base + "/approve")
    api.post(base + "/publish", json={"audience": "invited"})
    return held, db.session.scalar(sa.select(ActionItem.id))


def _url(rule, meeting_id, action_id):
    values = {"meeting_id": meeting_id, "action_id": action_id, "token": "A" * 43, "step": "submit", "evidence_id": 1}
    return re.sub(r"<(?:[a-z]+(?:\([^)]*\))?:)?([a-z_]+)>", lambda m: str(values[m.group(1)]), rule.rule)


#: Bodies that pass the schemas, so that what answers is the access rule.
BODIES = {"approver": {"approver": "owner"}, "copy": {"start": "2031-01-06T09:00"}}


def _call(client, method, url, headers=None):
    body = next((b for tail, b in BODIES.items() if url.endswith("/" + tail)), {})
    return client.open(url, method=method, headers=headers or {}, json=body if method in ("PUT", "POST", "PATCH") else None)


def test_anonymous_callers_get_nothing(app, client, published):
    held, action_id = published
    DECLARED = _declared(app)
    for rule, method in _rules(app):
        response = _call(client, method, _url(rule, held.meeting.id, action_id))
        kind = DECLARED[rule.endpoint]
        if rule.endpoint.startswith("minutes."):
            assert response.status_code == 401, (rule.rule, method)
        elif kind.startswith("link:"):
            assert response.status_code == 404, (rule.rule, method)  # a token that is no link
        elif rule.endpoint == "minutes_pages.autosave":
            assert response.status_code in (400, 401), (rule.rule, method)  # no session: no CSRF, no user
        else:
            assert response.status_code in (302, 400), (rule.rule, method)  # to the sign-in page (or no CSRF)
            assert response.status_code == 400 or "/login" in response.headers["Location"]


def test_another_organizer_learns_nothing_and_an_admin_gets_what_is_declared(app, client, published, other_api,
                                                                            admin_api):
    held, action_id = published
    DECLARED = _declared(app)
    for rule, method in _rules(app):
        if not rule.endpoint.startswith("minutes."):
            continue
        url = _url(rule, held.meeting.id, action_id)
        kind = DECLARED[rule.endpoint]
        other = _call(client, method, url, {"Authorization": f"Bearer {other_api.token}"})
        admin = _call(client, method, url, {"Authorization": f"Bearer {admin_api.token}"})
        if kind == "caller":
            assert other.status_code == 200 and other.json == []
            assert admin.status_code == 200 and len(admin.json) == 1
        else:
            assert other.status_code == 404, (rule.rule, method, other.json)
            if kind == "approver":
                assert admin.status_code in (403, 409), (rule.rule, method)  # never the admin's to approve
            else:
                assert admin.status_code not in (401, 403, 404), (rule.rule, method, admin.json)


def test_pages_are_for_the_meetings_organizers(app, client, published):
    from meetings.accounts.services import create_user

    held, action_id = published
    create_user("someone@example.com", "organizer", "long enough password")
    db.session.commit()
    login(client, "someone@example.com", "long enough password")
    for rule, method in _rules(app):
        if not rule.endpoint.startswith("minutes_pages.") or method != "GET":
            continue
        response = client.get(_url(rule, held.meeting.id, action_id))
        if _declared(app)[rule.endpoint] == "caller":
            assert response.status_code == 200
            if response.mimetype == "text/html":
                assert "Plan for the old line" not in response.get_data(as_text=True)
            else:  # the XLSX: its header row alone
                import io

                import openpyxl

                sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
                assert sheet.max_row == 1
        else:
            assert response.status_code == 404, rule.rule
