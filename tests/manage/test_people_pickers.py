"""People pickers search as someone types: pages no longer carry the directory, a search answers
with a few matches, and a person is chosen by email or by exact name."""

import re

import pytest
import sqlalchemy as sa

from meetings.core.db import utcnow
from meetings.core.forms import FORM_ERROR_STATUS
from meetings.directory.models import Person
from meetings.extensions import db
from meetings.invitations.models import Invitation
from meetings.scheduling.models import Site
from tests import factories
from tests.manage.conftest import sign_in


@pytest.fixture()
def meeting(browser):
    return factories.meeting(browser.user)


def crowd(count: int) -> None:
    now = utcnow()
    db.session.execute(sa.insert(Person), [
        {"name": f"员工{n:05d}", "email": f"staff{n}@example.com", "title": "", "timezone": "Asia/Shanghai",
         "language": "zh_Hans", "created_at": now} for n in range(count)])
    db.session.commit()


def sizes(browser, meeting) -> dict[str, int]:
    pages = ("sites", "agenda", "invitations")
    return {page: len(browser.get(f"/meetings/{meeting.id}/{page}").data) for page in pages}


def test_pages_with_pickers_do_not_grow_with_the_directory(browser, meeting):
    crowd(10)
    small = sizes(browser, meeting)
    crowd_more = 5000
    now = utcnow()
    db.session.execute(sa.insert(Person), [
        {"name": f"成员{n:05d}", "email": f"member{n}@example.com", "title": "", "timezone": "Asia/Shanghai",
         "language": "zh_Hans", "created_at": now} for n in range(crowd_more)])
    db.session.commit()
    large = sizes(browser, meeting)
    for page, size in small.items():
        assert large[page] - size < 200, (page, size, large[page])
    assert 'data-search="/people/search"' in browser.get(f"/meetings/{meeting.id}/sites").text


def test_the_search_finds_people_by_name_or_email_chinese_names_included(browser):
    crowd(30)
    factories.person("马丽娜", email="malina@example.com", unit="上海分公司")
    factories.person("Ma Lina", email="lina.ma@example.com")
    found = browser.get("/people/search?q=丽娜").json["people"]
    assert found == [{"name": "马丽娜", "email": "malina@example.com", "unit": "上海分公司"}]
    by_email = browser.get("/people/search?q=LINA.MA@").json["people"]
    assert [p["email"] for p in by_email] == ["lina.ma@example.com"]
    many = browser.get("/people/search?q=员工").json["people"]
    assert len(many) == 20  # a bounded answer, whatever the directory holds
    assert browser.get("/people/search?q=").json == {"people": []}
    assert browser.get("/people/search?q=%25").json == {"people": []}  # % is a character, not a wildcard


def test_the_search_is_for_signed_in_organizers_and_admins_only(client):
    factories.person("马丽娜", email="malina@example.com")
    anonymous = client.get("/people/search?q=马")
    assert anonymous.status_code in (302, 401) and "malina" not in anonymous.text
    admin = sign_in(client, "admin.picker@example.com", role="admin")
    assert admin.get("/people/search?q=马").json["people"][0]["email"] == "malina@example.com"


def error_of(page, field: str) -> str:
    match = re.search(rf'id="{field}-error"[^>]*>(.*?)</', page.text, re.S)
    return match.group(1) if match else page.text


def site_form(host: str, name: str = "上海会场") -> dict:
    return {"name": name, "kind": "remote", "timezone": "Asia/Shanghai", "location": "", "host_email": host,
            "provider": "", "vc_url": ""}


def test_a_site_host_typed_by_exact_name_is_that_person_or_said_to_be_ambiguous(browser, meeting):
    host = factories.person("马丽娜", email="malina@example.com")
    url = f"/meetings/{meeting.id}/sites"
    assert browser.post(url, site_form("马丽娜")).status_code == 302
    site = db.session.scalars(sa.select(Site).where(Site.name == "上海会场")).one()
    assert site.host_person_id == host.id
    factories.person("王伟", email="wang.wei.1@example.com")
    factories.person("王伟", email="wang.wei.2@example.com")
    ambiguous = browser.post(url, site_form("王伟", "北京会场"))
    assert ambiguous.status_code == FORM_ERROR_STATUS
    assert "More than one person is called 王伟" in ambiguous.text
    unknown = browser.post(url, site_form("无名氏", "广州会场"))
    assert unknown.status_code == FORM_ERROR_STATUS and "No one called 无名氏" in unknown.text


def test_an_invitee_and_a_speaker_are_chosen_by_name_or_email(browser, meeting):
    guest = factories.person("马丽娜", email="malina@example.com")
    speaker = factories.person("Pieter de Vries", email="pieter@example.nl")
    invited = browser.post(f"/meetings/{meeting.id}/invitations", {"email": "马丽娜", "role": "participant",
                                                                    "site_id": "", "tags": "", "unit": ""})
    assert invited.status_code == 302
    assert db.session.scalars(sa.select(Invitation.person_id).where(Invitation.meeting_id == meeting.id)).all() \
        == [guest.id]
    agenda = browser.post(f"/meetings/{meeting.id}/agenda", {
        "title": "Report", "kind": "report", "start_time": "", "duration_minutes": "30", "description": "",
        "speakers-0-email": "pieter de vries", "speakers-0-topic": "Numbers", "speakers-0-minutes": "20"})
    assert agenda.status_code == 302
    db.session.expire_all()
    assert db.session.scalar(sa.select(Invitation.role).where(Invitation.person_id == speaker.id)) == "speaker"
