from datetime import datetime, timedelta, timezone

import pytest

from meetings.core.errors import InvalidInput
from meetings.core.timezones import get_zone, isoformat_in, to_utc
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
