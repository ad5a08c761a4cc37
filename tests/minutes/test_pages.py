"""The secretary's pages: the editor and its autosave, the steps, the printable page, the DOCX,
the actions across meetings and their XLSX."""

import io
import re
import zipfile

import openpyxl

from tests.minutes.conftest import content
from tests.test_pages import login


def _sign_in(client, api):
    assert login(client, api.user.email, "correct horse battery").status_code == 302


def _csrf(page_text):
    return re.search(r'data-csrf="([^"]+)"', page_text).group(1)


def test_the_editor_autosaves_and_refuses_without_a_session(held, api, client):
    path = f"/meetings/{held.meeting.id}/minutes"
    assert client.put(path + "/content", json=content(held)).status_code in (400, 401)
    _sign_in(client, api)
    page = client.get(path, headers={"Accept-Language": "zh-CN"})
    assert page.status_code == 200 and "会议纪要" in page.text or "纪要" in page.text
    assert "Half-year report" in page.text and 'id="note-general"' in page.text
    token = _csrf(page.text)
    saved = client.put(path + "/content", json=content(held), headers={"X-CSRFToken": token, "Accept": "application/json"})
    assert saved.status_code == 200 and saved.json["notes"][0]["text"].startswith("Revenue")
    bad = client.put(path + "/content", json=content(held, due="1999-01-01"), headers={"X-CSRFToken": token, "Accept": "application/json"})
    assert bad.status_code == 422 and "actions.0.due" in bad.json["error"]["fields"]
    assert client.put(path + "/content", json=content(held)).status_code == 400  # no CSRF token
    client.post("/logout", data={"csrf_token": token})
    expired = client.put(path + "/content", json=content(held), headers={"X-CSRFToken": token, "Accept": "application/json"})
    assert expired.status_code in (400, 401) and expired.is_json  # the page keeps its local copy


def _step(client, held, step, **data):
    page = client.get(f"/meetings/{held.meeting.id}/minutes")
    return client.post(f"/meetings/{held.meeting.id}/minutes/{step}", data={"csrf_token": _csrf(page.text), **data})


def test_the_steps_print_and_docx(held, api, client, smtp):
    _sign_in(client, api)
    path = f"/meetings/{held.meeting.id}/minutes"
    token = _csrf(client.get(path).text)
    client.put(path + "/content", json=content(held), headers={"X-CSRFToken": token, "Accept": "application/json"})
    assert _step(client, held, "submit").status_code == 303
    assert 'id="approve-minutes"' in client.get(path).text
    assert _step(client, held, "approve").status_code == 303
    assert _step(client, held, "publish", audience="invited").status_code == 303
    page = client.get(path).text
    assert "version 1" in page and 'id="reopen-minutes"' in page
    printed = client.get(path + "/print", headers={"Accept-Language": "zh-CN"})
    assert printed.status_code == 200 and "minutes-print.css" in printed.text
    assert "<strong>up</strong>" in printed.text and "<li>Rotterdam on target</li>" in printed.text
    assert "Close the old line by Q4." in printed.text and "Chair Wang" in printed.text
    docx = client.get(f"/meetings/{held.meeting.id}/minutes.docx")
    assert docx.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(docx.data))
    assert {"[Content_Types].xml", "_rels/.rels", "word/document.xml"} <= set(archive.namelist())
    document = archive.read("word/document.xml").decode()
    from xml.dom.minidom import parseString

    parseString(document)  # well-formed
    assert "Close the old line by Q4." in document and "Plan for the old line" in document


def test_the_actions_page_and_its_xlsx(held, api, client):
    base = f"/api/meetings/{held.meeting.id}/minutes"
    api.client.put(base, json=content(held), headers={"Authorization": f"Bearer {api.token}"})
    api.post(base + "/submit")
    api.post(base + "/approve")
    api.post(base + "/publish", json={"audience": "invited"})
    _sign_in(client, api)
    page = client.get("/actions?status=open")
    assert page.status_code == 200 and "Plan for the old line" in page.text and "Alice" in page.text
    assert "Plan for the old line" not in client.get("/actions?status=done").text
    sheet = openpyxl.load_workbook(io.BytesIO(client.get("/actions.xlsx?status=open").data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("Meeting", "Action", "Owner") and rows[1][1] == "Plan for the old line"
    action_id = api.get("/api/actions").json[0]["id"]
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    done = client.post(f"/actions/{action_id}", data={"csrf_token": token, "decision": "confirm",
                                                      "back": "/actions?status=open"})
    assert done.status_code == 303 and done.headers["Location"].endswith("/actions?status=open")
    assert api.get("/api/actions").json[0]["status"] == "done"
