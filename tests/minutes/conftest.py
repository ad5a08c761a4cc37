"""A meeting that has taken place enough to have minutes: agenda, a chair, people, units."""

from dataclasses import dataclass

import pytest

from tests import factories


@dataclass
class Held:
    meeting: object
    report: object       # agenda item
    discussion: object   # agenda item
    chair: object        # person
    secretary_api: object
    alice: object        # invited participant, unit "Rotterdam Plant"
    bob: object          # not invited, unit "Shanghai Works"
    loner: object        # not invited, no unit


@pytest.fixture()
def held(api):
    meeting = factories.meeting(api.user, title="June operation meeting")
    report = factories.agenda_item(meeting, title="Half-year report", minutes=60)
    discussion = factories.agenda_item(meeting, title="Measures", minutes=60)
    chair = factories.person("Chair Wang", email="chair@example.com", unit="Group HQ", language="zh_Hans")
    alice = factories.person("Alice", email="alice@example.com", unit="Rotterdam Plant")
    bob = factories.person("Bob", email="bob@example.com", unit="Shanghai Works")
    loner = factories.person("Loner", email="loner@example.com")
    factories.invite(meeting, chair, "chair")
    factories.invite(meeting, alice)
    factories.publish(meeting)
    return Held(meeting, report, discussion, chair, api, alice, bob, loner)


def content(held, *, due=None, actions=None):
    """A PUT body with a note per item, a decision and an action for Alice (due next July by default)."""
    due = due or factories.future_day(7, 1).isoformat()
    return {
        "notes": [{"agenda_item_id": held.report.id, "text": "Revenue **up** 8%.\n- Rotterdam on target"},
                  {"agenda_item_id": held.discussion.id, "text": "Measures agreed."}],
        "decisions": [{"text": "Close the old line by Q4.", "agenda_item_id": held.discussion.id}],
        "actions": actions if actions is not None else [
            {"title": "Plan for the old line", "owner_email": "alice@example.com", "due": due,
             "agenda_item_id": held.discussion.id}],
    }
