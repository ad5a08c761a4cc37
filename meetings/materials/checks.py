"""What an uploaded file must be: its type read from its first bytes, a safe name, and, for
Office files (ZIP archives of XML), no zip bomb and no XML bomb.

Every check raises `InvalidInput` on the ``file`` field, so the API answers 422 and the page
shows the message; nothing is stored before every check has passed.
"""

from __future__ import annotations

import io
import os
import re
import unicodedata
import zipfile
from dataclasses import dataclass

from defusedxml import ElementTree as SafeXml
from defusedxml.common import DefusedXmlException
from flask import current_app
from flask_babel import gettext as _

from meetings.core.errors import InvalidInput

PDF, PNG, JPEG = "application/pdf", "image/png", "image/jpeg"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"

#: The extension each accepted type is saved with, and the names it may be uploaded under.
EXTENSIONS = {PDF: (".pdf",), PNG: (".png",), JPEG: (".jpg", ".jpeg"), DOCX: (".docx",), XLSX: (".xlsx",),
              PPTX: (".pptx",)}
_BY_EXTENSION = {ext: kind for kind, exts in EXTENSIONS.items() for ext in exts}
#: The folder of an Office archive that says which kind of document it is.
_OOXML_ROOTS = {"word/": DOCX, "xl/": XLSX, "ppt/": PPTX}

#: Bounds on an Office archive: entries, bytes once uncompressed (all entries), and how much
#: one entry may expand (real documents stay far below; a zip bomb does not).
MAX_ENTRIES = 5000
MAX_UNCOMPRESSED = 300 * 1024 * 1024
MAX_RATIO = 200
#: XML parts larger than this are not parsed (they would be refused as too large).
MAX_XML_PART = 50 * 1024 * 1024


@dataclass(frozen=True)
class CheckedFile:
    """An upload that passed every check."""

    filename: str
    content_type: str


def max_bytes() -> int:
    """The largest file accepted (``MATERIALS_MAX_BYTES``)."""
    return current_app.config["MATERIALS_MAX_BYTES"]


def check_upload(data: bytes, filename: str | None) -> CheckedFile:
    """The safe name and the real type of an upload; `InvalidInput` (field ``file``) when it is
    empty, too large, of a type not accepted, named as another type, or a bomb."""
    if not data:
        raise InvalidInput(_("The file is empty."), "file")
    if len(data) > max_bytes():
        raise InvalidInput(_("The file is larger than %(mb)s MB.", mb=max_bytes() // (1024 * 1024)), "file")
    content_type = sniff(data)
    if content_type is None:
        raise InvalidInput(_("This kind of file is not accepted: upload a PDF, PowerPoint (PPTX), Word (DOCX), "
                             "Excel (XLSX), PNG or JPEG file."), "file")
    name = safe_name(filename, content_type)
    named = _BY_EXTENSION.get(os.path.splitext(name)[1].lower())
    if named is not None and named != content_type:
        raise InvalidInput(_("The file's name says %(named)s but its content is %(found)s.",
                             named=os.path.splitext(name)[1].lstrip(".").upper(),
                             found=EXTENSIONS[content_type][0].lstrip(".").upper()), "file")
    return CheckedFile(name, content_type)


def sniff(data: bytes) -> str | None:
    """The accepted type the content's first bytes show, or None. Office files are opened and
    checked (`check_ooxml`), since every ZIP starts alike."""
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"PK\x03\x04"):
        return check_ooxml(data)
    return None


def check_ooxml(data: bytes) -> str | None:
    """The Office type of a ZIP archive, or None when it is not an Office document;
    `InvalidInput` when it is a zip bomb or holds an XML bomb (a DOCTYPE or an entity)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError):
        return None
    if len(entries) > MAX_ENTRIES:
        raise InvalidInput(_("The document holds too many parts (more than %(n)s).", n=MAX_ENTRIES), "file")
    total = 0
    for entry in entries:
        total += entry.file_size
        if entry.file_size > 1024 * 1024 and entry.file_size > MAX_RATIO * max(entry.compress_size, 1):
            raise InvalidInput(_("The document expands to far more than its size (a zip bomb?)."), "file")
    if total > MAX_UNCOMPRESSED:
        raise InvalidInput(_("The document expands to far more than its size (a zip bomb?)."), "file")
    names = {entry.filename for entry in entries}
    if "[Content_Types].xml" not in names:
        return None
    kind = next((kind for root, kind in _OOXML_ROOTS.items() if any(n.startswith(root) for n in names)), None)
    if kind is None:
        return None
    for entry in entries:
        if entry.filename.endswith((".xml", ".rels")):
            _check_xml(archive, entry)
    return kind


def _check_xml(archive: zipfile.ZipFile, entry: zipfile.ZipInfo) -> None:
    # The header's size may lie: read at most the bound, whatever it says.
    try:
        with archive.open(entry) as part:
            text = part.read(MAX_XML_PART + 1)
    except (zipfile.BadZipFile, NotImplementedError, RuntimeError, ValueError, EOFError, OSError):
        raise InvalidInput(_("The document is damaged."), "file") from None
    if len(text) > MAX_XML_PART:
        raise InvalidInput(_("The document expands to far more than its size (a zip bomb?)."), "file")
    try:
        # No DTD at all: Office never writes one, and entity expansion (billion laughs) needs one.
        SafeXml.fromstring(text, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise InvalidInput(_("The document declares XML entities or a DOCTYPE, which Office files never do."),
                           "file") from None
    except SafeXml.ParseError:
        raise InvalidInput(_("The document is damaged."), "file") from None


_UNSAFE = re.compile(r"[\x00-\x1f\x7f<>:\"|?*]")


def safe_name(filename: str | None, content_type: str) -> str:
    """``filename`` reduced to a safe base name: no directories (either slash), no control or
    reserved characters, no leading dots, at most 120 characters; the type's extension when it
    has none left."""
    name = unicodedata.normalize("NFC", filename or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE.sub("", name).strip().lstrip(".").strip()
    stem, ext = os.path.splitext(name)
    if ext.lower() not in _BY_EXTENSION:
        stem, ext = name, EXTENSIONS[content_type][0]
    stem = stem[:120 - len(ext)].strip() or "file"
    return stem + ext.lower()
