"""The system suite starts its own databases (a SQLite file, and a throwaway PostgreSQL
database), so it runs once, in `make test`. In the PostgreSQL run of the in-process suite
(`make test-postgres`, which sets DATABASE_URL) it is skipped, saying so."""

import os

import pytest


def pytest_collection_modifyitems(config, items):
    if not os.environ.get("DATABASE_URL"):
        return
    here = os.path.dirname(os.path.abspath(__file__))
    skip = pytest.mark.skip(reason="the system suite runs both databases itself, in `make test`")
    for item in items:
        if str(item.fspath).startswith(here):
            item.add_marker(skip)
