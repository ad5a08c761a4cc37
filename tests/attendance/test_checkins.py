"""Check-ins by organizers through the API: the first counts, later ones are logged, and two at
once count once (on PostgreSQL too, where the suite runs with DATABASE_URL)."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from meetings.attendance.models import CheckIn
from meetings.extensions import db
from meetings.invitations.models import Invitation
from meetings.scheduling import services as scheduling
from tests import factories
from tests.conftest import ApiClient


@pytest.fixture()
def invitation(api):
    meeting = factories.meeting(api.user)
    invitation = factories.invite(meeting, factories.person("王芳", email="wang.fang@example.com"))
    factories.publish(meeting)
    return invitation


def url(invitation) -> str:
    return f"/api/meetings/{invitation.meeting_id}/checkins"


def checkins_of(invitation) -> list[CheckIn]:
    return list(db.session.scalars(sa.select(CheckIn).where(CheckIn.invitation_id == invitation.id)
                                   .order_by(CheckIn.id)))


@pytest.mark.usefixtures("checkin_open")
def test_the_first_check_in_counts_and_later_ones_are_only_logged(api, invitation):
    first = api.post(url(invitation), json={"invitation_id": invitation.id, "method": "manual"})
    assert first.status_code == 201
    assert first.json["first"] is True and first.json["invitation_id"] == invitation.id
    assert first.json["timezone"] == "Asia/Shanghai" and first.json["checked_in_at"].endswith("+08:00")
    again = api.post(url(invitation), json={"invitation_id": invitation.id, "method": "qr"})
    assert again.status_code == 201
    assert again.json["first"] is False
    assert again.json["checked_in_at"] == first.json["checked_in_at"]
    rows = checkins_of(invitation)
    assert [(row.method, row.counted) for row in rows] == [("manual", True), ("qr", False)]
    assert rows[0].recorded_by_user_id == api.user.id
    listed = api.get(f"/api/meetings/{invitation.meeting_id}/invitations").json
    assert listed[0]["checked_in_at"] == first.json["checked_in_at"]


def test_the_method_defaults_to_manual_and_must_be_known(api, invitation):
    assert api.post(url(invitation), json={"invitation_id": invitation.id}).status_code == 201
    assert checkins_of(invitation)[0].method == "manual"
    refused = api.post(url(invitation), json={"invitation_id": invitation.id, "method": "telepathy"})
    assert refused.status_code == 422
    assert "method" in refused.json["error"]["fields"]


def test_only_the_meetings_organizers_and_admins_check_people_in(client, api, admin_api, other_api, invitation):
    body = {"invitation_id": invitation.id}
    assert client.post(url(invitation), json=body).status_code == 401
    assert other_api.post(url(invitation), json=body).status_code == 404
    assert admin_api.post(url(invitation), json=body).status_code == 201
    assert len(checkins_of(invitation)) == 1


def test_an_invitation_of_another_meeting_or_taken_off_the_list_is_not_found(api, invitation):
    other = factories.meeting(api.user, title="Another")
    stranger = factories.invite(other, factories.person("Stranger"))
    assert api.post(url(invitation), json={"invitation_id": stranger.id}).status_code == 404
    assert api.post(url(invitation), json={"invitation_id": 999999}).status_code == 404
    api.delete(f"/api/meetings/{invitation.meeting_id}/invitations/{invitation.id}")
    assert api.post(url(invitation), json={"invitation_id": invitation.id}).status_code == 404
    assert checkins_of(invitation) == []


def test_no_one_checks_in_to_a_cancelled_or_unpublished_meeting(api, invitation):
    draft = factories.meeting(api.user, title="Draft")
    early = factories.invite(draft, factories.person("Early"))
    response = api.post(f"/api/meetings/{draft.id}/checkins", json={"invitation_id": early.id})
    assert response.status_code == 409 and "not published" in response.json["error"]["message"]
    scheduling.cancel_meeting(invitation.meeting)
    db.session.commit()
    response = api.post(url(invitation), json={"invitation_id": invitation.id})
    assert response.status_code == 409 and "cancelled" in response.json["error"]["message"]
    assert checkins_of(invitation) == []


@pytest.mark.usefixtures("checkin_open")
def test_two_check_ins_at_once_count_once(app, api, invitation):
    """Two requests in two threads, each with its own connection, released together."""
    start = threading.Barrier(2)
    # Read before the threads start: the test's own session is not theirs to use.
    target, body = url(invitation), {"invitation_id": invitation.id}
    answers: list[dict] = []
    errors: list[BaseException] = []

    def check_in(method: str) -> None:
        try:
            with app.app_context():
                client = ApiClient(app.test_client(), api.token, api.user)
                start.wait(timeout=10)
                response = client.post(target, json={**body, "method": method})
                answers.append({"status": response.status_code, "method": method, **response.json})
                db.session.remove()
        except BaseException as error:  # noqa: BLE001 (reported below, in the test's thread)
            errors.append(error)

    threads = [threading.Thread(target=check_in, args=(method,)) for method in ("qr", "manual")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    assert sorted(a["status"] for a in answers) == [201, 201]
    assert sorted(a["first"] for a in answers) == [False, True]
    assert len({a["checked_in_at"] for a in answers}) == 1
    db.session.commit()  # a fresh snapshot: what the two requests committed
    rows = checkins_of(invitation)
    assert len(rows) == 2 and sum(row.counted for row in rows) == 1
    winner = next(a for a in answers if a["first"])
    assert next(row for row in rows if row.counted).method == winner["method"]
    assert db.session.get(Invitation, invitation.id).checked_in_at is not None


def test_the_database_refuses_a_second_counted_check_in(invitation):
    for _ in range(2):
        db.session.add(CheckIn(meeting_id=invitation.meeting_id, invitation_id=invitation.id, method="manual",
                               counted=True))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()
    db.session.rollback()


@pytest.mark.usefixtures("checkin_open")
def test_a_check_in_that_waits_for_another_still_counts_once(app, invitation):
    """The second check-in reaches the invitation while the first has written but not committed:
    it waits (for the row lock on PostgreSQL, for the write lock on SQLite), then finds it done."""
    from meetings.attendance import services
    from meetings.core.database import write_intent

    invitation_id = invitation.id
    written, waiting = threading.Event(), threading.Event()
    results: dict[str, bool] = {}
    errors: list[BaseException] = []

    def first() -> None:
        try:
            with app.app_context(), write_intent():
                results["qr"] = services.check_in(db.session.get(Invitation, invitation_id), "qr")
                written.set()
                waiting.wait(timeout=10)
                threading.Event().wait(0.3)  # let the other one reach the lock
                db.session.commit()
        except BaseException as error:  # noqa: BLE001
            errors.append(error)
            written.set()

    def second() -> None:
        try:
            written.wait(timeout=10)
            with app.app_context(), write_intent():
                waiting.set()
                results["roll_call"] = services.check_in(db.session.get(Invitation, invitation_id), "roll_call")
                db.session.commit()
        except BaseException as error:  # noqa: BLE001
            errors.append(error)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    assert results == {"qr": True, "roll_call": False}
    db.session.commit()
    rows = checkins_of(invitation)
    assert [(row.method, row.counted) for row in rows] == [("qr", True), ("roll_call", False)]


def test_an_organizers_manual_check_in_works_long_before_the_meeting_and_is_logged(api, invitation):
    # The meeting is next June; QR and roll call are not open (see CHECKIN_OPENS_BEFORE).
    refused = api.post(url(invitation), json={"invitation_id": invitation.id, "method": "qr"})
    assert refused.status_code == 409 and "Check-in opens at" in refused.json["error"]["message"]
    manual = api.post(url(invitation), json={"invitation_id": invitation.id, "method": "manual"})
    assert manual.status_code == 201 and manual.json["first"] is True
    from meetings.accounts import audit

    [event] = audit.events(meeting_id=invitation.meeting_id, action="attendance.")
    assert event.actor == api.user.email
    assert event.details["method"] == "manual" and event.details["person"] == "王芳"
