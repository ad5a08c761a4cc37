"""The materials API: uploads and their checks, versions, listing, files and the ZIP."""

from __future__ import annotations

import hashlib
import io
import zipfile

import pytest
import sqlalchemy as sa

from meetings.extensions import db
from meetings.materials.models import MaterialAccess, MaterialBlob, MaterialVersion
from tests.materials import samples


def post(api, meeting_id, data: bytes | None, filename="report.pdf", **form):
    body = {key: value for key, value in form.items()}
    if data is not None:
        body["file"] = (io.BytesIO(data), filename)
    return api.client.post(f"/api/meetings/{meeting_id}/materials", data=body,
                           headers={"Authorization": f"Bearer {api.token}"}, content_type="multipart/form-data")


def stored() -> tuple[int, int]:
    return (db.session.scalar(sa.select(sa.func.count()).select_from(MaterialVersion)),
            db.session.scalar(sa.select(sa.func.count()).select_from(MaterialBlob)))


def test_an_organizer_uploads_a_pdf_and_gets_its_fields(api, cast):
    data = samples.pdf(5000)
    answer = post(api, cast.meeting.id, data, "../../etc/年中报告.pdf", title="Half-year report")
    assert answer.status_code == 201, answer.json
    body = answer.json
    assert body["title"] == "Half-year report"
    assert body["filename"] == "年中报告.pdf"
    assert body["content_type"] == "application/pdf"
    assert body["size"] == 5000 and body["sha256"] == hashlib.sha256(data).hexdigest()
    assert body["version"] == 1 and body["audience"] == "all"
    got = api.get(f"/api/meetings/{cast.meeting.id}/materials/{body['id']}/file")
    assert got.status_code == 200 and got.data == data
    assert got.headers["Content-Type"] == "application/pdf"
    assert "attachment" in got.headers["Content-Disposition"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MaterialAccess)) == 1


@pytest.mark.parametrize("data, filename, field, words", [
    (b"", "empty.pdf", "file", "empty"),
    (b"MZ\x90\x00" + b"\0" * 500, "report.pdf", "file", "not accepted"),
    (samples.png(), "slides.pdf", "file", "content is PNG"),
    (samples.zip_bomb(), "report.docx", "file", "zip bomb"),
    (samples.xml_bomb(), "report.docx", "file", "DOCTYPE"),
    (b"PK\x03\x04" + b"\0" * 100, "report.docx", "file", "not accepted"),
])
def test_bad_files_are_refused_and_nothing_is_stored(api, cast, data, filename, field, words):
    answer = post(api, cast.meeting.id, data, filename, title="Bad")
    assert answer.status_code == 422, answer.json
    assert words in answer.json["error"]["fields"][field][0]
    assert stored() == (0, 0)


def test_a_file_over_the_limit_is_refused(app, api, cast):
    app.config["MATERIALS_MAX_BYTES"] = 100_000
    try:
        answer = post(api, cast.meeting.id, samples.pdf(100_001), title="Big")
        assert answer.status_code == 422 and "larger than" in answer.json["error"]["message"]
        answer = post(api, cast.meeting.id, samples.pdf(300_000), title="Bigger")
        assert answer.status_code == 413 and "larger than" in answer.json["error"]["message"]
    finally:
        app.config["MATERIALS_MAX_BYTES"] = 50 * 1024 * 1024
    assert stored() == (0, 0)


def test_a_missing_file_and_a_foreign_slot_are_422(api, cast):
    assert post(api, cast.meeting.id, None, title="x").status_code == 422
    answer = post(api, cast.meeting.id, samples.pdf(), slot_id="999999")
    assert answer.status_code == 422 and "slot_id" in answer.json["error"]["fields"]
    answer = post(api, cast.meeting.id, samples.pdf(), audience="nobody")
    assert answer.status_code == 422 and "audience" in answer.json["error"]["fields"]
    assert stored() == (0, 0)


def test_office_files_are_recognised_by_content(api, cast):
    answer = post(api, cast.meeting.id, samples.pptx(), "slides.PPTX", title="Slides")
    assert answer.status_code == 201, answer.json
    assert answer.json["content_type"].endswith("presentationml.presentation")
    assert answer.json["filename"] == "slides.pptx"


def test_a_speaker_slot_keeps_one_material_and_its_versions(api, cast):
    first = post(api, cast.meeting.id, samples.pdf(seed=b"v1"), slot_id=str(cast.slot.id))
    assert first.status_code == 201 and first.json["title"] == "Shanghai branch"
    second = post(api, cast.meeting.id, samples.docx(), "v2.docx", slot_id=str(cast.slot.id))
    assert second.status_code == 201
    assert second.json["id"] == first.json["id"] and second.json["version"] == 2
    assert [v["version"] for v in second.json["versions"]] == [1, 2]
    old = api.get(f"/api/meetings/{cast.meeting.id}/materials/{first.json['id']}/file?version=1")
    assert old.data.startswith(b"%PDF-1.7\nv1")


def test_the_list_shows_versions_and_who_has_not_uploaded(api, cast):
    listed = api.get(f"/api/meetings/{cast.meeting.id}/materials").json
    assert listed["materials"] == []
    assert [m["email"] for m in listed["missing"]] == ["wang@example.com"]
    post(api, cast.meeting.id, samples.pdf(), slot_id=str(cast.slot.id))
    listed = api.get(f"/api/meetings/{cast.meeting.id}/materials").json
    assert listed["missing"] == [] and len(listed["materials"]) == 1
    assert listed["materials"][0]["versions"][0]["uploaded_by"] == "organizer"


def test_another_organizer_gets_404s(api, other_api, cast):
    material = post(api, cast.meeting.id, samples.pdf(), title="x").json
    for url in (f"/api/meetings/{cast.meeting.id}/materials",
                f"/api/meetings/{cast.meeting.id}/materials/{material['id']}/file",
                f"/api/meetings/{cast.meeting.id}/materials.zip",
                f"/api/meetings/{cast.meeting.id}/materials/accesses"):
        assert other_api.get(url).status_code == 404, url
    assert post(other_api, cast.meeting.id, samples.pdf(), title="y").status_code == 404


def test_the_zip_holds_every_file_in_agenda_order(api, cast):
    from tests import factories

    later = factories.agenda_item(cast.meeting, title="Outlook", minutes=30)
    post(api, cast.meeting.id, samples.pdf(seed=b"later"), title="Outlook slides", agenda_item_id=str(later.id))
    post(api, cast.meeting.id, samples.pdf(seed=b"speaker"), slot_id=str(cast.slot.id))
    post(api, cast.meeting.id, samples.png(), "notice.png", title="Notice")
    answer = api.get(f"/api/meetings/{cast.meeting.id}/materials.zip")
    assert answer.status_code == 200 and answer.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(answer.data))
    assert archive.testzip() is None
    assert archive.namelist() == ["01 Notice.png", "02 Shanghai branch.pdf", "03 Outlook slides.pdf"]
    assert archive.read("03 Outlook slides.pdf").startswith(b"%PDF-1.7\nlater")
    log = api.get(f"/api/meetings/{cast.meeting.id}/materials/accesses").json
    assert len(log) == 3 and {entry["via"] for entry in log} == {"zip"}
    assert log[0]["who"] == api.user.email


def test_the_audience_takes_roles_and_sites_repeated_comma_separated_or_as_json(api, cast):
    for audience in (["chair", str(cast.remote.id)], f"chair,{cast.remote.id}", f'["chair", {cast.remote.id}]'):
        answer = post(api, cast.meeting.id, samples.pdf(), title="Chairs and Rotterdam", audience=audience)
        assert answer.status_code == 201, answer.json
        assert answer.json["audience"] == ["chair", cast.remote.id]
    assert post(api, cast.meeting.id, samples.pdf(), audience="[chair").status_code == 422


def test_an_organizer_changes_the_audience_and_confidentiality(client, api, cast):
    material = post(api, cast.meeting.id, samples.pdf(), title="Plan").json
    url = f"/api/meetings/{cast.meeting.id}/materials/{material['id']}"
    answer = api.patch(url, json={"audience": ["chair"], "confidential": True, "title": "Plan (draft)"})
    assert answer.status_code == 200, answer.json
    assert answer.json["audience"] == ["chair"] and answer.json["confidential"] and answer.json["title"] == "Plan (draft)"
    assert "Plan (draft)" not in client.get(f"/rsvp/{cast.rsvp_token(cast.participant)}").text
    assert "Plan (draft)" in client.get(f"/rsvp/{cast.rsvp_token(cast.chair)}").text
    assert api.patch(url, json={"audience": "everyone"}).status_code == 422
    assert api.patch(url, json={"title": ""}).status_code == 422
