"""Reading the first sheet of an uploaded XLSX workbook, within bounds known before the work.

openpyxl spends about 30 µs of a worker on each cell (measured: 105 s for a roster of 60,000
rows × 60 cells, 435 KB zipped), and inflates whatever the archive holds. So before openpyxl
reads a cell: the archive's unpacked size is bounded (a zip bomb is refused from its directory;
``zipfile`` stops at the declared size and checks the CRC), and the sheet's rows and cells are
counted in its raw XML, a fast byte scan that stops at the bound. The rows openpyxl then streams
are counted again, and a damaged sheet (truncated XML) is an `InvalidInput`, not a 500.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException
from flask_babel import gettext as _

from meetings.core.errors import InvalidInput

#: What all the files of a workbook may unpack to: a roster at the row limit is about 30 MB.
MAX_UNPACKED_BYTES = 100 * 1024 * 1024
#: Files in the archive (a workbook has a dozen or two).
MAX_MEMBERS = 1000
#: Cells a sheet may hold, on average per row: a roster has seven columns the import reads.
CELLS_PER_ROW = 12
_ROOT = re.compile(rb"<([A-Za-z_][\w.-]*:)?worksheet[\s>]")
_TAG_ENDS = (b" ", b">", b"/", b"\t", b"\n", b"\r")  # what may follow a tag's name
_CHUNK = 1 << 20
_RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


def _unreadable(error: Exception | str) -> InvalidInput:
    name = error if isinstance(error, str) else type(error).__name__
    return InvalidInput(_("The file is not a readable XLSX workbook (%(error)s).", error=name), "file")


def _too_many_rows(max_rows: int) -> InvalidInput:
    return InvalidInput(_("At most %(num)d rows per file.", num=max_rows), "file")


def first_sheet_rows(content: bytes, max_rows: int) -> list[list]:
    """The rows of the workbook's first sheet (values only), header included: at most
    ``max_rows`` rows besides the header, and ``CELLS_PER_ROW`` cells per row on average.
    `InvalidInput` (field ``file``) for a damaged, oversized or over-long workbook."""
    max_cells = (max_rows + 1) * CELLS_PER_ROW
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, ValueError, OSError) as error:
        raise _unreadable(error) from None
    with archive:
        members = archive.infolist()
        if len(members) > MAX_MEMBERS or sum(member.file_size for member in members) > MAX_UNPACKED_BYTES:
            raise InvalidInput(_("The workbook unpacks to more than %(num)d MB.",
                                 num=MAX_UNPACKED_BYTES // (1024 * 1024)), "file")
        _count_sheet(archive, _first_sheet_path(archive), max_rows, max_cells)
    return _read_with_openpyxl(content, max_rows, max_cells)


def _first_sheet_path(archive: zipfile.ZipFile) -> str | None:
    # The first sheet is the first <sheet> of xl/workbook.xml, found through its relationship.
    try:
        workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        relations = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    except (KeyError, ElementTree.ParseError, DefusedXmlException, zipfile.BadZipFile, OSError):
        return None  # openpyxl names the damage below
    sheet = workbook.find(f"{_MAIN}sheets/{_MAIN}sheet")
    if sheet is None:
        return None
    for relation in relations.iter(_RELS):
        if relation.get("Id") == sheet.get(_REL_ID):
            target = relation.get("Target", "")
            return target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
    return None


def _count_sheet(archive: zipfile.ZipFile, path: str | None, max_rows: int, max_cells: int) -> None:
    """Count the sheet's rows and cells in its XML, stopping as soon as either is past its bound."""
    if path is None or path not in archive.namelist():
        return
    rows = cells = 0
    tail = b""
    row_tags: tuple[bytes, ...] = ()
    cell_tags: tuple[bytes, ...] = ()
    try:
        with archive.open(path) as sheet:
            while chunk := sheet.read(_CHUNK):
                data = tail + chunk
                if not row_tags:  # the sheet's own prefix for the main namespace, if it uses one
                    root = _ROOT.search(data)
                    prefix = (root.group(1) if root else None) or b""
                    row_tags = tuple(b"<" + prefix + b"row" + end for end in _TAG_ENDS)
                    cell_tags = tuple(b"<" + prefix + b"c" + end for end in _TAG_ENDS)
                # A tag cut by the chunk's end is found whole in the next: count up to the last
                # "<" (every tag before it is complete), keep the rest for the next chunk.
                cut = data.rfind(b"<")
                cut = len(data) if cut < 0 else cut
                rows += sum(data.count(tag, 0, cut) for tag in row_tags)
                cells += sum(data.count(tag, 0, cut) for tag in cell_tags)
                tail = data[cut:]
                if rows > max_rows + 1:
                    raise _too_many_rows(max_rows)
                if cells > max_cells:
                    raise InvalidInput(_("At most %(num)d cells per file: remove the columns the import "
                                         "does not read.", num=max_cells), "file")
    except (zipfile.BadZipFile, OSError, EOFError) as error:  # a CRC or a size that does not match
        raise _unreadable(error) from None


def _read_with_openpyxl(content: bytes, max_rows: int, max_cells: int) -> list[list]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged file
        raise _unreadable(error) from None
    try:
        sheet = workbook.worksheets[0]
        # Read-only mode trusts the used range the writer recorded, and some writers record
        # A1:A1 whatever the sheet holds: measure it from the rows themselves instead.
        sheet.reset_dimensions()
        table, cells = [], 0
        for row in sheet.iter_rows(values_only=True):
            # Rows the XML skips come back empty: their count is bounded here, not by the scan.
            table.append(list(row))
            cells += len(row)
            if len(table) > max_rows + 1 or cells > max_cells:
                raise _too_many_rows(max_rows)
        return table
    except InvalidInput:
        raise
    except Exception as error:  # a truncated or malformed sheet, found while streaming it
        raise _unreadable(error) from None
    finally:
        workbook.close()
