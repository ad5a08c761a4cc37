"""The import page's two steps as deployed: the checked roster is kept in the database, not on
the disk of the host that checked it, so the confirmation may reach another app host (two app
instances here, each with an instance folder of its own, sharing only the database and the
secret key, as behind nginx). Only its uploader may import it, once, within the hour; what is
never confirmed is deleted by the scheduler's housekeeping; its size and number are bounded."""

import io
import os
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from config import TestConfig
from meetings import create_app
from meetings.accounts.services import create_user
from meetings.core.db import utcnow
from meetings.directory import uploads
from meetings.directory.models import PendingRoster, Person
from meetings.extensions import db
from meetings.outbox.scheduler import build_scheduler
from tests.conftest import Client

ROSTER = b"name,email\nAnna,anna@example.com\nBo,bo@example.com\n"
PASSWORD = "a long password"
CSRF = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')


@pytest.fixture()
def hosts(app, database_url, smtp_server, tmp_path):
    """Two app hosts: two app instances on the test database, each with its own instance folder."""
    made = []
    for name in ("host-a", "host-b"):
        host = create_app(TestConfig(SQLALCHEMY_DATABASE_URI=database_url, MAIL_SERVER="127.0.0.1",
                                     MAIL_PORT=smtp_server.port), instance_path=str(tmp_path / name))
        host.test_client_class = Client
        made.append(host)
    yield made
    for host in made:
        with host.app_context():
            db.engine.dispose()


class Browser:
    """One browser whose requests reach the hosts in turn (nginx's round robin): the same cookies
    (the session, its CSRF token) sent to whichever host answers."""

    def __init__(self, hosts, email: str, role: str = "organizer"):
        self.user = create_user(email, role, PASSWORD, name=email.split("@")[0])
        db.session.commit()
        self.clients = [host.test_client() for host in hosts]
        page = self.clients[0].get("/login")
        assert self.clients[0].post("/login", data={"email": email, "password": PASSWORD,
                                                    "csrf_token": CSRF.search(page.text).group(1)}).status_code == 302
        session = self.clients[0].get_cookie("session").value
        for client in self.clients[1:]:
            client.set_cookie("session", session)

    def post(self, host: int, data: dict, **kwargs):
        client = self.clients[host]
        token = CSRF.search(client.get("/people/import").text).group(1)
        return client.post("/people/import", data={**data, "csrf_token": token}, **kwargs)

    def check(self, host: int, content: bytes = ROSTER, name: str = "roster.csv") -> str:
        preview = self.post(host, {"file": (io.BytesIO(content), name)}, content_type="multipart/form-data")
        assert preview.status_code == 200 and "Ready: " in preview.text, preview.text
        return re.search(r'name="upload" type="hidden" value="([^"]+)"', preview.text).group(1)

    def confirm(self, host: int, upload_id: str, **kwargs):
        return self.post(host, {"upload": upload_id}, **kwargs)


def people() -> set[str]:
    db.session.expire_all()
    return set(db.session.scalars(sa.select(Person.email)))


def pending() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(PendingRoster))


def gone_text(page) -> bool:
    return page.status_code == 200 and "That upload is gone; choose the file again." in page.text


def test_a_roster_checked_on_one_host_is_imported_from_the_other(app, hosts, tmp_path):
    browser = Browser(hosts, "uploads.ui@example.com")
    upload_id = browser.check(0)
    [kept] = db.session.scalars(sa.select(PendingRoster)).all()
    assert kept.user_id == browser.user.id and kept.size == len(ROSTER) and kept.filename == "roster.csv"
    assert kept.token_hash != upload_id and upload_id not in kept.token_hash  # the id itself is not stored
    assert people() == set()
    done = browser.confirm(1, upload_id)
    assert done.status_code == 302 and done.headers["Location"].endswith("/people")
    assert people() == {"anna@example.com", "bo@example.com"}
    assert pending() == 0
    # Neither host wrote anything to its own disk for it.
    for name in ("host-a", "host-b"):
        assert not os.path.exists(tmp_path / name / "uploads"), os.listdir(tmp_path / name)
    # And the other way round: checked on the second host, imported on the first.
    again = browser.check(1, b"name,email,title\nAnna,anna@example.com,Chair\nBo,bo@example.com,\n")
    assert browser.confirm(0, again).status_code == 302
    assert db.session.scalar(sa.select(Person.title).where(Person.email == "anna@example.com")) == "Chair"


def test_the_import_happens_once_whatever_the_clicks(app, hosts):
    browser = Browser(hosts, "uploads.ui@example.com")
    upload_id = browser.check(0)
    assert browser.confirm(1, upload_id).status_code == 302
    assert gone_text(browser.confirm(0, upload_id))
    assert people() == {"anna@example.com", "bo@example.com"}


@pytest.mark.parametrize("role", ["organizer", "admin"])
def test_another_user_cannot_import_it_not_even_an_admin(app, hosts, role):
    owner = Browser(hosts, "owner.ui@example.com")
    other = Browser(hosts, f"other.{role}@example.com", role)
    upload_id = owner.check(0)
    for host in (0, 1):
        assert gone_text(other.confirm(host, upload_id))
    assert people() == set() and pending() == 1  # still there for its owner
    assert owner.confirm(1, upload_id).status_code == 302
    assert people() == {"anna@example.com", "bo@example.com"}


def test_a_forged_or_unknown_id_is_gone(app, hosts):
    browser = Browser(hosts, "uploads.ui@example.com")
    for forged in ("x" * 32, "../../etc/passwd", "short"):
        assert gone_text(browser.confirm(1, forged))
    assert people() == set()


def _age(minutes: int) -> None:
    db.session.execute(sa.update(PendingRoster).values(created_at=utcnow() - timedelta(minutes=minutes)))
    db.session.commit()


def test_an_expired_roster_says_so_on_the_form(app, hosts):
    browser = Browser(hosts, "uploads.ui@example.com")
    upload_id = browser.check(0)
    _age(int(uploads.MAX_AGE.total_seconds() // 60) + 1)
    expired = browser.confirm(1, upload_id)
    assert expired.status_code == 200
    assert "This checked file has expired: a roster waits 60 minutes for its import. Choose the file again." \
        in expired.text
    assert 'type="file"' in expired.text  # the form to choose it again
    assert people() == set()
    # In Chinese too.
    upload_id = browser.check(0)
    _age(61)
    expired = browser.confirm(1, upload_id, headers={"Accept-Language": "zh-CN"})
    assert "已检查的文件已过期" in expired.text and people() == set()


def test_the_scheduler_removes_rosters_never_confirmed(app, hosts):
    browser = Browser(hosts, "uploads.ui@example.com")
    stale, fresh = browser.check(0), browser.check(1)
    db.session.execute(sa.update(PendingRoster).where(PendingRoster.token_hash == uploads._hash(stale))
                       .values(created_at=utcnow() - uploads.MAX_AGE - timedelta(minutes=1)))
    db.session.commit()
    job = build_scheduler(app).get_job("remove-expired-rosters")
    assert job is not None, "the housekeeping job is not registered"
    job.func()
    assert pending() == 1
    assert gone_text(browser.confirm(1, stale))
    assert browser.confirm(0, fresh).status_code == 302
    assert people() == {"anna@example.com", "bo@example.com"}


def test_each_user_keeps_a_few_checked_rosters_at_most(app, hosts):
    browser = Browser(hosts, "uploads.ui@example.com")
    other = Browser(hosts, "other.ui@example.com")
    theirs = other.check(0)
    mine = [browser.check(n % 2) for n in range(uploads.MAX_PER_USER + 2)]
    assert pending() == uploads.MAX_PER_USER + 1  # mine, and the other user's one
    for dropped in mine[:2]:
        assert gone_text(browser.confirm(0, dropped))
    assert browser.confirm(1, mine[-1]).status_code == 302
    assert other.confirm(1, theirs).status_code == 302


def test_a_file_past_the_bound_is_refused_on_the_form_and_not_kept(app, hosts):
    browser = Browser(hosts, "uploads.ui@example.com")
    for host in hosts:  # the request bound raised past the kept file's, as a proxy might allow
        host.config["MAX_CONTENT_LENGTH"] = uploads.MAX_BYTES + 1024 * 1024
    big = b"name,email\n" + b"Anna,anna@example.com\n" * (uploads.MAX_BYTES // 22 + 1)
    assert len(big) > uploads.MAX_BYTES
    client = browser.clients[0]
    # Built whole in memory: the test client spools a large body to a temporary file it leaves open.
    boundary, body = encode_multipart({"file": FileStorage(io.BytesIO(big), "roster.csv"),
                                       "csrf_token": CSRF.search(client.get("/people/import").text).group(1)})
    refused = client.post("/people/import", data=body, content_type=f"multipart/form-data; boundary={boundary}")
    assert refused.status_code == 200 and "The file is too large: at most 10 MB." in refused.text
    assert pending() == 0 and people() == set()
    # The database refuses one past the bound too, whoever writes it.
    with pytest.raises(sa.exc.IntegrityError):
        db.session.execute(sa.insert(PendingRoster).values(
            token_hash="0" * 64, user_id=browser.user.id, filename="x.csv", content_type="", size=len(big),
            data=big, created_at=utcnow()))
        db.session.flush()
    db.session.rollback()
