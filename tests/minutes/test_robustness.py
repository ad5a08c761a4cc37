"""Whatever a client sends to the minutes API, the answer is never a 500 and errors keep their shape."""

from hypothesis import given
from hypothesis import strategies as st

from tests.test_api_robustness import FUZZ, check, json_values

entries = st.lists(st.dictionaries(st.sampled_from(["agenda_item_id", "text", "title", "owner_email", "due", "id",
                                                    "unit", "owner_unit"]) | st.text(max_size=5),
                                   st.sampled_from([None, 1, 2, -1, 10**12, "", "2027-07-01", "2020-01-01",
                                                    "alice@example.com", "x" * 600, [], {}, True]) | json_values,
                                   max_size=6) | json_values, max_size=4)
bodies = st.fixed_dictionaries({}, optional={"notes": entries, "decisions": entries, "actions": entries}) | json_values


@FUZZ
@given(body=bodies)
def test_minutes_puts_never_500(held, api, body):
    check(api.client.put(f"/api/meetings/{held.meeting.id}/minutes", json=body,
                         headers={"Authorization": f"Bearer {api.token}"}))


@FUZZ
@given(body=st.dictionaries(st.sampled_from(["status", "progress", "due", "extension"]) | st.text(max_size=5),
                            st.sampled_from(["open", "done", "cancelled", "approve", "2027-07-01", "", None, 5])
                            | json_values, max_size=4) | json_values)
def test_action_patches_and_copies_never_500(held, api, body):
    check(api.patch("/api/actions/1", json=body))
    check(api.post(f"/api/meetings/{held.meeting.id}/copy", json=body))
    check(api.post(f"/api/meetings/{held.meeting.id}/minutes/publish", json=body))
