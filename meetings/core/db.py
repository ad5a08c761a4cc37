"""Database building blocks shared by every domain's models."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar, cast

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase

#: Constraint names Alembic can rely on (SQLite needs names to alter tables in batch mode).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base for every model of the app."""

    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)
    if TYPE_CHECKING:
        # Every model here is mapped to a Table (none to a join or a select); DeclarativeBase types
        # __table__ as any FromClause, which sa.insert and sa.update do not take.
        __table__: ClassVar[sa.Table]


def rowcount(result: sa.Result[Any]) -> int:
    """The number of rows an UPDATE or DELETE run by `Session.execute` matched. For those statements
    it returns a `CursorResult`, but its annotation says only `Result`, which has no rowcount."""
    return cast(sa.CursorResult[Any], result).rowcount


def utcnow() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


class UTCDateTime(sa.types.TypeDecorator):
    """An aware UTC datetime on every database.

    PostgreSQL keeps ``timestamptz``; SQLite keeps no zone at all, so values are stored as naive
    UTC and come back aware. Naive datetimes are refused on the way in: they are always a bug here.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r} given to a UTC column")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utc_text(raw) -> str:
    """``YYYY-MM-DD HH:MM:SS`` in UTC from a `UTCDateTime` column read without its type (as bulk
    exports read them): SQLite's stored text, or the aware datetime PostgreSQL returns."""
    if isinstance(raw, str):
        return raw[:19]  # SQLite keeps naive UTC as "YYYY-MM-DD HH:MM:SS.ffffff"
    return raw.astimezone(UTC).isoformat(" ", "seconds")[:19]


def utc_value(raw) -> datetime:
    """The aware UTC datetime of a `UTCDateTime` column read without its type (see `utc_text`)."""
    if isinstance(raw, str):
        return datetime.fromisoformat(raw).replace(tzinfo=UTC)
    return raw.astimezone(UTC)


def enum_column(enum_cls, name: str) -> sa.Enum:
    """A portable enum column that stores the members' values (not their names) as VARCHAR."""
    return sa.Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(m.value) for m in enum_cls),
        values_callable=lambda cls: [m.value for m in cls],
        validate_strings=True,
    )


def insert_ignoring_duplicates(model, conflict_columns: list[str]):
    """An INSERT for ``model`` that skips rows whose ``conflict_columns`` already exist.

    Both databases we run on say it the same way (``ON CONFLICT DO NOTHING``) but SQLAlchemy
    spells it per dialect.
    """
    from meetings.extensions import db

    if db.engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(model).on_conflict_do_nothing(index_elements=conflict_columns)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(model).on_conflict_do_nothing(index_elements=conflict_columns)
