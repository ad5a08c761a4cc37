"""Where the bytes of uploaded files live: one small interface, the database by default.

``store(data) -> ref`` keeps bytes and returns a reference string; ``open(ref)`` gives them back
as a binary file read in chunks, so a 50 MB file is never held whole to be served or zipped.
The default keeps them in the database (`MaterialBlob`: bytea on PostgreSQL, a blob on
SQLite), so every app host serves the same files and every database backup holds them. Other
domains (minutes' evidence files) use the same two functions, and name the column where they keep
references (`holds_references`): `sweep` deletes the blobs no such column names any more.
"""

from __future__ import annotations

import hashlib
import io
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from meetings.core.db import rowcount, utcnow
from meetings.extensions import db

#: Bytes read from the database per round trip when a stored file is read.
CHUNK = 1024 * 1024
_PREFIX = "db:"


class StoredFileMissing(LookupError):
    """A reference that points at nothing (deleted, or not a database reference)."""


def store(data: bytes) -> str:
    """Keep ``data`` (in the caller's transaction) and return its reference, like ``"db:42"``."""
    from meetings.materials.models import MaterialBlob

    blob = MaterialBlob(sha256=hashlib.sha256(data).hexdigest(), size=len(data), data=data)
    db.session.add(blob)
    db.session.flush()
    # The session must not keep the bytes alive for the rest of the request.
    db.session.expire(blob, ["data"])
    return f"{_PREFIX}{blob.id}"


def _blob_id(ref: str) -> int:
    if not ref.startswith(_PREFIX) or not ref[len(_PREFIX):].isdigit():
        raise StoredFileMissing(ref)
    return int(ref[len(_PREFIX):])


def size(ref: str, connection: Connection | None = None) -> int:
    """The length in bytes of the file at ``ref``."""
    from meetings.materials.models import MaterialBlob

    statement = sa.select(MaterialBlob.size).where(MaterialBlob.id == _blob_id(ref))
    value = (connection or db.session).execute(statement).scalar()
    if value is None:
        raise StoredFileMissing(ref)
    return value


def open(ref: str, connection: Connection | None = None) -> io.RawIOBase:
    """The bytes at ``ref`` as a readable binary file, fetched ``CHUNK`` bytes at a time through
    ``connection`` (default: the request's session). A streamed response passes a connection it
    opened itself, since the request's session is gone by the time the stream runs."""
    return _BlobReader(_blob_id(ref), size(ref, connection), connection)


class _BlobReader(io.RawIOBase):
    """A stored blob read by ``substr`` in chunks (both databases slice a bytea/blob that way)."""

    def __init__(self, blob_id: int, length: int, connection: Connection | None):
        self._id, self._length, self._connection, self._position = blob_id, length, connection, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self._fetch(min(len(buffer), CHUNK))
        buffer[:len(data)] = data
        return len(data)

    def read(self, n: int = -1) -> bytes:
        """Up to ``n`` bytes (at most `CHUNK` a call); ``read()`` reads everything."""
        if n is None or n < 0:
            return b"".join(iter(lambda: self._fetch(CHUNK), b""))
        return self._fetch(min(n, CHUNK))

    def _fetch(self, n: int) -> bytes:
        from meetings.materials.models import MaterialBlob

        if n <= 0 or self._position >= self._length:
            return b""
        statement = sa.select(sa.func.substr(MaterialBlob.data, self._position + 1, n, type_=sa.LargeBinary)).where(
            MaterialBlob.id == self._id)
        data = (self._connection or db.session).execute(statement).scalar() or b""
        data = bytes(data)
        self._position += len(data)
        return data


#: The columns that hold references made by `store` (each domain names its own at import).
_REFERENCES: dict[str, sa.ColumnElement] = {}


def holds_references(column) -> None:
    """Declare that ``column`` (a model's string column) keeps references `store` returned: a
    blob it names is never swept."""
    _REFERENCES[f"{column.table.name}.{column.name}"] = column


def sweep(*, grace: timedelta, limit: int, now=None) -> int:
    """Delete up to ``limit`` stored files that no declared column references and that were stored
    more than ``grace`` ago (a file is stored before the row naming it is committed; the grace
    also leaves a backup taken meanwhile consistent). Returns how many were deleted. The
    oldest go first; a later run takes the rest."""
    from meetings.materials.models import MaterialBlob

    if limit <= 0 or not _REFERENCES:
        return 0
    ref = sa.literal(_PREFIX) + sa.cast(MaterialBlob.id, sa.String)
    unreferenced = [~sa.exists().where(column == ref) for column in _REFERENCES.values()]
    cutoff = (now or utcnow()) - grace
    ids = db.session.scalars(sa.select(MaterialBlob.id).where(MaterialBlob.created_at < cutoff, *unreferenced)
                             .order_by(MaterialBlob.created_at, MaterialBlob.id).limit(limit)).all()
    if not ids:
        return 0
    # Asked again as they are deleted: nothing names an old blob anew (`store` makes a new one
    # each time), but the rule stays in the statement that acts on it.
    result = db.session.execute(sa.delete(MaterialBlob).where(MaterialBlob.id.in_(ids), *unreferenced)
                                .execution_options(synchronize_session=False))
    return rowcount(result)
