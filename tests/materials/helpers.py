"""A meeting with a speaker, a chair, a participant, a remote site and its host, published (the `cast` fixture)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from meetings.extensions import db
from meetings.invitations import links
from meetings.invitations.models import LinkPurpose
from meetings.scheduling import sites
from tests import factories


@dataclass
class Cast:
    meeting: object
    item: object
    slot: object
    remote: object
    speaker: object
    chair: object
    participant: object
    host: object
    remote_guest: object

    def rsvp_token(self, invitation) -> str:
        raw = links.mint(LinkPurpose.RSVP, meeting_id=self.meeting.id, invitation_id=invitation.id)
        db.session.commit()
        return raw

    def site_token(self) -> str:
        raw = links.mint(LinkPurpose.SITE, meeting_id=self.meeting.id, site_id=self.remote.id)
        db.session.commit()
        return raw


@pytest.fixture()
def cast(api):
    meeting = factories.meeting(api.user, title="Mid-year operation meeting")
    speaker = factories.person("Speaker Wang", email="wang@example.com")
    item = factories.agenda_item(meeting, title="Half-year reports", kind="speech",
                                 speakers=[{"email": speaker.email, "topic": "Shanghai branch", "minutes": 20}])
    remote = sites.add_site(meeting, {"name": "Rotterdam", "kind": "remote", "timezone": "Europe/Amsterdam"})
    db.session.commit()
    invitations = {}
    for name, role, extra in (("speaker", "speaker", {}), ("chair", "chair", {}),
                              ("participant", "participant", {}),
                              ("host", "site_host", {"site_id": remote.id, "mode": "remote_site"}),
                              ("remote_guest", "participant", {"site_id": remote.id, "mode": "remote_site"})):
        person = speaker if name == "speaker" else factories.person(name.title(), email=f"{name}@example.com")
        invitations[name] = factories.invite(meeting, person, role, **extra)
    factories.publish(meeting)
    return Cast(meeting, item, item.speaker_slots[0], remote, **invitations)
