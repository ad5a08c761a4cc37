"""An organizer sees every link the meeting has sent, by person and site, and revokes them."""

from meetings.invitations.models import LinkPurpose
from tests import factories


def test_links_are_listed_by_holder_and_revoked(api, other_api, client, smtp):
    meeting = factories.meeting(api.user)
    person = factories.person("Li Ming", email="li.ming@example.com")
    invitation = factories.invite(meeting, person)
    factories.publish(meeting)
    factories.deliver()
    [mail] = smtp.mailbox.wait_for(1)
    rsvp = next(line for line in mail.message.get_body(("plain",)).get_content().split()
                if "/rsvp/" in line).split("/rsvp/")[1]
    listed = api.get(f"/api/meetings/{meeting.id}/links").json
    mine = next(entry for entry in listed if entry["purpose"] == LinkPurpose.RSVP)
    assert mine["holder"] == "Li Ming" and mine["issued"] == mine["live"] == 1
    assert mine["invitation_id"] == invitation.id
    assert client.get(f"/rsvp/{rsvp}").status_code == 200
    done = api.post(f"/api/meetings/{meeting.id}/links/revoke",
                    json={"purpose": "rsvp", "invitation_id": invitation.id})
    assert done.status_code == 200 and done.json == {"revoked": 1}
    assert client.get(f"/rsvp/{rsvp}").status_code == 404
    assert next(e for e in api.get(f"/api/meetings/{meeting.id}/links").json if e["purpose"] == "rsvp")["live"] == 0
    assert other_api.get(f"/api/meetings/{meeting.id}/links").status_code == 404
    assert api.post(f"/api/meetings/{meeting.id}/links/revoke", json={"purpose": "rsvp"}).status_code == 422
