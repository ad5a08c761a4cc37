"""The organizer's materials page: upload, replace, download, what is missing, who opened what."""

from __future__ import annotations

import html
import io
import re

from meetings.extensions import db
from meetings.materials import services
from tests import factories
from tests.manage.conftest import sign_in
from tests.materials import samples


def test_an_organizer_uploads_replaces_and_sees_what_is_missing(client):
    browser = sign_in(client, "office@example.com")
    meeting = factories.meeting(browser.user, title="Mid-year")
    speaker = factories.person("Speaker Wang", email="wang@example.com")
    item = factories.agenda_item(meeting, title="Reports", kind="speech",
                                 speakers=[{"email": speaker.email, "topic": "Shanghai", "minutes": 20}])
    path = f"/meetings/{meeting.id}/materials"
    page = browser.get(path)
    assert page.status_code == 200 and "Not uploaded yet" in page.text and "wang@example.com" in page.text
    answer = browser.post(path, data={"file": (io.BytesIO(samples.pdf(seed=b"one")), "notice.pdf"), "title": "Notice",
                                      "target": "", "audience": ["chair", "organizers"]},
                          content_type="multipart/form-data")
    assert answer.status_code < 400 and "is none of these" in answer.text  # "organizers" is not a role
    assert services.materials_of(meeting.id) == []
    answer = browser.post(path, data={"file": (io.BytesIO(samples.pdf(seed=b"one")), "notice.pdf"), "title": "Notice",
                                      "target": f"slot:{item.speaker_slots[0].id}", "audience": ["all"]},
                          content_type="multipart/form-data")
    assert answer.status_code == 302, answer.text
    page = browser.get(path).text
    assert "Notice" in page and "Not uploaded yet" not in page
    [material] = services.materials_of(meeting.id)
    answer = browser.post(f"/meetings/{meeting.id}/materials/{material.id}/replace", form_page=path,
                          data={"file": (io.BytesIO(samples.docx()), "notice.docx")},
                          content_type="multipart/form-data")
    assert answer.status_code == 302
    got = browser.get(f"/meetings/{meeting.id}/materials/{material.id}/file?version=1")
    assert got.data.startswith(b"%PDF-1.7\none")
    archive = browser.get(f"/meetings/{meeting.id}/materials.zip")
    assert archive.mimetype == "application/zip" and b"01 Notice.docx" in archive.data
    page = browser.get(path).text
    assert "notice.docx" in page and "office@example.com" in page  # the access log


def test_a_bad_file_on_the_page_is_a_message_next_to_the_field(client):
    browser = sign_in(client, "office@example.com")
    meeting = factories.meeting(browser.user)
    answer = browser.post(f"/meetings/{meeting.id}/materials",
                          data={"file": (io.BytesIO(b"#!/bin/sh\nrm -rf /\n"), "run.pdf"), "title": "x"},
                          content_type="multipart/form-data")
    assert answer.status_code < 500 and "not accepted" in answer.text
    assert services.materials_of(meeting.id) == []


def test_another_organizer_and_anonymous_get_nothing(client):
    owner = sign_in(client, "office@example.com")
    meeting = factories.meeting(owner.user)
    material = services.upload(meeting, samples.pdf(), "a.pdf", title="A", user=owner.user)
    db.session.commit()
    client.post("/logout", data={"csrf_token": owner.token("/")})
    for url in (f"/meetings/{meeting.id}/materials", f"/meetings/{meeting.id}/materials/{material.id}/file"):
        assert client.get(url).status_code in (302, 401)
    other = sign_in(client, "other@example.com")
    for url in (f"/meetings/{meeting.id}/materials", f"/meetings/{meeting.id}/materials/{material.id}/file"):
        assert other.get(url).status_code == 404
    answer = other.post(f"/meetings/{meeting.id}/materials/{material.id}/replace", form_page="/meetings/new",
                        data={"file": (io.BytesIO(samples.pdf()), "b.pdf")}, content_type="multipart/form-data")
    assert answer.status_code == 404


def test_the_upload_form_checks_its_csrf_token(client):
    browser = sign_in(client, "office@example.com")
    meeting = factories.meeting(browser.user)
    answer = client.post(f"/meetings/{meeting.id}/materials",
                         data={"file": (io.BytesIO(samples.pdf()), "a.pdf"), "title": "No token"},
                         content_type="multipart/form-data")
    assert answer.status_code != 302 and services.materials_of(meeting.id) == []


def test_the_organizer_sets_the_due_date_on_the_page(client):
    browser = sign_in(client, "office@example.com")
    meeting = factories.meeting(browser.user)
    path = f"/meetings/{meeting.id}/materials"
    answer = browser.post(f"/meetings/{meeting.id}/materials/due", form_page=path,
                          data={"due": f"{meeting.start_at.date()}T08:00"})
    assert answer.status_code == 302
    db.session.expire_all()
    assert services.due_at(meeting).isoformat().endswith("00:00:00+00:00")  # 08:00 in Shanghai
    assert 'value="' + f"{meeting.start_at.date()}T08:00" + '"' in browser.get(path).text


def test_who_opened_what_says_how_in_the_readers_words(client):
    browser = sign_in(client, "office@example.com")
    meeting = factories.meeting(browser.user)
    material = services.upload(meeting, samples.pdf(), "a.pdf", title="Notice", user=browser.user)
    db.session.commit()
    assert browser.get(f"/meetings/{meeting.id}/materials/{material.id}/file").status_code == 200
    assert browser.get(f"/meetings/{meeting.id}/materials.zip").status_code == 200
    path = f"/meetings/{meeting.id}/materials"

    def how(headers=None) -> list[str]:
        log = re.search(r'<table class="list" id="accesses">.*?</table>', browser.get(path, headers=headers).text, re.S)
        assert log is not None
        return [html.unescape(cells[-1]) for cells in
                (re.findall(r"<td>(.*?)</td>", row) for row in re.findall(r"<tr>(.*?)</tr>", log.group(0), re.S))
                if cells]

    assert sorted(how()) == ["downloaded through the ZIP of all materials", "downloaded through the organizer's page"]
    assert sorted(how({"Accept-Language": "zh-CN"})) == ["通过全部材料压缩包下载", "通过组织者页面下载"]
