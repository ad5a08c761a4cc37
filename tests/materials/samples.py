"""Files to upload: real headers of each accepted type, and the bad ones."""

from __future__ import annotations

import io
import os
import zipfile

_CONTENT_TYPES = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                  b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                  b'<Default Extension="xml" ContentType="application/xml"/></Types>')


def pdf(size: int = 2000, seed: bytes = b"") -> bytes:
    """A PDF-looking file of ``size`` bytes (random body: compresses as real PDFs do, barely)."""
    head = b"%PDF-1.7\n" + seed
    return head + os.urandom(max(size - len(head), 0))


def png() -> bytes:
    return b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + os.urandom(200)


def ooxml(root: str = "word/", parts: dict[str, bytes] | None = None) -> bytes:
    """A minimal Office document: [Content_Types].xml and one part under ``root``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        for name, data in (parts or {f"{root}document.xml": b"<doc><p>Half-year report</p></doc>"}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


def docx() -> bytes:
    return ooxml("word/")


def pptx() -> bytes:
    return ooxml("ppt/", {"ppt/presentation.xml": b"<presentation/>"})


def zip_bomb() -> bytes:
    """A DOCX whose one part expands from about 200 KB to 200 MB."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        with archive.open("word/document.xml", "w") as part:
            block = b"\0" * (1024 * 1024)
            for _ in range(200):
                part.write(block)
    return buffer.getvalue()


def xml_bomb() -> bytes:
    """A DOCX with the billion laughs in its document part."""
    laughs = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
              b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
              b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
              b"<doc>&lol3;</doc>")
    return ooxml("word/", {"word/document.xml": laughs})
