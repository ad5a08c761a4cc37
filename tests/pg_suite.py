"""Run the whole suite on a throwaway PostgreSQL database, then drop it.

``python -m tests.pg_suite [pytest args]``. The server is ``PG_ADMIN_URL`` (default: user
postgres on 127.0.0.1:5432). Fails, loudly, when the server cannot be reached: a PostgreSQL run
that silently skipped would prove nothing.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys

import psycopg

ADMIN_URL = os.environ.get("PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def main(argv: list[str]) -> int:
    name = f"meetings_test_{secrets.token_hex(4)}"
    try:
        admin = psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as error:
        print(f"PostgreSQL is not reachable at {ADMIN_URL}: {error}", file=sys.stderr)
        return 2
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            base = ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
            env = dict(os.environ, DATABASE_URL=f"{base}/{name}")
            print(f"Running the suite on PostgreSQL database {name}", flush=True)
            return subprocess.call([sys.executable, "-m", "pytest", *argv], env=env)
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
