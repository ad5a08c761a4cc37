from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings, strategies as st

from meetings.core.errors import InvalidInput
from meetings.core.timezones import WallClock, get_zone, isoformat_in, to_utc
from tests.factories import NEXT_YEAR, last_sunday


def test_a_wall_time_is_read_in_its_zone():
    assert to_utc(datetime(NEXT_YEAR, 7, 15, 9, 0), "Asia/Shanghai") == datetime(NEXT_YEAR, 7, 15, 1, 0, tzinfo=timezone.utc)


def test_an_explicit_offset_wins_over_the_zone():
    value = datetime(NEXT_YEAR, 7, 15, 9, 0, tzinfo=timezone(timedelta(hours=2)))
    assert to_utc(value, "Asia/Shanghai") == datetime(NEXT_YEAR, 7, 15, 7, 0, tzinfo=timezone.utc)


def test_a_time_in_the_spring_gap_is_refused_and_says_why():
    day = last_sunday(NEXT_YEAR, 3)  # Europe switches at 02:00 local: 02:30 does not exist
    with pytest.raises(InvalidInput) as error:
        to_utc(datetime(day.year, day.month, day.day, 2, 30), "Europe/Amsterdam", "start")
    assert "does not exist" in error.value.message
    assert error.value.fields == {"start": [error.value.message]}


def test_a_time_in_the_autumn_fold_is_refused_and_says_why():
    day = last_sunday(NEXT_YEAR, 10)  # 02:30 happens twice
    with pytest.raises(InvalidInput) as error:
        to_utc(datetime(day.year, day.month, day.day, 2, 30), "Europe/Amsterdam", "end")
    assert "happens twice" in error.value.message
    assert "end" in error.value.fields


def test_the_hours_around_a_change_are_fine():
    day = last_sunday(NEXT_YEAR, 3)
    before = to_utc(datetime(day.year, day.month, day.day, 1, 59), "Europe/Amsterdam")
    after = to_utc(datetime(day.year, day.month, day.day, 3, 0), "Europe/Amsterdam")
    assert after - before == timedelta(minutes=1)


@pytest.mark.parametrize("name", ["Mars/Olympus", "UTC+8", "", "asia/shanghai", "../etc/passwd"])
def test_unknown_zones_are_refused(name):
    with pytest.raises(InvalidInput) as error:
        get_zone(name)
    assert "IANA" in error.value.message


def test_times_are_written_with_the_zone_offset_of_that_date():
    winter = datetime(NEXT_YEAR, 1, 10, 8, 0, tzinfo=timezone.utc)
    summer = datetime(NEXT_YEAR, 7, 10, 8, 0, tzinfo=timezone.utc)
    assert isoformat_in(winter, "Europe/Amsterdam").endswith("09:00:00+01:00")
    assert isoformat_in(summer, "Europe/Amsterdam").endswith("10:00:00+02:00")


def _wall(utc: datetime, zone: str) -> str:
    """The reference: one instant converted on its own."""
    return utc.astimezone(ZoneInfo(zone)).isoformat(" ")[:19]


def _utc_text(utc: datetime) -> str:
    return utc.strftime("%Y-%m-%d %H:%M:%S.%f")  # as SQLite keeps a UTC column


# Whole hours with a change of an hour (Europe, Detroit), half hours (Kolkata, and Lord Howe, whose
# clocks move by half an hour), three quarters (Kathmandu), a name that is no zone (UTC).
WALL_ZONES = ["Europe/Amsterdam", "America/Detroit", "Asia/Shanghai", "Asia/Kolkata", "Australia/Lord_Howe",
              "Asia/Kathmandu", "Not/A_zone"]


def _changes(zone: str, year: int) -> list[datetime]:
    """The UTC instants (to the minute) at which ``zone`` changes its offset in ``year``."""
    found, tz = [], ZoneInfo(zone)
    instant = datetime(year, 1, 1, tzinfo=timezone.utc)
    while instant.year == year:  # bounded: a year of hours, then an hour of minutes per change
        if instant.astimezone(tz).utcoffset() != (instant + timedelta(hours=1)).astimezone(tz).utcoffset():
            minute = instant
            while minute.astimezone(tz).utcoffset() == instant.astimezone(tz).utcoffset():
                minute += timedelta(minutes=1)
            found.append(minute)
        instant += timedelta(hours=1)
    return found


@pytest.mark.parametrize(("zone", "year", "count"), [
    *((zone, NEXT_YEAR, 2 if zone in ("Europe/Amsterdam", "America/Detroit", "Australia/Lord_Howe") else 0)
      for zone in WALL_ZONES),
    ("America/Moncton", 2005, 2),  # whole hours on both sides, changed at 00:01 local: mid-hour in UTC
])
def test_a_wall_clock_reads_every_second_around_a_change_as_converting_each_would(zone, year, count):
    """A kept hour or minute must not outlive a change of offset: the seconds of the two hours
    around each of the year's changes (and of the meeting's usual day where there are none), in
    time order (so that the hour before a change is kept when the change comes), then backwards."""
    reference = zone if zone != "Not/A_zone" else "UTC"
    wall = WallClock()
    changes = _changes(reference, year)
    assert len(changes) == count
    for change in changes or [datetime(year, 6, 10, 1, 0, tzinfo=timezone.utc)]:
        seconds = [change + timedelta(seconds=n) for n in range(-3600, 3600, 7)]
        seconds += [change + timedelta(seconds=n) for n in (-61, -60, -59, -1, 0, 1, 59, 60, 61)]
        for instant in seconds + seconds[::-1]:
            assert wall(zone, _utc_text(instant)) == _wall(instant, reference), instant


def test_a_wall_clock_is_exact_where_a_zones_offset_has_seconds():
    instant = datetime(1890, 5, 1, 3, 59, 30, tzinfo=timezone.utc)  # Shanghai's local mean time, +08:05:43
    assert WallClock()("Asia/Shanghai", _utc_text(instant)) == _wall(instant, "Asia/Shanghai") == "1890-05-01 12:05:13"


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(WALL_ZONES),
                          st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(2040, 12, 31))),
                min_size=1, max_size=40))
def test_a_wall_clock_agrees_with_converting_each_instant(instants):
    wall = WallClock()  # one for the whole list: what one instant leaves kept must serve the next
    for zone, naive in instants:
        instant = naive.replace(tzinfo=timezone.utc)
        assert wall(zone, _utc_text(instant)) == _wall(instant, zone if zone != "Not/A_zone" else "UTC")
