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


class WallClock:
    """Local wall-clock text for many UTC instants, as bulk exports write them: ``wall(zone,
    utc)`` takes ``"YYYY-MM-DD HH:MM:SS"`` in UTC (more after it is ignored) and gives the same
    form in ``zone``'s local time; a name that is not an IANA zone reads as UTC. One per export:
    it keeps what it converted.

    Answers and check-ins cluster in time, and converting each costs more than the rest of an
    export's row: each (zone, UTC hour) is converted once. When the zone's offset is a whole
    number of hours and the same at the hour's first and last second, every instant of that hour
    is the hour's local text with the UTC minutes and seconds copied; that is exact because no
    zone changes its offset twice within an hour (tzdata's closest changes are days apart).
    Otherwise (the hour of a change, offsets such as +05:30) each (zone, UTC minute) is converted
    once and the seconds copied when the offset is whole minutes, and each instant on its own
    when it is not (local mean times before 1900).
    """

    def __init__(self) -> None:
        self._zones: dict[str, ZoneInfo] = {}
        #: (zone, "YYYY-MM-DD HH") -> the hour's local "YYYY-MM-DD HH", or "" (not whole hours)
        self._hours: dict[tuple[str, str], str] = {}
        #: (zone, "YYYY-MM-DD HH:MM") -> the minute's local text, or "" (not whole minutes)
        self._minutes: dict[tuple[str, str], str] = {}

    def __call__(self, zone_name: str, utc: str) -> str:
        """``utc`` (``YYYY-MM-DD HH:MM:SS``, UTC) as local wall-clock text in ``zone_name``."""
        hour = self._hours.get((zone_name, utc[:13]))
        if hour is None:
            hour = self._hours[(zone_name, utc[:13])] = self._prefix(zone_name, utc[:13] + ":00:00", 3600)
        if hour:
            return hour + utc[13:19]
        minute = self._minutes.get((zone_name, utc[:16]))
        if minute is None:
            minute = self._minutes[(zone_name, utc[:16])] = self._prefix(zone_name, utc[:16] + ":00", 60)
        if minute:
            return minute + utc[16:19]
        return self._local(zone_name, utc[:19]).isoformat(" ")[:19]

    def _zone(self, name: str) -> ZoneInfo:
        zone = self._zones.get(name)
        if zone is None:
            zone = self._zones[name] = get_zone(name if is_valid_zone(name) else "UTC")
        return zone

    def _local(self, zone_name: str, utc: str, later: int = 0) -> datetime:
        instant = datetime.fromisoformat(utc).replace(tzinfo=UTC) + timedelta(seconds=later)
        return instant.astimezone(self._zone(zone_name))

    def _prefix(self, zone_name: str, start: str, seconds: int) -> str:
        """The local text of the ``seconds`` from ``start`` (UTC, whole seconds) to the last of
        their digits that change (the hour's "YYYY-MM-DD HH", the minute's "YYYY-MM-DD HH:MM"),
        if one offset holds from their first second to their last and is a whole number of
        them; "" if not."""
        first, last = self._local(zone_name, start), self._local(zone_name, start, seconds - 1)
        offset = first.utcoffset()
        if offset is None or offset != last.utcoffset() or offset.total_seconds() % seconds:
            return ""
        return first.isoformat(" ")[:13 if seconds == 3600 else 16]


def minutes(n: int) -> timedelta:
    """A duration of ``n`` minutes."""
    return timedelta(minutes=n)


#: The zone of the group's headquarters: where people without one are assumed to be.
DEFAULT_ZONE = "Asia/Shanghai"
