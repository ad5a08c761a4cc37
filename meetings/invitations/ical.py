"""Every calendar object of the service: iTIP REQUEST, CANCEL and PUBLISH built with `icalendar`,
and the REPLY that calendar clients send back, parsed.

It works on the frozen dataclasses below, which the caller fills in from its models; it knows
nothing of Flask, the database or the models. Text a person typed never reaches the output
unchecked: property text is escaped, parameter values are cleaned and quoted, addresses and
links are validated, so no input can add a property, a parameter or a component.
"""

from __future__ import annotations

import re
from calendar import monthrange
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from icalendar import Alarm, Calendar, Timezone, TimezoneDaylight, TimezoneStandard
from icalendar import Event as VEvent
from icalendar.prop import vCalAddress, vDDDTypes, vDuration, vInt, vRecur, vText, vUri, vUTCOffset

from meetings.core.emails import EmailAddressError, normalize_email

UTC = UTC
ROLES = frozenset({"CHAIR", "REQ-PARTICIPANT", "OPT-PARTICIPANT", "NON-PARTICIPANT"})
PARTSTATS = frozenset({"NEEDS-ACTION", "ACCEPTED", "TENTATIVE", "DECLINED", "DELEGATED"})
STATUSES = frozenset({"CONFIRMED", "CANCELLED", "TENTATIVE"})
TRANSPARENCIES = frozenset({"OPAQUE", "TRANSPARENT"})
METHODS = frozenset({"REQUEST", "CANCEL", "PUBLISH"})
MAX_REPLY_BYTES = 1024 * 1024
#: Zones written as UTC times (`Z`) with no VTIMEZONE.
UTC_ZONES = frozenset(
    {"UTC", "Etc/UTC", "Etc/UCT", "UCT", "Etc/Universal", "Universal", "Etc/Zulu", "Zulu"}
)


class CalendarError(ValueError):
    """A calendar object that cannot be built or read; the message says why, for a person."""


@dataclass(frozen=True)
class Attendee:
    email: str  #: plain address, lower case
    name: str  #: CN
    ical_role: str  #: CHAIR | REQ-PARTICIPANT | OPT-PARTICIPANT | NON-PARTICIPANT
    partstat: str = "NEEDS-ACTION"  #: NEEDS-ACTION | ACCEPTED | TENTATIVE | DECLINED | DELEGATED
    rsvp: bool = True
    delegated_to: str | None = None  #: email
    delegated_from: str | None = None  #: email


@dataclass(frozen=True)
class Event:
    uid: str
    sequence: int
    stamp: datetime  #: aware (DTSTAMP, written in UTC)
    start: datetime  #: aware, any zone; written in `timezone`
    end: datetime
    timezone: str  #: IANA zone the times are written in (TZID and VTIMEZONE)
    summary: str
    description: str = ""
    location: str = ""
    url: str | None = None  #: URL; the join link when not given
    join_url: str | None = None  #: our own /join/TOKEN link, written as CONFERENCE (RFC 7986)
    #: CONFERENCE's LABEL, in the reader's language: the caller chooses every text (none: no LABEL)
    join_label: str = ""
    organizer_email: str = ""
    organizer_name: str = ""
    attendees: tuple[Attendee, ...] = ()
    #: (minutes before the start, text): VALARM DISPLAY; negative rings after the start (a
    #: speaker's slot later in the meeting)
    alarms: tuple[tuple[int, str], ...] = ()
    status: str = "CONFIRMED"  #: CONFIRMED | CANCELLED | TENTATIVE
    categories: tuple[str, ...] = ()
    last_modified: datetime | None = None
    transparency: str = "OPAQUE"  #: OPAQUE | TRANSPARENT


@dataclass(frozen=True)
class Reply:
    uid: str
    sequence: int
    stamp: datetime | None  #: aware UTC
    attendee_email: str  #: lower case, without mailto:
    attendee_name: str | None
    partstat: str  #: upper case
    delegated_to: tuple[str, ...]  #: emails, lower case


# --- text, parameters, addresses -----------------------------------------------------------

# Everything some parser (Python's splitlines, vobject, ical.js) may take for a line break.
_BREAKS = re.compile("\r\n|[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
# Characters no text may carry: controls, lone surrogates, and the byte order mark (U+FEFF,
# invisible, pasted in from Windows files), which vobject drops when it starts a value: dropped
# everywhere, so every parser reads the same text.
_CONTROLS = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufeff]")
_BREAK_RUN = re.compile("[ \t]*\n[ \t\n]*")
_URL = re.compile(r"https?://[!#-;=?-\[\]_a-z~]+", re.IGNORECASE)
_MAILTO = re.compile("mailto:", re.IGNORECASE)


def _multiline(value: str) -> str:
    return _CONTROLS.sub("", _BREAKS.sub("\n", value)).strip()


def _single_line(value: str) -> str:
    return _BREAK_RUN.sub(" ", _multiline(value))


def _param(value: str) -> str:
    # icalendar quotes values holding , ; : and would write a `"` as RFC 6868 `^'`, which
    # Outlook shows as it is: an apostrophe reads the same everywhere.
    return _single_line(value).replace("\t", " ").replace('"', "'")


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


class _Text(vText):
    """TEXT escaped by RFC 5545 alone: icalendar 7.3.2's own escaping first turns a typed
    backslash-N (`C:\\New`) into a line break."""

    __slots__ = ()

    def to_ical(self) -> bytes:
        return _escape(self).encode("utf-8")


class _TextList(vText):
    """A list of TEXT values (CATEGORIES), each escaped, joined by commas."""

    __slots__ = ("items",)
    items: tuple[str, ...]

    def __new__(cls, items: Sequence[str]) -> _TextList:
        self = super().__new__(cls, ",".join(items))
        self.items = tuple(items)
        return self

    def to_ical(self) -> bytes:
        return ",".join(_escape(item) for item in self.items).encode("utf-8")


def _address(email: str, what: str) -> vCalAddress:
    # The one grammar of `meetings.core.emails`, as the directory and delivery read addresses.
    try:
        plain = normalize_email(_MAILTO.sub("", email.strip(), count=1))
    except EmailAddressError as error:
        raise CalendarError(f"{what} {email!r} is not an email address: {error.reason}") from None
    return vCalAddress("mailto:" + plain)


def _person(email: str, name: str, what: str) -> vCalAddress:
    address = _address(email, what)
    if cn := _param(name):
        address.params["CN"] = cn
    return address


def _uri(url: str, what: str) -> vUri:
    if not url.isascii() or not _URL.fullmatch(url):
        raise CalendarError(f"{what} {url!r} is not an absolute http(s) link.")
    return vUri(url)


def _utc(value: datetime, what: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise CalendarError(f"{what} {value!r} has no time zone.")
    return value.astimezone(UTC)


def _one_of(value: str, allowed: frozenset[str], what: str) -> str:
    if value not in allowed:
        raise CalendarError(f"{what} {value!r} is not one of {', '.join(sorted(allowed))}.")
    return value


# --- time zones ------------------------------------------------------------------------------

_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


class _Transition(NamedTuple):
    wall: datetime  #: naive local time of the change, on the clock before it
    before: timedelta
    after: timedelta
    name: str  #: abbreviation after the change
    dst: bool  #: daylight saving time after the change


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    """The IANA zone ``name``; `CalendarError` when there is none."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        raise CalendarError(f"{name!r} is not a known IANA time zone.") from exc


def _transitions(tz: ZoneInfo, first_year: int, last_year: int) -> list[_Transition]:
    """The offset changes whose local date falls in the years given, to the second."""

    def offset(ts: int) -> timedelta:
        return datetime.fromtimestamp(ts, tz).utcoffset() or timedelta(0)  # never None: it is aware

    start = int(datetime(first_year, 1, 1, tzinfo=UTC).timestamp()) - 86400
    stop = int(datetime(last_year + 1, 1, 1, tzinfo=UTC).timestamp()) + 86400
    found = []
    ts, current = start, offset(start)
    while ts < stop:
        nxt = ts + 86400
        after = offset(nxt)
        if after != current:
            low, high = ts, nxt  # offset(low) == current, offset(high) == after
            while high - low > 1:
                mid = (low + high) // 2
                low, high = (mid, high) if offset(mid) == current else (low, mid)
            moment = datetime.fromtimestamp(high, tz)
            wall = (moment.astimezone(UTC) + current).replace(tzinfo=None)
            if first_year <= wall.year <= last_year:
                name, dst = moment.tzname() or "", bool(moment.dst())
                found.append(_Transition(wall, current, after, name, dst))
        ts, current = nxt, after
    return found


def _byday(wall: datetime) -> set[str]:
    """The BYDAY values of a yearly rule that falls on ``wall``'s date: nth and maybe last."""
    weekday = _WEEKDAYS[wall.weekday()]
    rules = {f"{(wall.day - 1) // 7 + 1}{weekday}"}
    if wall.day + 7 > monthrange(wall.year, wall.month)[1]:
        rules.add(f"-1{weekday}")
    return rules


def _yearly_rule(changes: list[_Transition]) -> dict | None:
    """The RRULE that yields exactly these changes (one a year), or None."""
    first = changes[0]
    shape = (first.wall.month, first.wall.time(), first.before, first.after)
    if any((c.wall.month, c.wall.time(), c.before, c.after) != shape for c in changes):
        return None
    fits = set.intersection(*(_byday(c.wall) for c in changes))
    if not fits:
        return None
    byday = next((rule for rule in fits if rule.startswith("-1")), min(fits))
    return {"FREQ": "YEARLY", "BYMONTH": first.wall.month, "BYDAY": byday}


def _rule_day(year: int, rule: dict) -> date:
    """The day of ``year`` that a yearly BYMONTH/BYDAY rule falls on."""
    month, byday = rule["BYMONTH"], rule["BYDAY"]
    weekday, nth = _WEEKDAYS.index(byday[-2:]), int(byday[:-2])
    if nth < 0:
        day = date(year, month, monthrange(year, month)[1])
        return day - timedelta(days=(day.weekday() - weekday) % 7)
    day = date(year, month, 1)
    return day + timedelta(days=(weekday - day.weekday()) % 7 + 7 * (nth - 1))


def _observance(daylight: bool, wall: datetime, before, after, name: str, rule=None):
    part = TimezoneDaylight() if daylight else TimezoneStandard()
    part.add("DTSTART", wall)
    if rule:
        part.add("RRULE", vRecur(rule))
    part.add("TZOFFSETFROM", vUTCOffset(before))
    part.add("TZOFFSETTO", vUTCOffset(after))
    if name:
        part.add("TZNAME", _Text(_param(name)))
    return part


@lru_cache(maxsize=256)
def vtimezone(zone_name: str, first_year: int, last_year: int) -> Timezone:
    """The VTIMEZONE of ``zone_name`` that holds for events from ``first_year`` to ``last_year``.

    Built once per zone and years, then shared: do not change what it returns. Where the zone
    changes its clocks by one regular yearly rule (the same nth or last weekday of a month) in
    every year around the events, it has RRULE form starting in 1970, as most clients write it
    (vobject takes a +0000 zone whose rules start after 2020 for UTC); otherwise one component
    per change with a single DTSTART each, from the year before the events to the year after,
    never the comma-separated RDATE lists that ical.js and vobject read an hour wrong.
    """
    tz = _zone(zone_name)
    years = range(first_year - 1, last_year + 2)  # a year of margin: January sits in December's rule
    changes = _transitions(tz, years[0], years[-1])
    component = Timezone()
    component.add("TZID", _Text(zone_name))
    per_year = [[c for c in changes if c.wall.year == year] for year in years]
    if all(len(pair) == 2 and pair[0].after != pair[1].after for pair in per_year):
        up = [max(pair, key=lambda c: c.after) for pair in per_year]
        down = [min(pair, key=lambda c: c.after) for pair in per_year]
        up_rule, down_rule = _yearly_rule(up), _yearly_rule(down)
        if up_rule and down_rule:
            for group, rule, daylight in ((up, up_rule, True), (down, down_rule, False)):
                c = group[0]
                onset = datetime.combine(_rule_day(1970, rule), c.wall.time())
                component.add_component(_observance(daylight, onset, c.before, c.after, c.name, rule))
            return component
    begin = datetime(years[0], 1, 1)
    here = datetime(years[0], 1, 1, tzinfo=tz)
    offset = here.utcoffset()
    component.add_component(
        _observance(bool(here.dst()) and bool(changes), begin, offset, offset, here.tzname() or "")
    )
    for c in changes:
        component.add_component(_observance(c.dst, c.wall, c.before, c.after, c.name))
    return component


@lru_cache(maxsize=256)
def vtimezone_lines(zone_name: str, first_year: int, last_year: int) -> tuple[str, ...]:
    """`vtimezone` as content lines (unfolded), once."""
    component = vtimezone(zone_name, first_year, last_year)
    return tuple(str(line) for line in component.content_lines(sorted=False) if line)


def vtimezone_ical(zone_name: str, first_year: int, last_year: int) -> bytes:
    """`vtimezone` serialised."""
    return fold_lines(vtimezone_lines(zone_name, first_year, last_year))


# --- building --------------------------------------------------------------------------------


def _when(value: datetime, zone_name: str, what: str) -> vDDDTypes:
    moment = _utc(value, what)
    if zone_name in UTC_ZONES:
        return vDDDTypes(moment)
    local = moment.astimezone(_zone(zone_name))
    if local.fold and local.replace(fold=0).utcoffset() != local.utcoffset():
        # The second pass of the hour repeated when clocks go back: a wall time with TZID names
        # the first pass (RFC 5545 §3.3.5), so this instant is written in UTC.
        return vDDDTypes(moment)
    prop = vDDDTypes(local)
    prop.params["TZID"] = zone_name
    return prop


def _attendee(person: Attendee, method: str) -> vCalAddress:
    address = _person(person.email, person.name, "Attendee")
    params = address.params
    params["CUTYPE"] = "INDIVIDUAL"
    params["ROLE"] = _one_of(person.ical_role, ROLES, "ROLE")
    params["PARTSTAT"] = _one_of(person.partstat, PARTSTATS, "PARTSTAT")
    params["RSVP"] = "TRUE" if person.rsvp and method == "REQUEST" else "FALSE"
    if person.delegated_to:
        params["DELEGATED-TO"] = str(_address(person.delegated_to, "DELEGATED-TO"))
    if person.delegated_from:
        params["DELEGATED-FROM"] = str(_address(person.delegated_from, "DELEGATED-FROM"))
    return address


def _uid(value: str) -> _Text:
    if not value or value != _single_line(value):
        raise CalendarError(f"UID {value!r} is empty or holds line breaks or control characters.")
    return _Text(value)


def _vevent(method: str, event: Event) -> VEvent:
    if event.sequence < 0:
        raise CalendarError(f"SEQUENCE {event.sequence} is negative.")
    if _utc(event.end, "DTEND") < _utc(event.start, "DTSTART"):
        raise CalendarError("The event ends before it starts.")
    out = VEvent()
    out.add("UID", _uid(event.uid))
    out.add("SEQUENCE", vInt(event.sequence))
    out.add("DTSTAMP", vDDDTypes(_utc(event.stamp, "DTSTAMP")))
    out.add("DTSTART", _when(event.start, event.timezone, "DTSTART"))
    out.add("DTEND", _when(event.end, event.timezone, "DTEND"))
    if event.last_modified is not None:
        out.add("LAST-MODIFIED", vDDDTypes(_utc(event.last_modified, "LAST-MODIFIED")))
    out.add("SUMMARY", _Text(_single_line(event.summary)))
    if description := _multiline(event.description):
        out.add("DESCRIPTION", _Text(description))
    if location := _single_line(event.location):
        out.add("LOCATION", _Text(location))
    status = "CANCELLED" if method == "CANCEL" else _one_of(event.status, STATUSES, "STATUS")
    if method == "REQUEST" and status == "CANCELLED":
        raise CalendarError("A cancelled event goes out with METHOD:CANCEL, not REQUEST.")
    out.add("STATUS", status)
    out.add("TRANSP", _one_of(event.transparency, TRANSPARENCIES, "TRANSP"))
    if categories := [c for c in map(_single_line, event.categories) if c]:
        out.add("CATEGORIES", _TextList(categories))
    if url := event.url or event.join_url:
        out.add("URL", _uri(url, "URL"))
    if event.join_url:
        conference = _uri(event.join_url, "Join link")
        conference.params.update(VALUE="URI", FEATURE=["AUDIO", "VIDEO"])
        if label := _param(event.join_label):
            conference.params["LABEL"] = label
        out.add("CONFERENCE", conference)
    if event.organizer_email:
        out.add("ORGANIZER", _person(event.organizer_email, event.organizer_name, "Organizer"))
    elif method != "PUBLISH":
        raise CalendarError(f"METHOD:{method} needs an ORGANIZER (organizer_email).")
    if method != "PUBLISH":  # RFC 5546 §3.2.1: a PUBLISH carries no ATTENDEE
        for person in event.attendees:
            out.add("ATTENDEE", _attendee(person, method))
    if method != "CANCEL":
        for minutes, text in event.alarms:
            alarm = Alarm()
            alarm.add("ACTION", "DISPLAY")
            alarm.add("DESCRIPTION", _Text(_single_line(text) or _single_line(event.summary)))
            alarm.add("TRIGGER", vDuration(timedelta(minutes=-minutes)))
            out.add_component(alarm)
    return out


def _fold(line: str) -> bytes:
    """One content line, folded at 75 octets (RFC 5545 §3.1), never inside a UTF-8 character or
    right after a backslash or caret escape.

    icalendar folds character by character, which is most of the cost of an invite with an
    agenda in its description; this slices the encoded bytes instead.
    """
    data = line.encode("utf-8")
    if len(data) < 75:
        return data
    chunks, start, size = [], 0, len(data)
    while start < size:
        end = min(start + 74, size)
        if end < size:
            while end > start + 1 and (data[end] & 0xC0) == 0x80:
                end -= 1  # a continuation byte: the character starts earlier
            if end > start + 2 and data[end - 1] in b"\\^":
                end -= 1  # keep an escape together with what it escapes
        chunks.append(data[start:end])
        start = end
    return b"\r\n ".join(chunks)


def calendar_lines(
    method: str,
    events: Sequence[Event],
    *,
    prodid: str = "-//meetings//operation meetings//EN",
    name: str | None = None,
) -> list[str]:
    """The content lines of `build_calendar`, unfolded: for callers that fill in a few values
    per recipient (a mail merge) before folding them with `fold_lines`."""
    _one_of(method, METHODS, "METHOD")
    if method != "PUBLISH" and len(events) != 1:
        raise CalendarError(f"METHOD:{method} carries exactly one event, not {len(events)}.")
    out = Calendar()
    out.add("PRODID", _Text(_single_line(prodid)))
    out.add("VERSION", "2.0")
    out.add("CALSCALE", "GREGORIAN")
    out.add("METHOD", method)
    if name and (title := _single_line(name)):
        out.add("NAME", _Text(title))
        out.add("X-WR-CALNAME", _Text(title))
    years: dict[str, tuple[int, int]] = {}
    for event in events:
        if event.timezone in UTC_ZONES:
            continue
        tz = _zone(event.timezone)
        first = _utc(event.start, "DTSTART").astimezone(tz).year
        last = _utc(event.end, "DTEND").astimezone(tz).year
        known = years.get(event.timezone, (first, last))
        years[event.timezone] = (min(known[0], first), max(known[1], last))
    for event in events:
        out.add_component(_vevent(method, event))
    lines = [str(line) for line in out.content_lines(sorted=False) if line]
    if not years:
        return lines
    # The cached VTIMEZONEs go in as they are, before the first event: building them again
    # would double the cost of a one-event invite.
    at = lines.index("BEGIN:VEVENT")
    zones = [line for zone_name, span in years.items() for line in vtimezone_lines(zone_name, *span)]
    return lines[:at] + zones + lines[at:]


def fold_lines(lines: Sequence[str]) -> bytes:
    """Content lines as an iCalendar file: each folded at 75 octets, CRLF after each."""
    return b"\r\n".join(_fold(line) for line in lines) + b"\r\n"


def build_calendar(
    method: str,
    events: Sequence[Event],
    *,
    prodid: str = "-//meetings//operation meetings//EN",
    name: str | None = None,
) -> bytes:
    """One VCALENDAR, UTF-8, CRLF lines folded at 75 octets: METHOD:REQUEST (an invite or an
    update) or CANCEL with exactly one event, or PUBLISH (a download or feed) with any number.
    One VTIMEZONE per zone used, from the cache, comes before the events."""
    return fold_lines(calendar_lines(method, events, prodid=prodid, name=name))


def quoted_param(value: str) -> str:
    """A parameter value (a CN) as a quoted string, safe for any name: what a mail merge puts
    in place of a placeholder name."""
    return f'"{_param(value)}"'


def check_address(email: str) -> str:
    """``email`` as it goes after ``mailto:`` (lower case); `CalendarError` if it is not one."""
    return str(_address(email, "Address"))[len("mailto:"):]


def build_reply(
    event_uid: str,
    sequence: int,
    stamp: datetime,
    attendee: Attendee,
    organizer_email: str,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    timezone: str | None = None,
) -> bytes:
    """METHOD:REPLY as a calendar client sends it: the attendee's answer, and with a delegation
    the delegate as a second ATTENDEE (RFC 5546 §4.2.5). For tests and tools."""
    out = Calendar()
    out.add("PRODID", _Text("-//meetings//reply tool//EN"))
    out.add("VERSION", "2.0")
    out.add("METHOD", "REPLY")
    zone_name = timezone or "UTC"
    if start is not None and zone_name not in UTC_ZONES:
        year = _utc(start, "DTSTART").astimezone(_zone(zone_name)).year
        out.add_component(vtimezone(zone_name, year, year + 1))
    reply = VEvent()
    reply.add("UID", _uid(event_uid))
    reply.add("SEQUENCE", vInt(sequence))
    reply.add("DTSTAMP", vDDDTypes(_utc(stamp, "DTSTAMP")))
    if start is not None:
        reply.add("DTSTART", _when(start, zone_name, "DTSTART"))
    if end is not None:
        reply.add("DTEND", _when(end, zone_name, "DTEND"))
    reply.add("ORGANIZER", _address(organizer_email, "Organizer"))
    answer = _person(attendee.email, attendee.name, "Attendee")
    answer.params["PARTSTAT"] = _one_of(attendee.partstat, PARTSTATS, "PARTSTAT")
    if attendee.delegated_to:
        delegate = _address(attendee.delegated_to, "DELEGATED-TO")
        answer.params["DELEGATED-TO"] = str(delegate)
        delegate.params.update({"RSVP": "TRUE", "DELEGATED-FROM": str(answer)})
        reply.add("ATTENDEE", answer)
        reply.add("ATTENDEE", delegate)
    else:
        reply.add("ATTENDEE", answer)
    out.add_component(reply)
    return out.to_ical(sorted=False)


# --- parsing ---------------------------------------------------------------------------------


def _text_of(value) -> str:
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    return str(value) if value is not None else ""


def _single(component, name: str, what: str):
    value = component.get(name)
    if isinstance(value, list):
        raise CalendarError(f"The reply has {len(value)} {name} properties; {what} has one.")
    return value


def _email_of(value) -> str | None:
    try:
        return normalize_email(_MAILTO.sub("", _text_of(value).strip(), count=1))
    except EmailAddressError:
        return None


def _read(data: bytes | str) -> Calendar:
    raw = data.encode("utf-8", "replace") if isinstance(data, str) else bytes(data)
    if len(raw) > MAX_REPLY_BYTES:
        raise CalendarError(
            f"The reply is {len(raw):,} bytes, over the limit of 1 MB; a calendar reply is a few kB."
        )
    text = raw.decode("utf-8", "replace").lstrip("\ufeff")
    if not text.strip():
        raise CalendarError("The reply is empty: it is not iCalendar data.")
    try:
        components = Calendar.from_ical(text, multiple=True)
    except Exception as exc:  # noqa: BLE001 - icalendar raises several kinds on arbitrary input
        raise CalendarError(f"This is not iCalendar data: it could not be read ({exc}).") from exc
    calendars = [c for c in components if c.name == "VCALENDAR"]
    if not calendars:
        raise CalendarError("The iCalendar data has no VCALENDAR: it is not a calendar reply.")
    if len(calendars) > 1:
        raise CalendarError(f"The data holds {len(calendars)} calendars; a reply is one VCALENDAR.")
    return calendars[0]


def parse_reply(data: bytes | str) -> Reply:
    """The answer in a calendar client's METHOD:REPLY (Thunderbird, Outlook, Apple, Google).

    Raises `CalendarError`, and nothing else, with a message a person can act on.
    """
    cal = _read(data)
    method = _text_of(_single(cal, "METHOD", "a calendar")).strip().upper()
    if method != "REPLY":
        found = f"METHOD:{method}" if method else "no METHOD"
        raise CalendarError(f"The calendar has {found}; a reply to an invitation has METHOD:REPLY.")
    events = [c for c in cal.subcomponents if c.name == "VEVENT"]
    if not events:
        raise CalendarError("The reply holds no event (VEVENT).")
    if len(events) > 1:
        raise CalendarError(f"The reply holds {len(events)} events; a reply answers one meeting.")
    event = events[0]
    uid = _single_line(_text_of(_single(event, "UID", "an event")))
    if not uid:
        raise CalendarError("The reply's event has no UID, so it matches no meeting.")
    sequence = _single(event, "SEQUENCE", "an event")
    if sequence is None:
        number = 0
    elif isinstance(sequence, int) and sequence >= 0:
        number = int(sequence)
    else:
        raise CalendarError(f"The reply's SEQUENCE {_text_of(sequence)!r} is not a whole number.")
    attendees = event.get("ATTENDEE")
    if attendees is None:
        raise CalendarError("The reply names no ATTENDEE, so it is nobody's answer.")
    if not isinstance(attendees, list):
        attendees = [attendees]
    answering = [a for a in attendees if _text_of(getattr(a, "params", {}).get("PARTSTAT")).strip()]
    if len(answering) > 1:  # a delegate listed beside the delegator has not answered yet
        answering = [a for a in answering if _text_of(a.params["PARTSTAT"]).upper() != "NEEDS-ACTION"]
    if not answering:
        raise CalendarError("The reply's ATTENDEE has no PARTSTAT: it does not say the answer.")
    if len(answering) > 1:
        who = ", ".join(_text_of(a) for a in answering)
        raise CalendarError(f"The reply holds answers from several attendees ({who}); whose is it?")
    attendee = answering[0]
    email = _email_of(attendee)
    if email is None:
        raise CalendarError(f"The reply's ATTENDEE {_text_of(attendee)!r} is not an email address.")
    partstat = _text_of(attendee.params["PARTSTAT"]).strip().upper()
    if partstat not in PARTSTATS:
        known = ", ".join(sorted(PARTSTATS))
        raise CalendarError(f"The reply's PARTSTAT {partstat!r} is not a known answer ({known}).")
    delegated = attendee.params.get("DELEGATED-TO") or ()
    delegated = [delegated] if isinstance(delegated, str) else list(delegated)
    name = _single_line(_text_of(attendee.params.get("CN")).strip('"'))
    return Reply(
        uid=uid,
        sequence=number,
        stamp=_stamp(event.get("DTSTAMP")),
        attendee_email=email,
        attendee_name=name or None,
        partstat=partstat,
        delegated_to=tuple(e for e in map(_email_of, delegated) if e),
    )


def _stamp(value) -> datetime | None:
    """DTSTAMP in UTC; a floating one taken as UTC; missing or unreadable, None (it is optional)."""
    moment = getattr(value, "dt", None)
    if not isinstance(moment, datetime):
        return None
    if moment.utcoffset() is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
