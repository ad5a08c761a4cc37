"""Every URL of materials, walked as anonymous, as another organizer, with a wrong link and for a
missing object: each answers as its declared access says. A new URL without an entry here fails."""

from __future__ import annotations

import io

import pytest

from meetings.extensions import db
from meetings.materials import services
from tests.materials import samples

#: endpoint -> (how it is reached, who may): "api" organizers of the meeting by token; "page"
#: organizers of the meeting signed in; "rsvp"/"join": the holder of a live link of the meeting.
ACCESS = {
    "materials.upload_material": ("api", "POST"),
    "materials.add_version": ("api", "POST"),
    "materials.list_materials": ("api", "GET"),
    "materials.get_file": ("api", "GET"),
    "materials.get_zip": ("api", "GET"),
    "materials.list_accesses": ("api", "GET"),
    "materials.set_due": ("api", "PUT"),
    "materials.change_material": ("api", "PATCH"),
    "manage.materials": ("page", "GET"),
    "manage.replace_material": ("page", "POST"),
    "manage.material_file": ("page", "GET"),
    "manage.materials_zip": ("page", "GET"),
    "manage.materials_due": ("page", "POST"),
    "materials_links.speaker_page": ("rsvp", "GET"),
    "materials_links.speaker_upload": ("rsvp", "POST"),
    "materials_links.rsvp_file": ("rsvp", "GET"),
    "materials_links.join_file": ("join", "GET"),
}


def _rules(app):
    return {rule.endpoint: rule for rule in app.url_map.iter_rules()
            if rule.endpoint.startswith(("materials.", "materials_links.")) or "material" in rule.endpoint}


def test_every_materials_url_has_declared_access(app):
    assert set(_rules(app)) == set(ACCESS)


@pytest.fixture()
def material(api, cast):
    made = services.upload(cast.meeting, samples.pdf(), "a.pdf", title="A", user=api.user)
    db.session.commit()
    return made


def _url(app, endpoint, **values):
    rule = _rules(app)[endpoint]
    with app.test_request_context():
        from flask import url_for

        return url_for(endpoint, **{k: v for k, v in values.items() if k in rule.arguments})


@pytest.mark.parametrize("endpoint", sorted(ACCESS))
def test_outsiders_get_nothing(app, client, other_api, cast, material, endpoint):
    kind, method = ACCESS[endpoint]
    values = {"meeting_id": cast.meeting.id, "material_id": material.id, "token": "x" * 43}
    url = _url(app, endpoint, **values)
    open_ = {"GET": client.get, "POST": client.post, "PUT": client.put, "PATCH": client.patch}[method]
    if kind == "api":
        assert open_(url).status_code == 401  # anonymous
        def as_other(target):
            if method == "GET":
                return other_api.get(target)
            if method == "PUT":
                return other_api.client.put(target, json={"due": None},
                                            headers={"Authorization": f"Bearer {other_api.token}"})
            if method == "PATCH":
                return other_api.patch(target, json={"confidential": True})
            return other_api.post(target, data={"file": (io.BytesIO(samples.pdf()), "b.pdf"), "title": "B"},
                                  content_type="multipart/form-data")

        assert as_other(url).status_code == 404  # another organizer: no such meeting for them
        assert as_other(_url(app, endpoint, **{**values, "meeting_id": 999999})).status_code == 404
    elif kind == "page":
        # To the sign-in page (a POST without a CSRF token is refused before that: 400).
        assert open_(url).status_code in ((302, 401) if method == "GET" else (302, 400, 401))
        from tests.manage.conftest import sign_in

        other = sign_in(client, "other.organizer@example.com")
        if method == "GET":
            assert other.get(url).status_code == 404
        else:
            answer = other.post(url, form_page="/meetings/new", content_type="multipart/form-data",
                                data={"file": (io.BytesIO(samples.pdf()), "b.pdf")})
            assert answer.status_code == 404
    else:
        # A wrong token, and a real link of another purpose, are 404s.
        assert open_(url).status_code == 404
        wrong = cast.site_token() if kind == "rsvp" else cast.rsvp_token(cast.participant)
        assert open_(_url(app, endpoint, **{**values, "token": wrong})).status_code == 404
    if kind in ("rsvp", "join") and "material_id" in _rules(app)[endpoint].arguments:
        token = cast.rsvp_token(cast.participant) if kind == "rsvp" else cast.site_token()
        assert client.get(_url(app, endpoint, **{**values, "token": token, "material_id": 999999})).status_code == 404
