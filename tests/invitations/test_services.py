"""Who is invited, in which role, where: one invitation per person, the higher role wins."""

import pytest

from meetings.core.errors import InvalidInput
from meetings.extensions import db
from meetings.invitations import services
from meetings.invitations.models import Invitation
from meetings.scheduling import agenda, sites
from tests import factories


@pytest.fixture()
def organizer(api):
    return api.user


@pytest.fixture()
def meeting(organizer):
    return factories.meeting(organizer)


def invitation_of(meeting, person):
    return db.session.query(Invitation).filter_by(meeting_id=meeting.id, person_id=person.id).one()


def test_a_person_is_invited_once_and_the_higher_role_wins(meeting):
    person = factories.person()
    factories.invite(meeting, person, "observer")
    factories.invite(meeting, person, "chair")
    factories.invite(meeting, person, "participant")
    assert invitation_of(meeting, person).role == "chair"
    assert db.session.query(Invitation).count() == 1


def test_a_group_invite_never_downgrades_or_moves_anyone(meeting):
    remote = sites.add_site(meeting, {"name": "Remote room"})
    chair = factories.person(tags=["leader"])
    other = factories.person(tags=["leader"])
    factories.invite(meeting, chair, "chair", site_id=remote.id)
    made = services.invite(meeting, {"tags": ["leader"], "role": "observer", "site_id": meeting.main_site.id})
    db.session.commit()
    assert {i.person_id for i in made} == {chair.id, other.id}
    assert invitation_of(meeting, chair).role == "chair"
    assert invitation_of(meeting, chair).site_id == remote.id
    assert invitation_of(meeting, other).role == "observer"


def test_people_go_to_their_own_units_remote_room_by_default(meeting):
    host = factories.person("Host", unit="Rotterdam plant", timezone="Europe/Amsterdam")
    sites.add_site(meeting, {"name": "Rotterdam room", "host_email": host.email, "timezone": "Europe/Amsterdam"})
    colleague = factories.person("Colleague", unit="Rotterdam plant")
    stranger = factories.person("Stranger", unit="Beijing branch")
    factories.invite(meeting, colleague)
    factories.invite(meeting, stranger)
    assert invitation_of(meeting, colleague).site.name == "Rotterdam room"
    assert invitation_of(meeting, colleague).mode == "remote_site"
    assert invitation_of(meeting, stranger).site.name == "Main hall"
    assert invitation_of(meeting, stranger).mode == "in_person"


def test_online_attendees_have_no_site(meeting):
    person = factories.person()
    factories.invite(meeting, person, mode="online")
    invitation = invitation_of(meeting, person)
    assert invitation.site is None and invitation.mode == "online"


def test_the_mode_must_fit_the_site(meeting):
    with pytest.raises(InvalidInput, match="the mode is in_person"):
        services.invite(meeting, {"email": factories.person().email, "site_id": meeting.main_site.id,
                                  "mode": "remote_site"})


def test_speakers_and_site_hosts_are_invited_as_the_agenda_and_sites_name_them(meeting):
    speaker = factories.person("Speaker")
    host = factories.person("Host")
    factories.invite(meeting, speaker, "observer")
    agenda.add_item(meeting, {"title": "Talk", "duration_minutes": 20,
                              "speakers": [{"email": speaker.email, "minutes": 20}]})
    site = sites.add_site(meeting, {"name": "Remote room", "host_email": host.email})
    db.session.commit()
    assert invitation_of(meeting, speaker).role == "speaker"
    host_invitation = invitation_of(meeting, host)
    assert host_invitation.role == "site_host" and host_invitation.site_id == site.id


def test_removed_people_can_be_invited_again(meeting):
    person = factories.person()
    invitation = factories.invite(meeting, person, "chair")
    services.remove_invitation(meeting, invitation)
    db.session.commit()
    assert services.invitations_of(meeting) == []
    again = factories.invite(meeting, person, "observer")
    assert again.id == invitation.id and again.role == "observer" and again.is_active
