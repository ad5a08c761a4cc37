"""An XLSX roster is refused, at once, when it holds more than the import will read: too many rows
or cells, an archive that unpacks to too much; a damaged sheet is a 422, not a 500."""

import io
import time
import zipfile

import pytest

from meetings.directory import roster, xlsx
from meetings.directory.models import Person
from tests.directory.test_roster import ROWS, XLSX_TYPE, count, send, upload, xlsx_bytes

SHEET = "xl/worksheets/sheet1.xml"


def with_sheet(sheet_xml: bytes) -> bytes:
    """A real workbook (openpyxl's) whose first sheet is ``sheet_xml``."""
    source = zipfile.ZipFile(io.BytesIO(xlsx_bytes(ROWS)))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            target.writestr(member.filename, sheet_xml if member.filename == SHEET else source.read(member))
    return buffer.getvalue()


def sheet_xml(rows: int, columns: int, dimension: str | None = None) -> bytes:
    """A sheet of numbers, ``rows`` × ``columns``, with the used range it claims."""
    header = ("<c t=\"inlineStr\"><is><t>name</t></is></c><c t=\"inlineStr\"><is><t>email</t></is></c>"
              + "<c><v>1</v></c>" * (columns - 2))
    body = "<c><v>1</v></c>" * columns
    parts = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
             '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">',
             f'<dimension ref="{dimension or "A1:A1"}"/><sheetData>', f'<row r="1">{header}</row>']
    parts.extend(f'<row r="{n}">{body}</row>' for n in range(2, rows + 1))
    parts.append("</sheetData></worksheet>")
    return "".join(parts).encode()


def refused_quickly(api, content: bytes, words: str) -> float:
    started = time.perf_counter()
    response = send(api, content, XLSX_TYPE)
    elapsed = time.perf_counter() - started
    assert response.status_code == 422, response.json
    assert words in response.json["error"]["fields"]["file"][0]
    assert count(Person) == 0
    return elapsed


def test_sixty_thousand_rows_of_sixty_cells_are_refused_within_two_seconds(api):
    # The file: 60,000 rows × 60 cells; it cost 105 s of a worker before the row limit.
    content = with_sheet(sheet_xml(60_000, 60))
    assert len(content) < 2_000_000
    assert refused_quickly(api, content, "cells per file") < 2.0


def test_more_rows_than_the_limit_are_refused_from_the_sheets_xml(api):
    content = with_sheet(sheet_xml(roster.MAX_ROWS + 10, 2))
    assert refused_quickly(api, content, "rows per file") < 2.0


def test_wide_rows_are_refused_before_openpyxl_reads_them(api):
    # Within the row limit, but more cells than any roster has: bounded by cells, not rows.
    content = with_sheet(sheet_xml(20_000, 40))
    assert refused_quickly(api, content, "cells per file") < 2.0


def test_rows_the_sheet_skips_are_counted_too(api):
    # <row r="1000000"> makes openpyxl yield every row before it, empty.
    content = with_sheet(sheet_xml(2, 2).replace(b'<row r="2">', b'<row r="1000000">'))
    assert refused_quickly(api, content, "rows per file") < 5.0


def test_a_zip_bomb_is_refused_from_the_archives_directory(api):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/sharedStrings.xml", b"\0" * (xlsx.MAX_UNPACKED_BYTES + 1))
    assert len(buffer.getvalue()) < 200_000
    assert refused_quickly(api, buffer.getvalue(), "unpacks to more than") < 2.0


@pytest.mark.parametrize("cut", [0.5, 0.9])
def test_a_truncated_sheet_is_a_clear_422(api, cut):
    whole = sheet_xml(200, 3).replace(b"<c><v>1</v></c>", b'<c t="inlineStr"><is><t>a@example.com</t></is></c>')
    content = with_sheet(whole[:int(len(whole) * cut)])
    refused_quickly(api, content, "not a readable XLSX workbook")


def test_a_truncated_sheet_uploaded_as_a_file_is_a_clear_422(api):
    content = with_sheet(sheet_xml(50, 2)[:-40])
    response = upload(api, content, "roster.xlsx")
    assert response.status_code == 422 and "file" in response.json["error"]["fields"]


def test_a_roster_at_the_limits_is_still_read():
    # The bounds are above what a real roster holds: seven columns the import reads, and a few more.
    table = xlsx.first_sheet_rows(with_sheet(sheet_xml(2_000, xlsx.CELLS_PER_ROW)), roster.MAX_ROWS)
    assert len(table) == 2_000 and len(table[0]) == xlsx.CELLS_PER_ROW


def test_a_sheet_written_with_a_namespace_prefix_is_counted_too(api):
    plain = sheet_xml(roster.MAX_ROWS + 10, 2).decode()
    prefixed = (plain.replace("<worksheet xmlns=", "<x:worksheet xmlns:x=").replace("</worksheet>", "</x:worksheet>")
                .replace("<row ", "<x:row ").replace("</row>", "</x:row>").replace("<c>", "<x:c>")
                .replace("<c ", "<x:c ").replace("</c>", "</x:c>").replace("sheetData>", "x:sheetData>")
                .replace("<dimension", "<x:dimension").replace("<v>", "<x:v>").replace("</v>", "</x:v>")
                .replace("<is>", "<x:is>").replace("</is>", "</x:is>").replace("<t>", "<x:t>").replace("</t>", "</x:t>"))
    assert refused_quickly(api, with_sheet(prefixed.encode()), "rows per file") < 2.0
