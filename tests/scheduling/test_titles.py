"""Titles in two languages through the API: ``title_zh`` of meetings and agenda items goes in
and comes back, is checked like ``title``, and one of the two is enough."""

import pytest

from meetings.extensions import db
from meetings.scheduling.models import AgendaItem, Meeting
from tests.factories import NEXT_YEAR, future_day, wall


def new_meeting(api, **overrides):
    body = {"title": "Mid-year operation meeting", "title_zh": "年中经营会议", "start": wall(future_day(), 9),
            "end": wall(future_day(), 12), "timezone": "Asia/Shanghai"}
    body.update(overrides)
    return api.post("/api/meetings", json=body)


def test_a_meetings_chinese_title_goes_in_and_comes_back(api):
    created = new_meeting(api)
    assert created.status_code == 201, created.json
    assert created.json["title"] == "Mid-year operation meeting" and created.json["title_zh"] == "年中经营会议"
    url = f"/api/meetings/{created.json['id']}"
    assert api.get(url).json["title_zh"] == "年中经营会议"
    assert [m["title_zh"] for m in api.get("/api/meetings").json] == ["年中经营会议"]
    changed = api.patch(url, json={"title_zh": f"  {NEXT_YEAR}年年中经营会议  "})
    assert changed.status_code == 200 and changed.json["title_zh"] == f"{NEXT_YEAR}年年中经营会议"  # trimmed
    assert api.get(url).json["title"] == "Mid-year operation meeting"  # the other one is untouched
    # A meeting titled in one language only: either one will do.
    only_zh = new_meeting(api, title="", title_zh="仅中文标题")
    assert only_zh.status_code == 201 and only_zh.json["title"] == "" and only_zh.json["title_zh"] == "仅中文标题"
    only_en = new_meeting(api, title_zh=None)
    assert only_en.status_code == 201 and only_en.json["title_zh"] == ""
    body = {"title_zh": "只有中文", "start": wall(future_day(), 9), "end": wall(future_day(), 12),
            "timezone": "Asia/Shanghai"}
    assert api.post("/api/meetings", json=body).status_code == 201  # no "title" key at all


@pytest.mark.parametrize("overrides, field, words", [
    ({"title_zh": "中" * 201}, "title_zh", "At most 200"),
    ({"title_zh": "两\n行"}, "title_zh", "single line"),
    ({"title_zh": "控制\x07字符"}, "title_zh", "control characters"),
    ({"title_zh": 42}, "title_zh", ""),
    ({"title": "", "title_zh": ""}, "title", "cannot be empty"),
    ({"title": "  ", "title_zh": None}, "title", "cannot be empty"),
])
def test_bad_chinese_titles_are_refused_with_the_field_named(api, overrides, field, words):
    response = new_meeting(api, **overrides)
    assert response.status_code == 422
    error = response.json["error"]
    assert field in error["fields"] and words in " ".join(error["fields"][field])
    assert db.session.query(Meeting).count() == 0


def test_a_patch_may_not_leave_a_meeting_without_any_title(api):
    url = f"/api/meetings/{new_meeting(api).json['id']}"
    assert api.patch(url, json={"title": ""}).status_code == 200  # the Chinese one is left
    refused = api.patch(url, json={"title_zh": ""})
    assert refused.status_code == 422 and "title" in refused.json["error"]["fields"]
    assert api.get(url).json["title_zh"] == "年中经营会议"
    assert api.patch(url, json={"title_zh": "x\r\ny"}).status_code == 422


def test_an_agenda_items_chinese_title_goes_in_comes_back_and_is_checked(api):
    meeting = new_meeting(api).json
    url = f"/api/meetings/{meeting['id']}/agenda"
    created = api.post(url, json={"title": "President's report", "title_zh": "总裁经营报告", "duration_minutes": 30})
    assert created.status_code == 201, created.json
    assert created.json["title_zh"] == "总裁经营报告"
    assert [item["title_zh"] for item in api.get(url).json] == ["总裁经营报告"]
    changed = api.patch(f"{url}/{created.json['id']}", json={"title_zh": "董事长讲话"})
    assert changed.status_code == 200 and changed.json["title_zh"] == "董事长讲话"
    assert changed.json["title"] == "President's report"
    only_zh = api.post(url, json={"title_zh": "成员企业代表发言", "duration_minutes": 30})
    assert only_zh.status_code == 201 and only_zh.json["title"] == ""
    for body in ({"title": "", "title_zh": "", "duration_minutes": 10}, {"title_zh": "中" * 201, "duration_minutes": 10},
                 {"title": "Item", "title_zh": "两\n行", "duration_minutes": 10},
                 {"title": "Item", "title_zh": ["list"], "duration_minutes": 10}):
        refused = api.post(url, json=body)
        assert refused.status_code == 422, body
        assert set(refused.json["error"]["fields"]) & {"title", "title_zh"}
    refused = api.patch(f"{url}/{only_zh.json['id']}", json={"title_zh": ""})
    assert refused.status_code == 422 and "title" in refused.json["error"]["fields"]
    assert db.session.query(AgendaItem).count() == 2
