"""Sending stored files: one file, or a meeting's materials as one ZIP, streamed.

A streamed body runs after the view returned, when the request's session may be gone (DESIGN
"Known traps"): the views read what the stream needs first, as plain values, and the stream
opens its own database connection from the engine.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import quote

from flask import Response

from meetings.extensions import db
from meetings.materials import checks, storage


def _disposition(kind: str, filename: str) -> str:
    ascii_name = filename.encode("ascii", "replace").decode().replace("?", "_").replace('"', "")
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


def send_stored(ref: str, size: int, content_type: str, filename: str, *, inline: bool) -> Response:
    """A response that streams the file at ``ref`` (``inline`` or as an attachment)."""
    engine = db.engine

    def chunks() -> Iterator[bytes]:
        with engine.connect() as connection:
            reader = storage.open(ref, connection)
            while chunk := reader.read(storage.CHUNK):
                yield chunk

    response = Response(chunks(), mimetype=content_type, direct_passthrough=True)
    response.headers["Content-Length"] = str(size)
    response.headers["Content-Disposition"] = _disposition("inline" if inline else "attachment", filename)
    # Files are behind a token or an account: no shared cache keeps them.
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@dataclass(frozen=True)
class ZipEntry:
    """One file of a ZIP, as plain values read before the stream starts."""

    name: str
    ref: str
    size: int


def zip_entries(materials) -> list[ZipEntry]:
    """The entries of a ZIP of ``materials`` (in the order given: the agenda's), named
    ``01 Title.pdf``, ``02 ...``: numbered, so the names sort as the agenda runs and never clash."""
    entries = []
    for index, material in enumerate(materials, start=1):
        current = material.current
        extension = os.path.splitext(current.filename)[1] or checks.EXTENSIONS[current.content_type][0]
        title = checks.safe_name(material.title, current.content_type)
        stem = os.path.splitext(title)[0] if os.path.splitext(title)[1].lower() == extension.lower() else title
        entries.append(ZipEntry(f"{index:02d} {stem[:100]}{extension}", current.storage_ref, current.size))
    return entries


class _Sink:
    """Where zipfile writes: the bytes are handed to the response as they come."""

    def __init__(self):
        self.parts: list[bytes] = []

    def write(self, data) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass  # a file object zipfile is given is the caller's to close (typeshed asks for the method)

    def take(self) -> bytes:
        data, self.parts = b"".join(self.parts), []
        return data


def zip_stream(entries: list[ZipEntry], engine=None) -> Iterator[bytes]:
    """The ZIP of ``entries``, as chunks of at most about `storage.CHUNK` bytes: files are read
    from storage a chunk at a time and stored uncompressed (documents and images are compressed
    already), so memory stays flat however large the meeting's materials are."""
    engine = engine or db.engine
    sink = _Sink()
    with engine.connect() as connection:
        with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
            for entry in entries:
                info = zipfile.ZipInfo(entry.name)
                info.file_size = entry.size
                info.compress_type = zipfile.ZIP_STORED
                with archive.open(info, "w", force_zip64=entry.size >= 2**31) as out:
                    reader = storage.open(entry.ref, connection)
                    while chunk := reader.read(storage.CHUNK):
                        out.write(chunk)
                        if data := sink.take():
                            yield data
                if data := sink.take():
                    yield data
        connection.rollback()
    if data := sink.take():
        yield data


def zip_response(entries: list[ZipEntry], name: str) -> Response:
    """A response that streams the ZIP of ``entries`` as the attachment ``name``."""
    response = Response(zip_stream(entries, db.engine), mimetype="application/zip", direct_passthrough=True)
    response.headers["Content-Disposition"] = _disposition("attachment", name)
    response.headers["Cache-Control"] = "private, no-store"
    return response
