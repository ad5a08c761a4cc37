"""Calendar files: the meeting as METHOD:PUBLISH, and a person's subscribable feed."""

from datetime import timezone

import pytest
import vobject

from meetings.extensions import db
from meetings.invitations import links
from meetings.invitations.models import CapabilityLink, LinkPurpose
from meetings.scheduling import agenda
from tests import factories
from tests.factories import NEXT_YEAR, future_day


@pytest.fixture()
def meeting(api):
    meeting = factories.meeting(api.user, title="Mid-year operation meeting")
    agenda.add_item(meeting, {"title": "Half-year report", "duration_minutes": 40})
    db.session.commit()
    return meeting


def test_the_meeting_downloads_as_publish(api, meeting):
    response = api.get(f"/api/meetings/{meeting.id}.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    calendar = vobject.readOne(response.get_data(as_text=True))
    assert calendar.method.value == "PUBLISH"
    assert calendar.vevent.uid.value == meeting.uid
    assert "attendee" not in calendar.vevent.contents
    assert calendar.vevent.dtstart.value.astimezone(timezone.utc).hour == 1
    assert "Half-year report" in calendar.vevent.description.value


def test_the_kept_download_shows_each_change_at_the_next_fetch(api, meeting):
    """The file is built once per content version of the meeting and language, and kept: a
    change to the meeting, its agenda or a speaker shows at the next fetch."""
    def description(**headers):
        response = api.get(f"/api/meetings/{meeting.id}.ics", headers=headers)
        assert response.status_code == 200
        return vobject.readOne(response.get_data(as_text=True)).vevent.description.value

    assert description() == description() and "Closing remarks" not in description()
    agenda.add_item(meeting, {"title": "Closing remarks", "duration_minutes": 20, "title_zh": "闭幕讲话"})
    db.session.commit()
    assert "Closing remarks" in description()
    assert "闭幕讲话" in description(**{"Accept-Language": "zh-CN"})
    assert api.patch(f"/api/meetings/{meeting.id}", json={"title": "Renamed meeting"}).status_code == 200
    assert "Renamed meeting" in description()
    speaker = factories.person("Speaker Wang", email="wang@example.com")
    factories.agenda_item(meeting, title="Speeches", kind="speech",
                          speakers=[{"email": speaker.email, "topic": "Results", "minutes": 20}])
    assert "Speaker Wang" in description()
    assert api.patch(f"/api/people/{speaker.id}", json={"name": "Wang Jianguo"}).status_code == 200
    assert "Wang Jianguo" in description() and "Speaker Wang" not in description()


def test_the_download_is_not_for_others(other_api, meeting):
    assert other_api.get(f"/api/meetings/{meeting.id}.ics").status_code == 404


def test_a_persons_feed_lists_their_published_meetings_and_fetching_it_changes_nothing(client, api, meeting):
    person = factories.person("Feed reader", email="reader@example.com", timezone="Europe/Amsterdam")
    draft = factories.meeting(api.user, title="Still a draft", day=future_day(7, 1))
    factories.invite(meeting, person)
    factories.invite(draft, person)
    factories.publish(meeting)
    token = links.mint(LinkPurpose.FEED, person_id=person.id)
    db.session.commit()
    before = db.session.query(CapabilityLink).count()
    response = client.get(f"/feeds/{token}.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    calendar = vobject.readOne(response.get_data(as_text=True))
    assert calendar.method.value == "PUBLISH"
    assert [event.summary.value for event in calendar.contents["vevent"]] == ["Mid-year operation meeting"]
    assert calendar.vevent.dtstart.value.astimezone(timezone.utc).date() == future_day()
    assert db.session.query(CapabilityLink).count() == before
    assert client.get(f"/feeds/{token[:-2]}xx.ics").status_code == 404
    assert client.get(f"/rsvp/{token}").status_code == 404
