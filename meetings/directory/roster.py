"""Roster import: people from a CSV or XLSX file, all rows or none.

The first row names the columns (English or Chinese headers). Rows are matched to the directory
by email: new people are added, known ones updated. Any bad row stops the whole import and every
bad row is reported, so a corrected file can be sent again as it is.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import ngettext

from meetings.core.database import write_intent
from meetings.core.errors import DomainError, InvalidInput
from meetings.directory import access, bulk, services
from meetings.directory.xlsx import first_sheet_rows
from meetings.extensions import db

#: Column headers understood, mapped to the API's field names.
HEADERS = {
    "name": "name", "姓名": "name",
    "email": "email", "e-mail": "email", "邮箱": "email", "电子邮箱": "email",
    "unit": "unit", "单位": "unit",
    "title": "title", "职务": "title",
    "tags": "tags", "标签": "tags",
    "timezone": "timezone", "time zone": "timezone", "时区": "timezone",
    "language": "language", "语言": "language",
}
MAX_ROWS = 50_000


@dataclass
class RowResult:
    """What the import does with one row of the file."""

    row: int
    email: str
    action: str  # "create" or "update"
    data: dict = field(repr=False)


@dataclass
class ImportResult:
    """The outcome of reading a roster: rows to apply, or the errors that stop it."""

    rows: list[RowResult]
    errors: dict[str, list[str]]
    #: The id of each person of the file already in the directory, by email.
    known: dict[str, int] = field(default_factory=dict, repr=False)

    @property
    def created(self) -> int:
        return sum(1 for r in self.rows if r.action == "create")

    @property
    def updated(self) -> int:
        return sum(1 for r in self.rows if r.action == "update")


def read_rows(content: bytes, filename: str = "", content_type: str = "") -> list[tuple[int, dict]]:
    """The data rows of a CSV or XLSX file as dicts keyed by API field name, each with its row
    number in the file (the header is row 1), so errors name the row people see in their editor.
    Blank rows are skipped but still counted."""
    is_xlsx = filename.lower().endswith(".xlsx") or "spreadsheetml" in (content_type or "") or content[:2] == b"PK"
    table = _xlsx_table(content) if is_xlsx else _csv_table(content)
    if all(_is_blank(values) for values in table):
        raise InvalidInput(_("The file is empty."), "file")
    header = [str(cell or "").strip().lower() for cell in table[0]]
    columns = [HEADERS.get(name) for name in header]
    if "email" not in columns or "name" not in columns:
        raise InvalidInput(_("The first row must name the columns, with at least 'name' and 'email'."), "file")
    rows = []
    for number, values in enumerate(table[1:], start=2):
        if _is_blank(values):
            continue
        row = {}
        for column, value in zip(columns, values, strict=False):
            if column:
                row[column] = "" if value is None else str(value).strip()
        rows.append((number, row))
    if len(rows) > MAX_ROWS:
        raise InvalidInput(_("At most %(num)d rows per file.", num=MAX_ROWS), "file")
    return rows


def _is_blank(values) -> bool:
    return all(value is None or str(value).strip() == "" for value in values)


def _csv_table(content: bytes) -> list[list[str]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise InvalidInput(_("The CSV file must be UTF-8 (or GB18030) text."), "file")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    try:
        # newline="": the reader itself splits lines, so \r\n, \n and a lone \r (old Mac Excel)
        # all end a row, and line breaks inside quoted fields stay in the field.
        return [row for row in csv.reader(io.StringIO(text, newline=""), dialect)]
    except csv.Error as error:
        raise InvalidInput(_("The CSV file cannot be read: %(error)s.", error=error), "file") from None


def _xlsx_table(content: bytes) -> list[list]:
    # Bounded before openpyxl reads a cell (rows, cells, unpacked size): see directory.xlsx.
    return first_sheet_rows(content, MAX_ROWS)


def plan_import(content: bytes, filename: str = "", content_type: str = "", *, user=None) -> ImportResult:
    """Check every row of a roster without changing anything (one look-up of the directory per
    few thousand rows, not one per row). A row that would update someone ``user`` may not change
    (`meetings.directory.access`) is an error of that row; that rule too is asked once for all the
    known people of the file (`access.held_from`)."""
    rows = read_rows(content, filename, content_type)
    seen: dict
    checked, errors, seen = [], {}, {}
    for number, data in rows:
        try:
            fields = services.clean_person_fields(data, partial=False)
        except DomainError as error:
            errors[f"row {number}"] = ([f"{name}: {' '.join(msgs)}" for name, msgs in error.fields.items()]
                                       or [error.message])
            continue
        email = fields["email"]
        if email in seen:
            errors[f"row {number}"] = [_("email: %(email)s also appears on row %(row)d.", email=email, row=seen[email])]
            continue
        seen[email] = number
        checked.append((number, fields))
    known = bulk.existing_people(seen) if not errors else {}
    if known and user is not None and not user.is_admin:
        held = access.held_from(user, set(known.values()))
        for number, fields in checked:
            if known.get(fields["email"]) in held:
                errors[f"row {number}"] = [_("%(email)s is on meetings of other organizers: only an admin may "
                                             "change them.", email=fields["email"])]
    results = [RowResult(number, fields["email"], "update" if fields["email"] in known else "create", fields)
               for number, fields in checked]
    return ImportResult(results, errors, known)


def import_roster(content: bytes, filename: str = "", content_type: str = "", *, user=None) -> ImportResult:
    """Apply a roster; `InvalidInput` listing every bad row, and nothing written, when any is bad.

    Every row is checked before anything is written; then all are written in a few statements
    (`bulk.write_people`), so that the caller's transaction holds its locks for seconds."""
    result = plan_import(content, filename, content_type, user=user)
    if result.errors:
        raise _refused(result)
    bulk.write_people([row.data for row in result.rows], result.known)
    return result


def import_and_commit(content: bytes, filename: str = "", content_type: str = "", *, user=None) -> ImportResult:
    """`import_roster`, committed, holding write locks only for the writes' own statements.

    The file is checked and everything the writes need is read and built first, in a read
    transaction (`bulk.prepare_people`); then the writes run in one short transaction, all rows
    or none. On SQLite that keeps the database's one write lock, which the scheduler's delivery
    and every answer need too, from being held for the seconds a 50,000-row roster takes to read
    and prepare. Should the directory change in between (someone added with one of the emails),
    the write fails, and the import is done again from the start inside one write transaction.

    The caller's transaction is committed first: one already begun (on SQLite a POST's begins
    with the write lock, as loading the caller does) would otherwise carry the reads under it.
    """
    db.session.commit()
    with write_intent(False):
        result = plan_import(content, filename, content_type, user=user)
        if result.errors:
            db.session.rollback()
            raise _refused(result)
        plan = bulk.prepare_people([row.data for row in result.rows], result.known)
    db.session.rollback()  # the end of the reads: nothing was written
    try:
        bulk.apply_people(plan)
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()
        result = import_roster(content, filename, content_type, user=user)
        db.session.commit()
    return result


def _refused(result: ImportResult) -> InvalidInput:
    return InvalidInput(
        ngettext("%(num)d row has errors; nothing was imported.", "%(num)d rows have errors; nothing was imported.",
                 len(result.errors)), fields=result.errors)
