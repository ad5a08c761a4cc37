"""A roster checked on the import page but never imported does not stay on disk: the scheduler's
housekeeping (and the next check on the same host) removes what is older than an hour."""

import io
import os
import re
import time

from meetings.directory import uploads
from meetings.directory.models import Person
from meetings.extensions import db
from meetings.outbox.scheduler import build_scheduler
from tests.manage.conftest import sign_in

ROSTER = "name,email\nAnna,anna@example.com\n".encode()


def check(browser) -> str:
    preview = browser.post("/people/import", {"file": (io.BytesIO(ROSTER), "roster.csv")},
                           content_type="multipart/form-data")
    assert preview.status_code == 200 and "1 to add" in preview.text
    return re.search(r'name="upload" type="hidden" value="([^"]+)"', preview.text).group(1)


def age(upload_id: str, seconds: int) -> None:
    """Make the kept file look ``seconds`` old (its own time, not the clock's)."""
    then = time.time() - seconds
    os.utime(uploads.upload_path(upload_id), (then, then))


def run_housekeeping(app) -> None:
    scheduler = build_scheduler(app)
    job = scheduler.get_job("remove-stale-rosters")
    assert job is not None, "the housekeeping job is not registered"
    job.func()


def test_a_checked_roster_left_for_over_an_hour_is_removed_by_the_scheduler(app, client):
    browser = sign_in(client, "uploads.ui@example.com")
    stale, fresh = check(browser), check(browser)
    age(stale, uploads.MAX_AGE_SECONDS + 60)
    run_housekeeping(app)
    assert not os.path.exists(uploads.upload_path(stale))
    assert os.path.exists(uploads.upload_path(fresh))
    gone = browser.post("/people/import", {"upload": stale, "filename": "roster.csv"}, form_page="/people/import",
                        follow_redirects=True)
    assert "That upload is gone" in gone.text
    done = browser.post("/people/import", {"upload": fresh, "filename": "roster.csv"}, form_page="/people/import",
                        follow_redirects=True)
    assert "Imported: 1 added" in done.text and not os.path.exists(uploads.upload_path(fresh))
    db.session.expire_all()
    assert db.session.query(Person).count() == 1


def test_the_next_check_on_the_same_host_removes_stale_ones_too(client):
    browser = sign_in(client, "uploads.ui@example.com")
    stale = check(browser)
    age(stale, uploads.MAX_AGE_SECONDS + 60)
    check(browser)
    assert not os.path.exists(uploads.upload_path(stale))
