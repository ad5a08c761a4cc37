"""Another writer, for tests of what the app does while someone else writes to the database."""

from __future__ import annotations

import contextlib
import sqlite3

import sqlalchemy as sa

from meetings.core.database import engines
from meetings.extensions import db


@contextlib.contextmanager
def change_after(table: str, *statements: str):
    """Once the code under test has read from ``table``, another connection runs ``statements``
    (SQL with no parameters) in one transaction and commits: someone else's change between the code's read and
    its write. Yields the statements that set it off (one once it happened)."""
    url = db.engine.url
    done: list[str] = []

    def change_elsewhere(conn, _cursor, statement, _params, _context, _executemany):
        if done or not statement.lstrip().upper().startswith("SELECT") or f"FROM {table}" not in statement:
            return
        done.append(statement)
        if url.get_backend_name() == "sqlite":
            other = sqlite3.connect(url.database, timeout=10)
            for sql in statements:
                other.execute(sql)
            other.commit()
            other.close()
        else:
            with db.engine.connect() as other:
                other.execute(sa.text("SET LOCAL lock_timeout = 10000"))
                for sql in statements:
                    other.execute(sa.text(sql))
                other.commit()

    for engine in engines(db.engine):  # the session's and `autocommit`'s
        sa.event.listen(engine, "after_cursor_execute", change_elsewhere)
    try:
        yield done
    finally:
        for engine in engines(db.engine):
            sa.event.remove(engine, "after_cursor_execute", change_elsewhere)


@contextlib.contextmanager
def another_writer_after(table: str, *, wait: float = 10):
    """Once the code under test has read from ``table``, another connection (a process of its
    own would do the same: the scheduler, another app host) inserts a row into a table of its own
    and commits, waiting at most ``wait`` seconds for a lock. Yields the statements that set it
    off (one), so a test can check the interleaving happened."""
    url = db.engine.url
    done = []

    def write_elsewhere(conn, _cursor, statement, _params, _context, _executemany):
        if done or not statement.lstrip().upper().startswith("SELECT") or f"FROM {table}" not in statement:
            return
        done.append(statement)
        if url.get_backend_name() == "sqlite":
            other = sqlite3.connect(url.database, timeout=wait)
            other.execute("INSERT INTO other_writes (n) VALUES (1)")
            other.commit()
            other.close()
        else:
            with db.engine.connect() as other:
                # LOCAL: for this transaction only; a plain SET would stay on the pooled connection
                # and time out the next request that gets it.
                other.execute(sa.text(f"SET LOCAL lock_timeout = {max(int(wait * 1000), 1)}"))
                other.execute(sa.text("INSERT INTO other_writes (n) VALUES (1)"))
                other.commit()

    with db.engine.begin() as setup:
        setup.execute(sa.text("CREATE TABLE IF NOT EXISTS other_writes (n INTEGER)"))
    for engine in engines(db.engine):  # the session's and `autocommit`'s
        sa.event.listen(engine, "after_cursor_execute", write_elsewhere)
    try:
        yield done
        with db.engine.connect() as check:
            assert check.execute(sa.text("SELECT count(*) FROM other_writes")).scalar() == len(done)
    finally:
        for engine in engines(db.engine):
            sa.event.remove(engine, "after_cursor_execute", write_elsewhere)
        with db.engine.begin() as cleanup:
            cleanup.execute(sa.text("DROP TABLE other_writes"))
