"""A body past MAX_CONTENT_LENGTH is a 413: the API says so in its error format, the import page
shows its form again with the reason."""

import io

from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from meetings.directory.models import Person
from meetings.extensions import db
from tests.manage.conftest import sign_in

TOO_LARGE = b"name,email\n" + b"x" * (10 * 1024 * 1024)


def multipart(fields: dict) -> dict:
    """A multipart body built whole in memory (the test client spools a large one to a temporary
    file it leaves open when the app refuses to read it)."""
    boundary, body = encode_multipart(fields)
    return {"data": body, "content_type": f"multipart/form-data; boundary={boundary}"}


def test_max_content_length_is_set(app):
    assert app.config["MAX_CONTENT_LENGTH"] == 10 * 1024 * 1024


def test_a_roster_over_the_limit_is_a_413_in_the_apis_format(api):
    response = api.post("/api/people/import", data=TOO_LARGE, headers={"Content-Type": "text/csv"})
    assert response.status_code == 413
    assert response.json["error"]["status"] == 413 and "10 MB" in response.json["error"]["message"]
    upload = api.client.post("/api/people/import", headers={"Authorization": f"Bearer {api.token}"},
                             **multipart({"file": FileStorage(io.BytesIO(TOO_LARGE), "roster.csv")}))
    assert upload.status_code == 413 and upload.json["error"]["status"] == 413


def test_a_roster_over_the_limit_shows_the_import_form_with_the_reason(client):
    browser = sign_in(client, "size.ui@example.com")
    fields = {"file": FileStorage(io.BytesIO(TOO_LARGE), "roster.csv"), "csrf_token": browser.token("/people/import")}
    response = client.post("/people/import", **multipart(fields))
    assert response.status_code == 413
    assert "The file is too large: at most 10 MB." in response.text
    assert 'type="file"' in response.text and 'name="csrf_token"' in response.text
    db.session.expire_all()
    assert db.session.query(Person).count() == 0


def test_another_page_over_the_limit_is_the_error_page(client):
    browser = sign_in(client, "size.ui@example.com")
    response = browser.post("/meetings/new", {"title": "x" * (10 * 1024 * 1024)})
    assert response.status_code == 413 and "too large" in response.text
