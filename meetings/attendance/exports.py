"""The attendance exports: one row per invitation, as CSV or XLSX, streamed.

Rows come from one SELECT read in batches (``yield_per``: a server-side cursor on PostgreSQL,
SQLite steps through its own), so memory stays flat whatever the number of invitations; sites
and units come as ids, named from the meeting's sites and the directory's units read just
before (`_Names`). Local times are converted once per zone and hour (`WallClock`). The
CSV is produced chunk by chunk as the response goes out; the XLSX is written by XlsxWriter in
``constant_memory`` mode to a temporary file that is then streamed and deleted.

A streamed body runs after the view has returned, when the request's database session is gone
(DESIGN.md §6): what the export needs of its meeting is read first, as plain values (`Scope`),
and the rows are read inside the stream, in a session of its own. The audit log notes an export
once it has been produced, not when it was asked for.

What people typed never becomes something a spreadsheet runs: CSV cells that begin with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return get a leading single quote (OWASP, CSV
injection), and XLSX cells are written as strings with formulas off.

The headers are in ``templates/attendance/export_headers.txt`` and the words for roles, answers,
ways of attending and of checking in in ``templates/_labels.txt`` (one place each, to
translate): both are written in the language of whoever exports (the request's).
"""

from __future__ import annotations

import csv
import io
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import chain, islice
from typing import Any, BinaryIO

import sqlalchemy as sa
import xlsxwriter
from flask import current_app

from meetings.accounts import audit
from meetings.attendance.models import CheckIn, CheckinMethod
from meetings.attendance.services import latest_head_counts
from meetings.core.database import write_apart
from meetings.core.db import utc_text
from meetings.core.errors import InvalidInput
from meetings.core.roles import Role
from meetings.core.timezones import WallClock
from meetings.directory.models import Person, Unit
from meetings.directory.services import unit_and_descendant_ids
from meetings.extensions import db
from meetings.invitations.models import Invitation, Mode, Response
from meetings.scheduling.models import Meeting, Site, SiteKind

#: The columns of a row, in order (their headers are in the template).
COLUMNS = ("name", "email", "unit", "title", "role", "site", "mode", "response", "responded_at",
           "responded_local", "delegated_to", "checked_in_local", "timezone", "checked_in_utc", "how")
#: The columns of the summary sheet's two tables.
SITE_SUMMARY = ("site", "invited", "accepted", "attended", "others_present", "total_present")
UNIT_SUMMARY = ("unit", "invited", "accepted", "attended")
#: Rows fetched from the database at a time.
BATCH = 2000
#: What a CSV cell may not begin with (a spreadsheet would read a formula or a command): one
#: character each, so a cell's first character (``value[:1]``) says it.
_DANGEROUS = frozenset(("=", "+", "-", "@", "\t", "\r"))


@dataclass
class Filters:
    """Which invitations an export holds: any of each non-empty list (all of them: none given)."""

    site_ids: list[int] = field(default_factory=list)
    unit_ids: list[int] | None = None  # None: no unit filter; []: units that do not exist
    roles: list[Role] = field(default_factory=list)
    responses: list[Response] = field(default_factory=list)


def parse_filters(meeting: Meeting, query: dict) -> Filters:
    """The export's filters from the query (``site``, ``unit``, ``role``, ``response``, each
    repeatable); `InvalidInput` for a site of another meeting or an unknown role or response.
    A unit not in the directory matches no one, as on ``/api/people``."""
    filters = Filters()
    site_ids = {site.id for site in meeting.sites}
    for site_id in query.get("site") or []:
        if site_id not in site_ids:
            raise InvalidInput(f"The meeting has no site with id {site_id}.", "site")
        filters.site_ids.append(site_id)
    enums: tuple[tuple[str, type[Role] | type[Response], list], ...] = (
        ("role", Role, filters.roles), ("response", Response, filters.responses))
    for name, enum, target in enums:
        for value in query.get(name) or []:
            try:
                target.append(enum(value))
            except ValueError:
                raise InvalidInput(f"Unknown {name} {value!r}; use one of "
                                   + ", ".join(m.value for m in enum) + ".", name) from None
    units = [name.strip() for name in query.get("unit") or [] if name.strip()]
    if units:
        filters.unit_ids = []
        for unit in db.session.scalars(sa.select(Unit).where(Unit.name.in_(units))):
            filters.unit_ids.extend(unit_and_descendant_ids(unit))
    return filters


@dataclass(frozen=True)
class Scope:
    """What an export reads of its meeting, as plain values: taken while the request's session is
    alive, since a streamed body runs after it has gone."""

    meeting_id: int
    #: The main venue (in-person people without a site attend there): id, name, time zone.
    main_id: int | None
    main_name: str
    main_zone: str
    #: (id, name) of every site, the main venue first, then by name.
    sites: tuple[tuple[int, str], ...]


def scope_of(meeting: Meeting) -> Scope:
    """The `Scope` of ``meeting``'s exports."""
    main = meeting.main_site
    sites = sorted(meeting.sites, key=lambda s: (s.kind != SiteKind.MAIN, s.name))
    return Scope(meeting.id, main.id if main else None, main.name if main else "",
                 main.timezone if main else meeting.timezone, tuple((site.id, site.name) for site in sites))


def export_entry(meeting: Meeting, extension: str, filters: Filters):
    """The audit entry saying someone took the attendance away (who, which meeting, how), to add
    once the export has been produced (`note_export`, or the end of `csv_body`)."""
    return audit.entry("attendance.exported", meeting=meeting, format=extension, sites=filters.site_ids,
                       roles=[r.value for r in filters.roles], responses=[r.value for r in filters.responses],
                       unit_filter=filters.unit_ids is not None)


def note_export(meeting: Meeting, extension: str, filters: Filters) -> None:
    """Record in the audit log an export that has been produced, in a short write of its own
    after the export's reads (`write_apart`), committed."""
    entry = export_entry(meeting, extension, filters)
    with write_apart():
        db.session.add(entry)


def headers() -> dict[str, str]:
    """Every column header by key, from the template (``key: Header`` lines)."""
    text = current_app.jinja_env.get_template("attendance/export_headers.txt").render()
    pairs = (line.split(":", 1) for line in text.splitlines() if ":" in line)
    return {key.strip(): value.strip() for key, value in pairs}


def value_words() -> dict[str, dict[str, str]]:
    """The words of the role, mode, response and check-in columns by stored value, in the
    language being rendered (`templates/_labels.txt`, which emails use too)."""
    words: Any = current_app.jinja_env.get_template("_labels.txt").module  # the template's macros
    return {"role": {role.value: str(words.role(role.value)) for role in Role},
            "mode": {mode.value: str(words.mode(mode.value)) for mode in Mode},
            "response": {response.value: str(words.response(response.value)) for response in Response},
            "how": {method.value: str(words.how(method.value)) for method in CheckinMethod}}


def filename(meeting: Meeting, extension: str) -> str:
    """The download's file name: the meeting's title in the reader's language and its local
    date (``年中经营会议-2027-07-15.xlsx``), with what a file system refuses made a dash."""
    from meetings.core.i18n import localized
    from meetings.core.timezones import localize

    title = re.sub(r"[^\w]+", "-", localized(meeting)).strip("-_")[:60] or "attendance"
    return f"{title}-{localize(meeting.start_at, meeting.timezone):%Y-%m-%d}.{extension}"


def content_disposition(name: str) -> str:
    """``attachment`` with ``name``: an ASCII fallback, and the UTF-8 name (RFC 6266) for
    titles in Chinese."""
    from urllib.parse import quote

    fallback = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-") or "attendance"
    if fallback.startswith("."):
        fallback = "attendance" + fallback
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name)}"


# --- rows ---------------------------------------------------------------------------------------

_invitation = Invitation.__table__
_person = Person.__table__
_unit = Unit.__table__
_site = Site.__table__
_delegate = Invitation.__table__.alias("delegate")
_delegate_person = Person.__table__.alias("delegate_person")
_first = CheckIn.__table__.alias("first_checkin")


def _conditions(meeting_id: int, filters: Filters) -> list:
    conditions = [_invitation.c.meeting_id == meeting_id, _invitation.c.removed_at.is_(None)]
    if filters.site_ids:
        conditions.append(_invitation.c.site_id.in_(filters.site_ids))
    if filters.unit_ids is not None:
        conditions.append(_person.c.unit_id.in_(filters.unit_ids))
    if filters.roles:
        conditions.append(_invitation.c.role.in_(filters.roles))
    if filters.responses:
        conditions.append(_invitation.c.response.in_(filters.responses))
    return conditions


def _rows_query(meeting_id: int, filters: Filters) -> sa.Select:
    # Enums and times are read as the database hands them over (see `utc_text`): the export
    # writes them as text, and on 100,000 rows enum objects and datetimes cost more than the query.
    # Sites and units are read as ids, their names apart (`_Names`): a text column costs as much
    # to hand over as a tenth of the export, and there are a few sites and a few hundred units.
    # The person's own zone only counts without a site: read only then.
    def raw(column):  # SQLAlchemy's public type_coerce: the column's own conversion skipped
        return sa.type_coerce(column, sa.String())

    return (
        sa.select(_person.c.name, _person.c.email, _person.c.unit_id, _person.c.title, raw(_invitation.c.role),
                  _invitation.c.site_id, raw(_invitation.c.mode), raw(_invitation.c.response),
                  raw(_invitation.c.responded_at), _delegate_person.c.name, _delegate_person.c.email,
                  raw(_invitation.c.checked_in_at), raw(_first.c.method),
                  sa.case((_invitation.c.site_id.is_(None), _person.c.timezone)))
        .select_from(_invitation)
        .join(_person, _person.c.id == _invitation.c.person_id)
        .outerjoin(_delegate, _delegate.c.id == _invitation.c.delegated_to_id)
        .outerjoin(_delegate_person, _delegate_person.c.id == _delegate.c.person_id)
        .outerjoin(_first, sa.and_(_first.c.invitation_id == _invitation.c.id, _first.c.counted))
        .where(*_conditions(meeting_id, filters))
        # The directory's order: the (meeting, person) index gives it without sorting 100,000 rows.
        .order_by(_invitation.c.person_id)
    )


class _Names:
    """Site names and zones, and unit names, by id, for the rows: the meeting's sites and the
    directory's units read before the rows, in one statement each; one read apart for an id
    that appears between those and the rows' (on PostgreSQL, each statement sees what was
    committed when it began). An id that is gone reads as no site, no unit, as the join did."""

    def __init__(self, meeting_id: int) -> None:
        self.sites: dict[int, tuple[str | None, str | None]] = {
            site_id: (name, zone) for site_id, name, zone in db.session.execute(
                sa.select(_site.c.id, _site.c.name, _site.c.timezone).where(_site.c.meeting_id == meeting_id))}
        self.units: dict[int, str | None] = {
            unit_id: name for unit_id, name in db.session.execute(sa.select(_unit.c.id, _unit.c.name))}

    def site(self, site_id: int) -> tuple[str | None, str | None]:
        found = self.sites.get(site_id)
        if found is None:
            row = db.session.execute(sa.select(_site.c.name, _site.c.timezone).where(_site.c.id == site_id)).first()
            found = self.sites[site_id] = (row[0], row[1]) if row else (None, None)
        return found

    def unit(self, unit_id: int) -> str | None:
        if unit_id not in self.units:
            self.units[unit_id] = db.session.scalar(sa.select(_unit.c.name).where(_unit.c.id == unit_id))
        return self.units[unit_id]


def rows(scope: Scope, filters: Filters, words: dict[str, dict[str, str]] | None = None) -> Iterator[list[str]]:
    """Each invitation's row, as text, in the order of `COLUMNS`, read from the database in
    batches, people in the directory's order. Times: answered and checked in, each in the local
    time of where they attended (their site; the main venue for people there in person; their
    own zone online) and in UTC. ``words``: `value_words`, read now unless given."""
    main_name, main_zone = scope.main_name, scope.main_zone
    # Bound once: a method looked up per call costs more than the kept conversion it returns.
    local_time = WallClock().__call__
    in_person = Mode.IN_PERSON.value
    # Looked up once: a dictionary per row is all the translation costs on 100,000 rows.
    words = words or value_words()
    roles, modes, responses, hows = words["role"], words["mode"], words["response"], words["how"]
    names = _Names(scope.meeting_id)
    sites, units, site_of, unit_of = names.sites, names.units, names.site, names.unit
    result = db.session.execute(_rows_query(scope.meeting_id, filters).execution_options(yield_per=BATCH))
    # A batch at a time (`partitions`, of `BATCH` rows): row by row, the result's own bookkeeping
    # costs a tenth of the export.
    for (name, email, unit_id, title, role, site_id, mode, response, responded_at, delegate,
         delegate_email, checked_in_at, how, person_zone) in chain.from_iterable(result.partitions()):
        if site_id is not None:
            site, site_zone = sites.get(site_id) or site_of(site_id)
        elif mode == in_person:
            site, site_zone = main_name, main_zone
        else:
            site = site_zone = None
        unit = (units[unit_id] if unit_id in units else unit_of(unit_id)) if unit_id is not None else None
        zone_name = site_zone or person_zone
        local = utc = answered = answered_local = ""
        if responded_at is not None:
            # Answers, like check-ins, read in the local time of where the person attends.
            answered = utc_text(responded_at)
            answered_local = local_time(zone_name, answered)
        if checked_in_at is not None:
            utc = utc_text(checked_in_at)
            local = local_time(zone_name, utc)
        yield [name, email, unit or "", title, roles.get(role, role), site or "", modes.get(mode, mode),
               responses.get(response, response), answered, answered_local,
               f"{delegate} <{delegate_email}>" if delegate is not None else "",
               local, zone_name if checked_in_at is not None or responded_at is not None else "", utc, hows.get(how, how) if how else ""]


# --- CSV ----------------------------------------------------------------------------------------

def neutralise(value: str) -> str:
    """``value``, with a leading single quote if a spreadsheet would take it for a formula."""
    return "'" + value if value[:1] in _DANGEROUS else value


def neutralise_row(row: list[str], danger=_DANGEROUS) -> list[str]:
    """``row`` with every cell `neutralise`-d. Only the cells of what people typed (name, email,
    unit, title, site, delegate) can begin badly; the others are our own values. Looking at
    their first characters costs a fifth of a regular expression over the row."""
    # By index (0 name, 1 email, 2 unit, 3 title, 5 site, 10 delegated_to: `COLUMNS`), not
    # unpacked: a starred target makes a list per row. A row that needs it has `neutralise`'s
    # test inline on each cell: a call per cell costs more than the test.
    if (row[0][:1] in danger or row[1][:1] in danger or row[2][:1] in danger or row[3][:1] in danger
            or row[5][:1] in danger or row[10][:1] in danger):
        return ["'" + value if value[:1] in danger else value for value in row]
    return row


def csv_body(meeting: Meeting, filters: Filters) -> Iterator[bytes]:
    """The CSV export of ``meeting`` as a response body to stream (in `stream_with_context`):
    what it needs of the meeting is read now; once its last chunk has been produced, it adds the
    audit entry and commits, in the stream's own session. A body closed before (the client went
    away, a failure) leaves no entry."""
    entry = export_entry(meeting, "csv", filters)
    chunks = csv_chunks(scope_of(meeting), filters)

    def body() -> Iterator[bytes]:
        yield from chunks
        # The reading transaction ends (PostgreSQL's server-side cursor with it); then the entry.
        with write_apart():
            db.session.add(entry)

    return body()


def csv_chunks(scope: Scope, filters: Filters, *, rows_per_chunk: int = 500) -> Iterator[bytes]:
    """The CSV export, UTF-8 with a byte order mark (so Excel reads Chinese names), in chunks.
    Headers and words are read now (in the request's language); the rows as the chunks are read."""
    labels = headers()
    words = value_words()
    return _csv_chunks(scope, filters, labels, words, rows_per_chunk)


def _csv_chunks(scope: Scope, filters: Filters, labels: dict[str, str], words: dict, rows_per_chunk: int):
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow([labels[key] for key in COLUMNS])
    safe = map(neutralise_row, rows(scope, filters, words))
    while True:
        written = buffer.tell()
        writer.writerows(islice(safe, rows_per_chunk))
        if buffer.tell() == written:
            break
        yield buffer.getvalue().encode("utf-8")
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


# --- XLSX ---------------------------------------------------------------------------------------

#: XlsxWriter options: rows go to disk as they are written; nothing typed becomes a formula,
#: a link or a number.
XLSX_OPTIONS = {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                "strings_to_numbers": False}
_WIDTHS = {"name": 18, "email": 30, "unit": 24, "title": 22, "site": 22, "responded_at": 20, "responded_local": 20,
           "delegated_to": 30, "checked_in_local": 20, "timezone": 18, "checked_in_utc": 20}


def xlsx_file(scope: Scope, filters: Filters) -> BinaryIO:
    """The XLSX export as an open file, positioned at its start. The file has no name left on
    disk: it disappears when closed."""
    handle, path = tempfile.mkstemp(prefix="attendance-", suffix=".xlsx")
    os.close(handle)
    try:
        workbook = xlsxwriter.Workbook(path, {**XLSX_OPTIONS, "tmpdir": os.path.dirname(path)})
        labels = headers()
        _write_rows(workbook, scope, filters, labels)
        _write_summary(workbook, scope, filters, labels)
        workbook.close()
        stream = open(path, "rb")  # noqa: SIM115 (handed to the response, which closes it)
    finally:
        os.unlink(path)
    return stream


def _write_rows(workbook, scope: Scope, filters: Filters, labels: dict[str, str]) -> None:
    sheet = workbook.add_worksheet(labels["sheet_attendance"])
    bold = workbook.add_format({"bold": True})
    for index, key in enumerate(COLUMNS):
        sheet.set_column(index, index, _WIDTHS.get(key, 12))
    sheet.freeze_panes(1, 0)
    write = sheet.write_string
    for column, key in enumerate(COLUMNS):
        write(0, column, labels[key], bold)
    for number, row in enumerate(rows(scope, filters), start=1):
        for column, value in enumerate(row):
            if value:
                write(number, column, value)


def summary(scope: Scope, filters: Filters, labels: dict[str, str]) -> tuple[list[list], list[list]]:
    """(by site, by unit): invited, accepted, attended, and per site the head count of others
    present (its latest roll call) and the total present; each table ends with its total."""
    invited = sa.func.count(_invitation.c.id)
    accepted = sa.func.count(sa.case((_invitation.c.response == Response.ACCEPTED, 1)))
    attended = sa.func.count(_invitation.c.checked_in_at)
    base = sa.select().select_from(_invitation).join(_person, _person.c.id == _invitation.c.person_id) \
        .where(*_conditions(scope.meeting_id, filters))
    # In-person people without a site are at the main venue (`Invitation.venue`).
    site_key = sa.case((sa.and_(_invitation.c.site_id.is_(None), _invitation.c.mode == Mode.IN_PERSON),
                        scope.main_id), else_=_invitation.c.site_id)
    counted = dict((site_id, (n, a, t)) for site_id, n, a, t in db.session.execute(
        base.add_columns(site_key.label("site"), invited, accepted, attended).group_by(site_key)))
    head_counts = latest_head_counts(scope.meeting_id)
    by_site = []
    for site_id, site_name in scope.sites:
        if filters.site_ids and site_id not in filters.site_ids:
            continue
        n, a, t = counted.get(site_id, (0, 0, 0))
        others = head_counts.get(site_id, 0)
        by_site.append([site_name, n, a, t, others, t + others])
    if None in counted:
        n, a, t = counted[None]
        by_site.append([labels["online"], n, a, t, 0, t])
    by_site.append([labels["total"], *(sum(row[i] for row in by_site) for i in range(1, 6))])
    by_unit = [[unit or labels["no_unit"], n, a, t] for unit, n, a, t in db.session.execute(
        base.outerjoin(_unit, _unit.c.id == _person.c.unit_id)
        .add_columns(_unit.c.name, invited, accepted, attended).group_by(_unit.c.name).order_by(_unit.c.name))]
    by_unit.append([labels["total"], *(sum(row[i] for row in by_unit) for i in range(1, 4))])
    return by_site, by_unit


def _write_summary(workbook, scope: Scope, filters: Filters, labels: dict[str, str]) -> None:
    sheet = workbook.add_worksheet(labels["sheet_summary"])
    bold = workbook.add_format({"bold": True})
    sheet.set_column(0, 0, 30)
    sheet.set_column(1, 5, 14)
    by_site, by_unit = summary(scope, filters, labels)
    row = 0
    for title, keys, table in ((labels["by_site"], SITE_SUMMARY, by_site), (labels["by_unit"], UNIT_SUMMARY, by_unit)):
        sheet.write_string(row, 0, title, bold)
        row += 1
        for column, key in enumerate(keys):
            sheet.write_string(row, column, labels[key], bold)
        row += 1
        for values in table:
            sheet.write_string(row, 0, values[0], bold if values is table[-1] else None)
            for column, number in enumerate(values[1:], start=1):
                sheet.write_number(row, column, number)
            row += 1
        row += 1

