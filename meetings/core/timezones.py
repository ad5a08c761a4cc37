"""The one place where wall-clock times and IANA zones meet UTC.

Everything stored is UTC; everything a person types or reads is a wall time in a named zone.
Wall times that do not exist (the hour skipped when clocks go forward) or that exist twice (the
hour repeated when they go back) are refused with a message that says which, rather than guessed.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

from flask_babel import gettext as _

from meetings.core.errors import InvalidInput

UTC = UTC


_NOT_ZONES = frozenset({"localtime", "posixrules", "Factory"})


@lru_cache(maxsize=1)
def all_zone_names() -> frozenset[str]:
    """Every IANA zone name this installation knows (not the machine's own ``localtime``, nor
    the ``posix/`` and ``right/`` copies)."""
    return frozenset(name for name in available_timezones()
                     if name not in _NOT_ZONES and not name.startswith(("posix/", "right/")))


@lru_cache(maxsize=512)
def get_zone(name: str, field: str = "timezone") -> ZoneInfo:
    """The zone called ``name``; `InvalidInput` naming ``field`` when there is no such zone."""
    if not isinstance(name, str) or name not in all_zone_names():
        raise InvalidInput(_("'%(name)s' is not a known IANA time zone (for example Asia/Shanghai).", name=name),
                           field)
    return ZoneInfo(name)


def is_valid_zone(name: str) -> bool:
    """Whether ``name`` is a known IANA zone."""
    return isinstance(name, str) and name in all_zone_names()


def to_utc(value: datetime, zone_name: str, field: str = "start") -> datetime:
    """The UTC instant for ``value``.

    An aware ``value`` (given with an explicit offset) is taken as it is. A naive one is a wall
    time in ``zone_name``; it must exist exactly once there.
    """
    if value.tzinfo is not None and value.utcoffset() is not None:
        return value.astimezone(UTC)
    zone = get_zone(zone_name)
    first = value.replace(tzinfo=zone, fold=0)
    second = value.replace(tzinfo=zone, fold=1)
    if first.utcoffset() != second.utcoffset():
        wall = value.strftime("%Y-%m-%d %H:%M")
        if first.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != value:
            raise InvalidInput(
                _("%(wall)s does not exist in %(zone)s: the clocks skip that hour when daylight "
                  "saving time starts. Choose another time.", wall=wall, zone=zone_name),
                field,
            )
        raise InvalidInput(
            _("%(wall)s happens twice in %(zone)s: the clocks repeat that hour when daylight "
              "saving time ends. Choose another time, or give it with an explicit UTC offset.",
              wall=wall, zone=zone_name),
            field,
        )
    return first.astimezone(UTC)


def localize(value: datetime, zone_name: str) -> datetime:
    """``value`` (aware) as a wall time in ``zone_name``, aware."""
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r}")
    return value.astimezone(get_zone(zone_name))


def isoformat_in(value: datetime, zone_name: str) -> str:
    """ISO 8601 with the offset that ``zone_name`` has at ``value``, to the second."""
    return localize(value, zone_name).isoformat(timespec="seconds")


def minutes(n: int) -> timedelta:
    """A duration of ``n`` minutes."""
    return timedelta(minutes=n)


#: The zone of the group's headquarters: where people without one are assumed to be.
DEFAULT_ZONE = "Asia/Shanghai"
