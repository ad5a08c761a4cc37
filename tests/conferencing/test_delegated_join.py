"""Where a person attends is one rule (`Invitation.venue`, `Invitation.conference_site`, and
`attended_site_id` in SQL). A delegated online participant's seat is their delegate's: the
delegate's join link works and checks them in; the delegator's own no longer opens."""

from __future__ import annotations


from meetings.extensions import db
from meetings.invitations import services as invitations
from meetings.invitations.models import Invitation, Mode
from tests.conferencing.helpers import invitation_of, personal_token, remote_meeting


def test_a_delegated_online_participants_own_join_link_no_longer_opens_nor_checks_them_in(api, client):
    meeting, _sites, people = remote_meeting(api.user)
    online = invitation_of(meeting, people["online"])
    token = personal_token(online)  # the link their invite carried, before they delegated
    invitations.delegate(online, "joost@example.nl", "Joost Smit")
    db.session.commit()
    assert client.get(f"/join/{token}").status_code == 404
    assert client.post(f"/join/{token}").status_code == 404
    db.session.expire_all()
    assert db.session.get(Invitation, online.id).checked_in_at is None


def test_the_delegate_of_an_online_participant_joins_and_is_checked_in(api, client):
    meeting, _sites, people = remote_meeting(api.user)
    online = invitation_of(meeting, people["online"])
    invitation = invitations.delegate(online, "joost@example.nl", "Joost Smit")
    db.session.commit()
    assert invitation.mode == Mode.ONLINE and invitation.venue is None
    assert invitation.conference_site is meeting.main_site  # online: through the main venue's conference
    token = personal_token(invitation)
    page = client.get(f"/join/{token}")
    assert page.status_code == 200
    assert invitation.person.name in page.text
    joined = client.post(f"/join/{token}")
    assert joined.status_code == 303 and joined.headers["Location"].startswith("https://")
    db.session.expire_all()
    assert db.session.get(Invitation, invitation.id).checked_in_at is not None


def test_the_sql_rule_and_the_models_agree_on_where_everyone_attends(api):
    import sqlalchemy as sa

    from meetings.invitations.models import attended_site_id

    meeting, _sites, people = remote_meeting(api.user)
    invitations.delegate(invitation_of(meeting, people["online"]), "joost@example.nl", "Joost Smit")
    db.session.commit()
    rows = Invitation.__table__
    for conference in (False, True):
        found = dict(db.session.execute(
            sa.select(rows.c.id, attended_site_id(rows, conference=conference)).where(rows.c.meeting_id == meeting.id))
            .all())
        for invitation in invitations.invitations_of(meeting):
            site = invitation.conference_site if conference else invitation.venue
            assert found[invitation.id] == (site.id if site else None), (invitation, conference)
