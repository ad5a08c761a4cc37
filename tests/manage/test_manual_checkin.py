"""An organizer checks a person in by hand from the answers page: at any time (months before the
meeting, when QR and roll call are refused), logged in the audit like the API's ``method: manual``,
in both languages; another organizer cannot."""

from __future__ import annotations

import re

import sqlalchemy as sa

from meetings.accounts.models import AuditEvent
from meetings.attendance.models import CheckIn, CheckinMethod
from meetings.extensions import db
from meetings.invitations.models import Invitation
from tests import factories
from tests.manage.conftest import sign_in


def _published(browser):
    meeting = factories.meeting(browser.user)  # next June: far outside the check-in window
    invitation = factories.invite(meeting, factories.person("王芳", email="wang.fang@example.com"))
    factories.publish(meeting)
    db.session.commit()
    return meeting, invitation


def test_the_answers_page_checks_a_person_in_by_hand_and_logs_it(browser):
    meeting, invitation = _published(browser)
    board = f"/meetings/{meeting.id}/board"
    action = f"/meetings/{meeting.id}/invitations/{invitation.id}/check-in"
    page = browser.get(board).text
    assert f'action="{action}"' in page and "Check in by hand" in page

    done = browser.post(action, {}, form_page=board, follow_redirects=True)
    assert done.status_code == 200
    assert "王芳 is checked in." in done.text
    assert "Check in by hand" not in done.text and "Checked in " in done.text
    db.session.expire_all()
    assert db.session.get(Invitation, invitation.id).checked_in_at is not None
    row = db.session.scalars(sa.select(CheckIn).where(CheckIn.invitation_id == invitation.id)).one()
    assert row.method == CheckinMethod.MANUAL and row.counted and row.recorded_by_user_id == browser.user.id
    event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "attendance.checked_in")).one()
    assert event.actor == browser.user.email and event.meeting_id == meeting.id
    assert event.details["method"] == "manual" and event.details["person"] == "王芳"

    # The same person again (an old tab's button): counted once, the second kept in the log.
    again = browser.client.post(action, data={"csrf_token": browser.token(board)}, follow_redirects=True)
    assert "already checked in" in again.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CheckIn).where(CheckIn.counted)) == 1
    attended = re.search(r'<dd data-count="attended">(\d+)<', browser.get(board).text).group(1)
    assert attended == "1"


def test_the_button_in_chinese_and_not_on_a_draft(browser):
    meeting, invitation = _published(browser)
    page = browser.get(f"/meetings/{meeting.id}/board", headers={"Accept-Language": "zh-CN"}).text
    assert "手动签到" in page
    done = browser.post(f"/meetings/{meeting.id}/invitations/{invitation.id}/check-in", {},
                        form_page=f"/meetings/{meeting.id}/board", follow_redirects=True,
                        headers={"Accept-Language": "zh-CN"})
    assert "王芳 已签到。" in done.text
    draft = factories.meeting(browser.user, title="Draft")
    factories.invite(draft, factories.person("Draft Guest"))
    db.session.commit()
    assert "Check in by hand" not in browser.get(f"/meetings/{draft.id}/board").text


def test_a_draft_refuses_and_another_organizer_gets_404(browser, client, app):
    draft = factories.meeting(browser.user, title="Draft")
    invitation = factories.invite(draft, factories.person("Draft Guest"))
    db.session.commit()
    board = f"/meetings/{draft.id}/board"
    refused = browser.post(f"/meetings/{draft.id}/invitations/{invitation.id}/check-in", {}, form_page=board,
                           follow_redirects=True)
    assert "not published yet" in refused.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CheckIn)) == 0

    meeting, other_invitation = _published(browser)
    stranger = sign_in(app.test_client(), "stranger@example.com")
    token = stranger.token("/")
    answer = stranger.client.post(f"/meetings/{meeting.id}/invitations/{other_invitation.id}/check-in",
                                  data={"csrf_token": token})
    assert answer.status_code == 404
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CheckIn)) == 0
