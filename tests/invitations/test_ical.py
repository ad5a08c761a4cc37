"""The calendar objects we send, read back by a second parser (vobject) as well as icalendar, and
the replies calendar clients send us."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
import vobject
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from meetings.invitations import ical
from meetings.invitations.ical import (
    Attendee,
    CalendarError,
    Event,
    build_calendar,
    build_reply,
    parse_reply,
    vtimezone,
    vtimezone_ical,
)

UTC = timezone.utc
NEXT_YEAR = date.today().year + 1
DATA = Path(__file__).parent / "data"
JOIN = "https://meetings.example/join/Zm9vYmFyYmF6"


def sunday(year: int, month: int, nth: int) -> date:
    """The nth Sunday of the month; -1 for the last."""
    if nth > 0:
        first = date(year, month, 1)
        return first + timedelta(days=(6 - first.weekday()) % 7 + 7 * (nth - 1))
    last = date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - 6) % 7)


def at(zone: str, day: date, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZoneInfo(zone))


CHAIR = Attendee("zhang.jianguo@group.example", "张建国", "CHAIR")
SPEAKER = Attendee("li.wei@group.example", "Li Wei", "REQ-PARTICIPANT", partstat="ACCEPTED")
OBSERVER = Attendee("wang.fang@group.example", "Wang Fang", "OPT-PARTICIPANT", rsvp=False)


def meeting(**changes) -> Event:
    start = changes.pop("start", at("Asia/Shanghai", date(NEXT_YEAR, 7, 15)))
    values = dict(
        uid="operation-meeting-42@meetings.example",
        sequence=3,
        stamp=datetime(NEXT_YEAR - 1, 12, 1, 8, 0, tzinfo=UTC),
        start=start,
        end=start + timedelta(hours=3),
        timezone=str(start.tzinfo),
        summary="年中经营工作会议",
        description=f"Agenda\n1. Report\nJoin: {JOIN}",
        location="总部一号会议室",
        join_url=JOIN,
        join_label="Join the videoconference",
        organizer_email="office@group.example",
        organizer_name="Meetings Office",
        attendees=(CHAIR, SPEAKER, OBSERVER),
        alarms=((1440, "Tomorrow: 年中经营工作会议"), (60, "In one hour")),
    )
    values.update(changes)
    return Event(**values)


_VOBJECT_ZONES = vars(vobject.icalendar)["__tzidMap"]


def read(data: bytes):
    """The calendar as vobject reads it (our second parser)."""
    # vobject 0.9.9 keeps the first VTIMEZONE it meets for each TZID for the whole process and
    # reads every later file with it (or with pytz's zone): forget them, so each file's own counts.
    for tzid in [tzid for tzid in _VOBJECT_ZONES if tzid != "UTC"]:
        del _VOBJECT_ZONES[tzid]
    return vobject.readOne(data.decode("utf-8"))


def utc_start(event) -> datetime:
    """DTSTART in UTC as vobject read it, from the file's own VTIMEZONE when it has a TZID."""
    value = event.dtstart.value
    if "TZID" in event.dtstart.params or "X-VOBJ-ORIGINAL-TZID" in event.dtstart.params:
        assert type(value.tzinfo).__name__ == "_tzicalvtz"
    return value.astimezone(UTC)


def only_event(data: bytes):
    """The single VEVENT, checked to be the only one for both parsers."""
    assert len(icalendar.Calendar.from_ical(data).walk("VEVENT")) == 1
    events = read(data).contents["vevent"]
    assert len(events) == 1
    return events[0]


# --- times and time zones --------------------------------------------------------------------

_CHANGE_DAYS = [
    ("Europe/Amsterdam", sunday(NEXT_YEAR, 3, -1)),
    ("Europe/Amsterdam", sunday(NEXT_YEAR, 10, -1)),
    ("Europe/London", sunday(NEXT_YEAR, 3, -1)),
    ("America/New_York", sunday(NEXT_YEAR, 3, 2)),
    ("America/New_York", sunday(NEXT_YEAR, 11, 1)),
    ("Australia/Sydney", sunday(NEXT_YEAR, 4, 1)),
    ("Australia/Sydney", sunday(NEXT_YEAR, 10, 1)),
]


@pytest.mark.parametrize(
    "start",
    [at("Asia/Shanghai", date(NEXT_YEAR, 7, 15)), at("Asia/Kolkata", date(NEXT_YEAR, 1, 5), 10, 30),
     at("America/Sao_Paulo", date(NEXT_YEAR, 11, 20)), at("UTC", date(NEXT_YEAR, 5, 2))]
    + [at(zone, day + timedelta(days=shift)) for zone, day in _CHANGE_DAYS for shift in (-1, 1)],
    ids=str,
)
def test_every_parser_reads_the_start_and_end_at_the_instant_we_meant(start):
    data = build_calendar("REQUEST", [meeting(start=start)])
    event = only_event(data)
    assert utc_start(event) == start.astimezone(UTC)
    assert event.dtend.value.astimezone(UTC) == (start + timedelta(hours=3)).astimezone(UTC)
    parsed = icalendar.Calendar.from_ical(data)
    assert parsed.walk("VEVENT")[0]["DTSTART"].dt.astimezone(UTC) == start.astimezone(UTC)
    for component in parsed.walk("VTIMEZONE"):  # our VTIMEZONE itself, not the TZID's zoneinfo
        own = component.to_tz(lookup_tzid=False)
        wall = start.astimezone(ZoneInfo(str(component["TZID"]))).replace(tzinfo=own)
        assert wall.astimezone(UTC) == start.astimezone(UTC)


def _changes(zone: str, year: int) -> list[datetime]:
    """The instants the zone's offset changes in ``year``, scanned hour by hour."""
    tz, moment, found = ZoneInfo(zone), datetime(year, 1, 1, tzinfo=UTC), []
    while moment.year == year:
        nxt = moment + timedelta(hours=1)
        if nxt.astimezone(tz).utcoffset() != moment.astimezone(tz).utcoffset():
            found.append(nxt)
        moment = nxt
    return found


@pytest.mark.parametrize(
    ("zone", "year"),
    [("Europe/Amsterdam", NEXT_YEAR), ("America/New_York", NEXT_YEAR), ("Australia/Sydney", NEXT_YEAR),
     ("Africa/Casablanca", NEXT_YEAR), ("America/Sao_Paulo", 2018)],
)
def test_instants_around_each_clock_change_survive_vobject(zone, year):
    # Casablanca (Ramadan) and Sao Paulo in 2018 have no regular yearly rule: explicit form.
    changes = _changes(zone, year)
    assert changes
    for change in changes:
        for shift in (-1440, -60, -1, 0, 1, 30, 60, 1440):
            start = change + timedelta(minutes=shift)
            data = build_calendar("REQUEST", [meeting(start=start.astimezone(ZoneInfo(zone)), timezone=zone)])
            assert utc_start(only_event(data)) == start, (zone, start)


def test_amsterdam_has_the_european_rule_in_rrule_form():
    data = build_calendar("REQUEST", [meeting(start=at("Europe/Amsterdam", date(NEXT_YEAR, 6, 1)))])
    (zone,) = icalendar.Calendar.from_ical(data).walk("VTIMEZONE")
    assert zone["TZID"] == "Europe/Amsterdam"
    (summer,), (winter,) = zone.walk("DAYLIGHT"), zone.walk("STANDARD")
    assert summer["RRULE"].to_ical() == b"FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3"
    assert winter["RRULE"].to_ical() == b"FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10"
    hour = timedelta(hours=1)
    assert (summer["TZOFFSETFROM"].td, summer["TZOFFSETTO"].td) == (hour, 2 * hour)
    assert (winter["TZOFFSETFROM"].td, winter["TZOFFSETTO"].td) == (2 * hour, hour)
    assert summer["DTSTART"].dt == datetime(1970, 3, 29, 2, 0)  # the last Sunday, 02:00 local
    assert winter["DTSTART"].dt == datetime(1970, 10, 25, 3, 0)


def test_a_zone_without_daylight_saving_has_one_standard_component():
    data = build_calendar("REQUEST", [meeting()])
    (zone,) = icalendar.Calendar.from_ical(data).walk("VTIMEZONE")
    (standard,) = zone.subcomponents
    assert standard.name == "STANDARD"
    assert standard["TZOFFSETFROM"].td == standard["TZOFFSETTO"].td == timedelta(hours=8)


def test_utc_times_are_written_with_z_and_no_vtimezone():
    data = build_calendar("REQUEST", [meeting(start=at("UTC", date(NEXT_YEAR, 5, 2)))])
    assert b"BEGIN:VTIMEZONE" not in data
    assert f"DTSTART:{NEXT_YEAR}0502T090000Z".encode() in data


def test_the_second_pass_of_a_repeated_hour_is_written_in_utc():
    day = sunday(NEXT_YEAR, 10, -1)  # 02:30 happens twice in Amsterdam; this is the second
    start = datetime(day.year, day.month, day.day, 1, 30, tzinfo=UTC)
    data = build_calendar("REQUEST", [meeting(start=start, timezone="Europe/Amsterdam")])
    assert f"DTSTART:{day:%Y%m%d}T013000Z".encode() in data
    assert utc_start(only_event(data)) == start


def test_a_feed_has_one_vtimezone_per_zone_before_the_events_and_tzids_match():
    events = [
        meeting(uid="a@x", start=at("Europe/Amsterdam", date(NEXT_YEAR, 3, 1))),
        meeting(uid="b@x", start=at("Europe/Amsterdam", date(NEXT_YEAR + 1, 11, 1))),
        meeting(uid="c@x"),
        meeting(uid="d@x", start=at("UTC", date(NEXT_YEAR, 5, 2))),
    ]
    data = build_calendar("PUBLISH", events, name="张建国的会议")
    parsed = icalendar.Calendar.from_ical(data)
    tzids = [str(z["TZID"]) for z in parsed.walk("VTIMEZONE")]
    assert sorted(tzids) == ["Asia/Shanghai", "Europe/Amsterdam"]
    assert data.index(b"BEGIN:VTIMEZONE") < data.rindex(b"END:VTIMEZONE") < data.index(b"BEGIN:VEVENT")
    used = {e["DTSTART"].params.get("TZID") for e in parsed.walk("VEVENT")}
    assert used == {"Asia/Shanghai", "Europe/Amsterdam", None}
    calendar = read(data)
    assert [e.uid.value for e in calendar.contents["vevent"]] == ["a@x", "b@x", "c@x", "d@x"]
    assert calendar.contents["x-wr-calname"][0].value == "张建国的会议"
    assert b"RDATE" not in data


@pytest.mark.parametrize(
    "zone", ["Asia/Shanghai", "Europe/Amsterdam", "Europe/London", "America/New_York", "America/Sao_Paulo",
             "Australia/Sydney", "Asia/Kolkata", "Africa/Casablanca"]
)
def test_no_vtimezone_uses_rdate_lists(zone):
    assert b"RDATE" not in vtimezone_ical(zone, NEXT_YEAR - 10, NEXT_YEAR + 1)


def test_the_vtimezone_is_built_once_and_reused(monkeypatch):
    event = meeting(start=at("Europe/Amsterdam", date(NEXT_YEAR, 6, 1)))
    first = build_calendar("REQUEST", [event])
    cached = vtimezone("Europe/Amsterdam", NEXT_YEAR, NEXT_YEAR)
    assert vtimezone("Europe/Amsterdam", NEXT_YEAR, NEXT_YEAR) is cached

    def no_second_build(*args):
        raise AssertionError("VTIMEZONE built again")

    monkeypatch.setattr(ical, "_transitions", no_second_build)
    again = build_calendar("REQUEST", [replace(event, sequence=4)])
    assert again == first.replace(b"SEQUENCE:3", b"SEQUENCE:4")


def test_the_same_event_builds_to_the_same_bytes():
    # icalendar's Event.new() would invent a UID and DTSTAMP: ours are passed in every time.
    assert build_calendar("REQUEST", [meeting()]) == build_calendar("REQUEST", [meeting()])


# --- what each recipient sees -----------------------------------------------------------------


def test_an_invite_carries_the_itip_fields_every_client_needs():
    data = build_calendar("REQUEST", [meeting()])
    assert data.endswith(b"END:VCALENDAR\r\n") and b"\n" not in data.replace(b"\r\n", b"")
    assert all(len(line) <= 75 for line in data.split(b"\r\n"))
    calendar = read(data)
    assert calendar.method.value == "REQUEST" and calendar.version.value == "2.0"
    event = only_event(data)
    assert event.uid.value == "operation-meeting-42@meetings.example"
    assert event.sequence.value == "3"
    assert event.dtstamp.value == datetime(NEXT_YEAR - 1, 12, 1, 8, 0, tzinfo=UTC)
    assert event.status.value == "CONFIRMED"
    assert event.summary.value == "年中经营工作会议" and event.location.value == "总部一号会议室"
    assert event.description.value == f"Agenda\n1. Report\nJoin: {JOIN}"
    assert event.organizer.value == "mailto:office@group.example"
    assert event.organizer.params["CN"] == ["Meetings Office"]
    unfolded = data.replace(b"\r\n ", b"")
    assert re.search(rb'\r\nORGANIZER;CN="?Meetings Office"?:mailto:office@', unfolded)  # lower-case scheme
    assert unfolded.count(b":mailto:") == 4 and b"MAILTO" not in unfolded
    attendees = {a.value: a.params for a in event.contents["attendee"]}
    assert attendees["mailto:zhang.jianguo@group.example"] == {
        "CN": ["张建国"], "CUTYPE": ["INDIVIDUAL"], "ROLE": ["CHAIR"], "PARTSTAT": ["NEEDS-ACTION"],
        "RSVP": ["TRUE"],
    }
    assert attendees["mailto:li.wei@group.example"]["PARTSTAT"] == ["ACCEPTED"]
    assert attendees["mailto:wang.fang@group.example"]["ROLE"] == ["OPT-PARTICIPANT"]
    assert attendees["mailto:wang.fang@group.example"]["RSVP"] == ["FALSE"]
    (conference,) = event.contents["conference"]
    assert conference.value == JOIN and event.url.value == JOIN
    assert conference.params == {
        "VALUE": ["URI"], "FEATURE": ["AUDIO", "VIDEO"], "LABEL": ["Join the videoconference"],
    }
    alarms = {a.trigger.value: (a.action.value, a.description.value) for a in event.contents["valarm"]}
    assert alarms == {
        timedelta(days=-1): ("DISPLAY", "Tomorrow: 年中经营工作会议"),
        timedelta(hours=-1): ("DISPLAY", "In one hour"),
    }


def test_an_alarm_may_ring_after_the_start_for_a_speakers_later_slot():
    event = only_event(build_calendar("REQUEST", [meeting(alarms=((-75, "Your talk in 15 minutes"),))]))
    assert event.valarm.trigger.value == timedelta(minutes=75)
    assert event.valarm.trigger.params.get("RELATED", ["START"]) == ["START"]


def test_categories_last_modified_and_a_page_link_are_written():
    modified = datetime(NEXT_YEAR - 1, 12, 2, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
    page = "https://meetings.example/meetings/42"
    event = meeting(categories=("Operation meeting", "经营, 年中"), last_modified=modified, url=page,
                    transparency="TRANSPARENT", status="TENTATIVE")
    data = build_calendar("REQUEST", [event])
    parsed = only_event(data)
    assert parsed.categories.value == ["Operation meeting", "经营, 年中"]
    assert f"LAST-MODIFIED:{NEXT_YEAR - 1}1202T013000Z".encode() in data
    assert parsed.url.value == page and parsed.conference.value == JOIN
    assert (parsed.transp.value, parsed.status.value) == ("TRANSPARENT", "TENTATIVE")


def test_delegation_is_written_as_mailto_uris():
    delegator = replace(CHAIR, partstat="DELEGATED", delegated_to="Deputy@Group.example")
    delegate = Attendee("deputy@group.example", "Deputy", "CHAIR", delegated_from=CHAIR.email)
    event = only_event(build_calendar("REQUEST", [meeting(attendees=(delegator, delegate))]))
    params = {a.value: a.params for a in event.contents["attendee"]}
    assert params["mailto:zhang.jianguo@group.example"]["DELEGATED-TO"] == ["mailto:deputy@group.example"]
    assert params["mailto:deputy@group.example"]["DELEGATED-FROM"] == ["mailto:zhang.jianguo@group.example"]


def test_a_cancellation_is_cancelled_whatever_status_it_was_given():
    data = build_calendar("CANCEL", [meeting(sequence=4, status="CONFIRMED")])
    assert read(data).method.value == "CANCEL"
    event = only_event(data)
    assert event.status.value == "CANCELLED" and event.sequence.value == "4"
    assert event.uid.value == "operation-meeting-42@meetings.example"
    assert {a.params["RSVP"][0] for a in event.contents["attendee"]} == {"FALSE"}
    assert "valarm" not in event.contents


def test_a_published_calendar_keeps_the_organizer_and_lists_no_attendees():
    event = only_event(build_calendar("PUBLISH", [meeting()]))
    assert event.organizer.value == "mailto:office@group.example"
    assert "attendee" not in event.contents


@pytest.mark.parametrize(
    ("method", "events", "message"),
    [
        ("REQUEST", [meeting(), meeting(uid="other@x")], "exactly one event"),
        ("CANCEL", [], "exactly one event"),
        ("REPLY", [meeting()], "METHOD"),
        ("REQUEST", [meeting(start=datetime(NEXT_YEAR, 7, 15, 9), timezone="Asia/Shanghai")], "no time zone"),
        ("REQUEST", [meeting(timezone="Mars/Olympus")], "not a known IANA time zone"),
        ("REQUEST", [meeting(organizer_email="")], "needs an ORGANIZER"),
        ("REQUEST", [meeting(status="CANCELLED")], "METHOD:CANCEL"),
        ("REQUEST", [meeting(attendees=(replace(CHAIR, email="a@x.com\r\nATTACH:x"),))], "not an email"),
        ("REQUEST", [meeting(attendees=(replace(CHAIR, ical_role="BOSS"),))], "ROLE"),
        ("REQUEST", [meeting(join_url="https://x.example/join\r\nATTACH:http://e")], "not an absolute http"),
        ("REQUEST", [meeting(join_url="javascript:alert(1)")], "not an absolute http(s) link"),
        ("REQUEST", [meeting(uid="a\r\nATTACH:x")], "UID"),
        ("REQUEST", [meeting(sequence=-1)], "SEQUENCE"),
    ],
)
def test_what_cannot_be_a_valid_invite_is_refused_with_a_reason(method, events, message):
    with pytest.raises(CalendarError, match=re.escape(message)):
        build_calendar(method, events)


# --- nothing typed can change the structure ------------------------------------------------------

INVITE_PROPERTIES = {
    "uid", "sequence", "dtstamp", "dtstart", "dtend", "summary", "description", "location", "status",
    "transp", "url", "conference", "organizer", "attendee", "valarm",
}
EVIL_SUMMARY = "Budget\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nSUMMARY:evil"
EVIL_NAME = 'Evil "Boss"; ROLE=CHAIR:mailto:x@evil.example\r\nATTACH:http://evil.example/a'


def test_typed_text_cannot_add_a_component_a_property_or_a_parameter():
    attendee = Attendee("victim@group.example", EVIL_NAME, "OPT-PARTICIPANT")
    event = meeting(
        summary=EVIL_SUMMARY,
        location="Room 1\r\nX-EVIL:1\nATTACH:http://evil.example",
        description="Line\r\nEND:VEVENT\r\nX-INJECTED:1; \\N, done",
        organizer_name='Office"\r\nATTACH:x',
        join_label='Join";FEATURE=PHONE:tel:1\r\nX-EVIL:1',
        attendees=(attendee,),
        alarms=((15, "Soon\r\nACTION:EMAIL"),),
    )
    data = build_calendar("REQUEST", [event])
    parsed = only_event(data)
    assert set(parsed.contents) == INVITE_PROPERTIES
    assert all(len(values) == 1 for values in parsed.contents.values())
    assert parsed.summary.value == "Budget END:VEVENT BEGIN:VEVENT SUMMARY:evil"
    assert parsed.location.value == "Room 1 X-EVIL:1 ATTACH:http://evil.example"
    assert parsed.description.value == "Line\nEND:VEVENT\nX-INJECTED:1; \\N, done"
    assert parsed.attendee.value == "mailto:victim@group.example"
    assert parsed.attendee.params["ROLE"] == ["OPT-PARTICIPANT"]
    cn = "Evil 'Boss'; ROLE=CHAIR:mailto:x@evil.example ATTACH:http://evil.example/a"
    assert parsed.attendee.params["CN"] == [cn]
    assert parsed.conference.params["FEATURE"] == ["AUDIO", "VIDEO"]
    assert set(parsed.valarm.contents) == {"action", "description", "trigger"}
    assert parsed.valarm.action.value == "DISPLAY"
    other = icalendar.Calendar.from_ical(data).walk("VEVENT")[0]
    assert other["SUMMARY"] == parsed.summary.value and other["DESCRIPTION"] == parsed.description.value
    assert other["ATTENDEE"].params["CN"] == parsed.attendee.params["CN"][0]


_typed = st.text(st.characters(codec="utf-8"), max_size=80)
_printable = st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zl", "Zp")), max_size=80)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(summary=_typed, description=_typed, location=_typed, name=_typed, label=_typed)
def test_no_typed_text_breaks_the_calendar_for_either_parser(summary, description, location, name, label):
    attendee = Attendee("victim@group.example", name, "REQ-PARTICIPANT")
    event = meeting(summary=summary, description=description, location=location, join_label=label,
                    organizer_name=name, attendees=(attendee,), alarms=((10, summary),))
    data = build_calendar("REQUEST", [event])
    parsed = only_event(data)
    assert {"summary", "organizer", "attendee", "conference", "valarm"} <= set(parsed.contents)
    assert set(parsed.contents) <= INVITE_PROPERTIES
    assert all(len(values) == 1 for values in parsed.contents.values())
    assert set(parsed.attendee.params) <= {"CN", "CUTYPE", "ROLE", "PARTSTAT", "RSVP"}
    assert parsed.attendee.params["ROLE"] == ["REQ-PARTICIPANT"]
    assert "\n" not in parsed.summary.value
    other = icalendar.Calendar.from_ical(data).walk("VEVENT")[0]
    assert str(other["SUMMARY"]) == parsed.summary.value


@settings(max_examples=150, deadline=None)
@given(summary=_printable, description=_printable)
@example(summary="\ufeff", description="\ufeff Agenda")  # found on a PostgreSQL run
def test_printable_text_comes_back_as_it_was_typed(summary, description):
    event = meeting(summary=summary, description="Agenda " + description)
    parsed = only_event(build_calendar("REQUEST", [event]))
    # Byte order marks are dropped: vobject would drop one that starts a value.
    assert parsed.summary.value == summary.replace("\ufeff", "").strip()
    assert parsed.description.value == ("Agenda " + description).replace("\ufeff", "").strip()


# --- replies -----------------------------------------------------------------------------------


def fixture(name: str) -> bytes:
    """A reply as a client sent it, with CRLF lines whatever the checkout did to the file."""
    text = (DATA / name).read_text(encoding="utf-8")
    return text.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8")


@pytest.mark.parametrize(
    ("name", "email", "cn", "partstat", "stamp", "delegated_to"),
    [
        ("reply_thunderbird.ics", "zhang.jianguo@group.example", "张建国", "ACCEPTED",
         datetime(2026, 6, 12, 8, 30, 15, tzinfo=UTC), ()),
        ("reply_outlook.ics", "li.wei@branch.group.example", "Li, Wei", "DECLINED",
         datetime(2026, 6, 12, 9, 1, 2, tzinfo=UTC), ()),
        ("reply_apple.ics", "wang.fang@group.example", "Wang Fang", "TENTATIVE",
         datetime(2026, 6, 12, 10, 15, tzinfo=UTC), ()),
        ("reply_google.ics", "chen.jie@gmail.com", "Chen Jie", "DELEGATED",
         datetime(2026, 6, 12, 10, 30, tzinfo=UTC), ("deputy.chen@gmail.com",)),
    ],
)
def test_replies_from_the_common_clients_are_understood(name, email, cn, partstat, stamp, delegated_to):
    reply = parse_reply(fixture(name))
    uid = "operation-meeting-42@meetings.example"
    assert reply == ical.Reply(uid, 3, stamp, email, cn, partstat, delegated_to)


def test_a_reply_may_be_given_as_text_and_mailto_in_any_case():
    text = fixture("reply_thunderbird.ics").decode().replace("mailto:zhang.jiang", "MaIlTo:ZHANG.jiang")
    assert parse_reply(text).attendee_email == "zhang.jianguo@group.example"


def test_a_reply_without_sequence_or_dtstamp_is_sequence_zero_with_no_stamp():
    text = fixture("reply_apple.ics").decode()
    text = text.replace("SEQUENCE:3\r\n", "").replace("DTSTAMP:20260612T101500Z\r\n", "")
    reply = parse_reply(text)
    assert (reply.sequence, reply.stamp, reply.partstat) == (0, None, "TENTATIVE")


@pytest.mark.parametrize("partstat", ["ACCEPTED", "TENTATIVE", "DECLINED"])
def test_build_reply_round_trips_through_parse_reply_and_vobject(partstat):
    answer = replace(SPEAKER, partstat=partstat)
    start = at("Europe/Amsterdam", sunday(NEXT_YEAR, 3, -1) + timedelta(days=1))
    stamp, end = datetime(NEXT_YEAR, 1, 2, tzinfo=UTC), start + timedelta(hours=1)
    data = build_reply("u-1@meetings.example", 5, stamp, answer, "office@group.example",
                       start=start, end=end, timezone="Europe/Amsterdam")
    assert utc_start(read(data).vevent) == start.astimezone(UTC)
    reply = parse_reply(data)
    assert (reply.uid, reply.sequence, reply.attendee_email, reply.partstat) == (
        "u-1@meetings.example", 5, "li.wei@group.example", partstat)


def test_a_delegating_reply_names_the_delegate():
    answer = replace(CHAIR, partstat="DELEGATED", delegated_to="deputy@group.example")
    data = build_reply("u-1@x", 1, datetime(NEXT_YEAR, 1, 2, tzinfo=UTC), answer, "office@group.example")
    assert len(read(data).vevent.contents["attendee"]) == 2
    reply = parse_reply(data)
    assert (reply.attendee_email, reply.attendee_name) == (CHAIR.email, "张建国")
    assert (reply.partstat, reply.delegated_to) == ("DELEGATED", ("deputy@group.example",))


def _reply(event_lines: str, head: str = "METHOD:REPLY\r\n") -> str:
    return (f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n{head}"
            f"BEGIN:VEVENT\r\n{event_lines}END:VEVENT\r\nEND:VCALENDAR\r\n")


_GOOD = "UID:u@x\r\nATTENDEE;PARTSTAT=ACCEPTED:mailto:a@x.example\r\n"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"Hello, I will come to the meeting.", "not iCalendar data"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not iCalendar data"),
        (b"BEGIN:VEVENT\r\nUID:u@x\r\nEND:VEVENT\r\n", "no VCALENDAR"),
        (_reply(_GOOD, head=""), "no METHOD"),
        (_reply(_GOOD, head="METHOD:REQUEST\r\n"), "METHOD:REQUEST"),
        ("BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\nEND:VCALENDAR\r\n", "no event"),
        (_reply(_GOOD + "END:VEVENT\r\nBEGIN:VEVENT\r\n" + _GOOD), "2 events"),
        (_reply("ATTENDEE;PARTSTAT=ACCEPTED:mailto:a@x.example\r\n"), "no UID"),
        (_reply("UID:u@x\r\nSUMMARY:x\r\n"), "no ATTENDEE"),
        (_reply("UID:u@x\r\nATTENDEE;CN=A:mailto:a@x.example\r\n"), "no PARTSTAT"),
        (_reply("UID:u@x\r\nATTENDEE;PARTSTAT=MAYBE:mailto:a@x.example\r\n"), "'MAYBE' is not a known"),
        (_reply("UID:u@x\r\nATTENDEE;PARTSTAT=ACCEPTED:mailto:a@x.example\r\n"
                "ATTENDEE;PARTSTAT=DECLINED:mailto:b@x.example\r\n"), "several attendees"),
        (_reply("UID:u@x\r\nATTENDEE;PARTSTAT=ACCEPTED:urn:uuid:1234\r\n"), "not an email address"),
        (_reply(_GOOD + "SEQUENCE:two\r\n"), "SEQUENCE 'two' is not a whole number"),
        (_reply(_GOOD + "X-PAD:" + "x" * (1024 * 1024) + "\r\n"), "over the limit of 1 MB"),
    ],
)
def test_unusable_replies_are_refused_with_a_reason(data, message):
    with pytest.raises(CalendarError, match=re.escape(message)):
        parse_reply(data)


_FRAGMENTS = [
    "BEGIN:VCALENDAR", "END:VCALENDAR", "BEGIN:VEVENT", "END:VEVENT", "BEGIN:VTIMEZONE", "END:VTIMEZONE",
    "METHOD:REPLY", "METHOD:", "UID:u@x", "UID:", "SEQUENCE:1", "SEQUENCE:-3", "SEQUENCE:x",
    "DTSTAMP:20260101T000000Z",
    "DTSTAMP:2026", "DTSTAMP;TZID=Nowhere:20260101T000000", "ATTENDEE;PARTSTAT=ACCEPTED:mailto:a@x.example",
    "ATTENDEE:MAILTO:", "ATTENDEE;PARTSTAT=;CN=\"x:mailto:b@y.z",
    "ATTENDEE;DELEGATED-TO=\"mailto:\";PARTSTAT=DELEGATED:mailto:a@b.c",
    "ATTENDEE;CN=a,b;PARTSTAT=TENTATIVE:a@b.c", " folded", "\tfolded", "", ":", ";", "X-A;B=C:D",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(_FRAGMENTS), st.text(max_size=20)), max_size=14))
def test_calendar_like_input_raises_nothing_but_calendar_error(lines):
    try:
        parse_reply("\r\n".join(lines))
    except CalendarError:
        pass


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.binary(max_size=300), st.text(max_size=300)))
def test_arbitrary_input_raises_nothing_but_calendar_error(data):
    try:
        parse_reply(data)
    except CalendarError as error:
        assert str(error)


@pytest.mark.parametrize("text", [
    "x" * 300,
    "会" * 200,
    "Agenda: 半年经营工作报告, speeches\\, discussion\\; closing " * 8,
    "a" * 73 + "\\," + "b" * 100,
    "ab" + "€" * 90,
])
def test_long_lines_fold_at_75_octets_without_splitting_characters_or_escapes(text):
    from meetings.invitations.ical import _fold

    folded = _fold("DESCRIPTION:" + text)
    lines = folded.split(b"\r\n")
    assert all(len(line) <= 75 for line in lines)
    assert all(line.startswith(b" ") for line in lines[1:])
    decoded = [line.decode("utf-8") for line in lines]  # raises if a character was split
    assert "".join(part[1:] if n else part for n, part in enumerate(decoded)) == "DESCRIPTION:" + text
    assert not any(line.endswith(b"\\") for line in lines[:-1])
