"""Statements over many rows at once, the same on PostgreSQL and SQLite.

Bulk work (a roster of 50,000 people, a group invite of 10,000) is a few statements per
thousands of rows. Each database has its fast way: sqlite3's ``executemany`` runs one prepared
statement in C; psycopg converts a statement with thousands of parameters slower than
PostgreSQL runs it, so there each column travels as one array and ``unnest`` turns the arrays
back into rows (one statement, a handful of parameters, however many rows).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from meetings.extensions import db

#: Rows per statement: an IN list of them stays under SQLite's 32,766 bound parameters.
CHUNK = 5000


def chunks(items: Sequence, size: int = CHUNK) -> Iterator[Sequence]:
    """``items`` cut into slices of at most ``size``."""
    for start in range(0, len(items), size):
        yield items[start:start + size]


def on_postgresql() -> bool:
    """Whether the app's database is PostgreSQL (else SQLite)."""
    return db.engine.dialect.name == "postgresql"


def _arrays(table: sa.Table, rows: Sequence[dict], names: Sequence[str]):
    """``rows`` as one derived table ``unnest(array, array, ...) AS v(name, ...)`` on PostgreSQL:
    one parameter per column, however many rows (psycopg converts a statement with thousands of
    parameters slower than PostgreSQL runs it)."""
    arrays = [sa.literal([row[name] for row in rows], postgresql.ARRAY(table.c[name].type)) for name in names]
    return sa.func.unnest(*arrays).table_valued(*names).render_derived(name="v")


def insert_rows(table: sa.Table, rows: Sequence[dict], *, key: str | None = None, options: dict | None = None,
                **same) -> dict:
    """INSERT ``rows`` (each with the same keys, plus the values ``same`` for all of them); with
    ``key``, the new rows' ids by that column. ``options`` are the statements' execution options."""
    if not rows:
        return {}
    options = options or {}
    names = list(rows[0])
    ids: dict = {}
    for part in chunks(rows, CHUNK * 4):
        if on_postgresql():
            values = _arrays(table, part, names)
            select = sa.select(*(values.c[name] for name in names),
                               *(sa.literal(value, table.c[name].type) for name, value in same.items()))
            statement = sa.insert(table).from_select([*names, *same], select).execution_options(**options)
            if key is None:
                db.session.execute(statement)
            else:
                ids.update(db.session.execute(statement.returning(table.c[key], table.c.id)).all())
        else:
            # sqlite3's executemany runs in C, one prepared statement for all rows.
            db.session.execute(sa.insert(table).execution_options(**options), [{**row, **same} for row in part])
            if key is not None:
                ids.update(db.session.execute(sa.select(table.c[key], table.c.id).where(
                    table.c[key].in_([row[key] for row in part]))).all())
    return ids


def update_rows(table: sa.Table, rows: Sequence[dict], *, options: dict | None = None) -> None:
    """UPDATE rows by ``id``: each of ``rows`` holds the id and the columns to set. ``options``
    are the statements' execution options."""
    options = options or {}
    groups: dict[tuple[str, ...], list[dict]] = {}
    for row in rows:
        groups.setdefault(tuple(sorted(row)), []).append(row)
    for names, group in groups.items():
        columns = [name for name in names if name != "id"]
        for part in chunks(group, CHUNK * 4):
            if on_postgresql():
                values = _arrays(table, part, names)
                db.session.execute(sa.update(table).where(table.c.id == values.c.id)
                                   .values({name: values.c[name] for name in columns}).execution_options(**options))
            else:
                statement = sa.update(table).where(table.c.id == sa.bindparam("row_id")).values(
                    {name: sa.bindparam(f"new_{name}") for name in columns}).execution_options(**options)
                db.session.execute(statement, [{"row_id": row["id"], **{f"new_{name}": row[name] for name in columns}}
                                               for row in part])


def among(column, values: Sequence):
    """``column IN values``; on PostgreSQL ``column = ANY(array)``, one parameter for all of them."""
    if on_postgresql():
        return column == sa.any_(sa.literal(list(values), postgresql.ARRAY(column.type)))
    return column.in_(values)
