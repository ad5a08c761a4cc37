"""The directory pages: search and filters, a person's entry, and roster import with a preview."""

import io

from meetings.directory.models import Person
from meetings.extensions import db
from tests import factories
from tests.manage.conftest import sign_in


def test_people_are_searched_and_filtered(client):
    browser = sign_in(client, "people.ui@example.com")
    factories.person("王伟", email="wang.wei@example.com", unit="Beijing branch", tags=["site-host"])
    factories.person("Emma Visser", email="emma@example.nl", unit="Rotterdam plant")
    assert "王伟" in browser.get("/people?q=wang").text
    by_unit = browser.get("/people?unit=Rotterdam+plant").text
    assert "Emma Visser" in by_unit and "王伟" not in by_unit
    by_tag = browser.get("/people?tag=site-host").text
    assert "王伟" in by_tag and "Emma Visser" not in by_tag


def test_a_persons_tags_are_edited_with_the_services_rules(client):
    browser = sign_in(client, "people.ui@example.com")
    person = factories.person("Emma Visser", email="emma@example.nl")
    url = f"/people/{person.id}"
    form = {"name": "Emma Visser", "email": "emma@example.nl", "unit": "Rotterdam plant", "title": "Controller",
            "tags": "finance, vice-director-and-above", "timezone": "Europe/Amsterdam", "language": "en"}
    assert browser.post(url, form).status_code == 302
    db.session.expire_all()
    assert db.session.get(Person, person.id).tags == ["finance", "vice-director-and-above"]
    bad = browser.post(url, dict(form, tags="Not A Tag!", timezone="Mars/Base"))
    assert bad.status_code == 200
    assert "is not a valid tag" in bad.text  # the services stop at the first rule broken
    assert "IANA" in browser.post(url, dict(form, timezone="Mars/Base")).text


def test_a_roster_is_previewed_then_imported_all_or_nothing(client):
    browser = sign_in(client, "people.ui@example.com")
    good = "name,email,unit,tags\n李明,li.ming@example.com,HQ,vice-director-and-above\nAnna,anna@example.com,HQ,\n"
    preview = browser.post("/people/import", {"file": (io.BytesIO(good.encode("utf-8-sig")), "roster.csv")},
                           content_type="multipart/form-data")
    assert preview.status_code == 200 and "2 to add, 0 to update" in preview.text
    assert db.session.query(Person).count() == 0
    upload = __import__("re").search(r'name="upload" type="hidden" value="([^"]+)"', preview.text).group(1)
    done = browser.post("/people/import", {"upload": upload, "filename": "roster.csv"}, form_page="/people/import",
                        follow_redirects=True)
    assert "Imported: 2 added, 0 updated" in done.text
    assert db.session.query(Person).count() == 2
    bad = "name,email\nOk,ok@example.com\nBroken,not-an-email\n"
    refused = browser.post("/people/import", {"file": (io.BytesIO(bad.encode()), "roster.csv")},
                           content_type="multipart/form-data")
    assert refused.status_code == 200 and "row 3" in refused.text and "nothing can be imported" in refused.text
    assert db.session.query(Person).count() == 2
