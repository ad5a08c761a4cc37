"""Where one link page's time goes: ``python -m bench.profile_pages [rsvp|join|ics|json|answer|ok ...]``.

Not a figure of `make bench`: a tool for reading one. It builds the load benchmark's database
(`bench.load.make_database`: 2,000 invitees each with their own RSVP and join token), makes the
app as gunicorn's workers make it (settings from the environment, limits counted in Redis unless
``BENCH_LIMITS_STORAGE`` says otherwise), and sends ``PROFILE_REQUESTS`` requests (default 600)
with distinct tokens, each page opened 1 to 3 times as in the benchmark, straight through the
WSGI app (no server, no client). For each kind it prints the CPU time per request, the Python
function calls (counted, so steady where CPU time is noisy), the SQL statements and Redis round
trips per request, and with ``PROFILE_TOP=N`` the N costliest functions of cProfile
(``PROFILE_SORT``: cumulative, or tottime...; ``PROFILE_CLOCK=cpu``: CPU time, not wall time;
``PROFILE_DUMP=prefix``: the profile of each kind written to ``prefix.<kind>`` for `pstats`).
``answer`` POSTs an RSVP answer through each of the third meeting's tokens (published first), a
different answer on each pass. The bare "ok" route is measured the same way, so the ratio of the
two is the page's own cost, less noisy than wrk's figures on a shared machine.
"""

from __future__ import annotations

import cProfile
import io
import itertools
import os
import pstats
import secrets
import sys
import time

from bench.load import INVITEES, make_database, postgres_database, publish, sqlite_database, visits

REQUESTS = int(os.environ.get("PROFILE_REQUESTS", "600"))


def _environs(paths: list[str], headers: dict | None = None, forms: list[dict] | None = None) -> list[dict]:
    from werkzeug.test import EnvironBuilder

    if forms is None:
        return [EnvironBuilder(path=path, base_url="http://127.0.0.1:8000", headers=headers or {}).get_environ()
                for path in paths]
    return [EnvironBuilder(path=path, base_url="http://127.0.0.1:8000", headers=headers or {}, method="POST",
                           data=form).get_environ() for path, form in zip(paths, forms, strict=True)]


def _drive(app, environs: list[dict]) -> tuple[float, int]:
    """Run each request through ``app``; CPU seconds taken and statuses other than 200."""
    bad = 0

    def start_response(status, headers, exc_info=None):
        nonlocal bad
        if not status.startswith(("200", "303")):
            bad += 1

    started = time.process_time()
    for environ in environs:
        body = app(dict(environ), start_response)
        for _ in body:
            pass
        if hasattr(body, "close"):
            body.close()
    return time.process_time() - started, bad


def main(kinds: list[str]) -> None:
    kinds = kinds or ["ok", "rsvp", "join", "ics"]
    # PROFILE_DATABASE=postgresql: on a throwaway PostgreSQL database (as the load benchmark's).
    database = postgres_database() if os.environ.get("PROFILE_DATABASE") == "postgresql" else sqlite_database()
    with database as (_, url, tmp):
        data = make_database(url, tmp)
        if "answer" in kinds:
            publish(url, tmp, data["answered"])  # answers to a published meeting replan reminders
        os.environ.update(DATABASE_URL=url, SECRET_KEY=secrets.token_hex(32), BASE_URL="http://127.0.0.1:8000",
                          SCHEDULER_ENABLED="0", LINK_LIMIT="1000000 per minute", LOG_LEVEL="WARNING",
                          PAGE_CACHE_REPORT="1", TRUSTED_HOSTS="127.0.0.1",
                          RATELIMIT_STORAGE_URI=os.environ.get("BENCH_LIMITS_STORAGE", "redis://127.0.0.1:6379"),
                          RATELIMIT_KEY_PREFIX=f"profile-{secrets.token_hex(4)}")
        import sqlalchemy as sa

        from bench.join_wsgi import app
        from meetings.core.database import engines
        from meetings.extensions import db

        statements = [0]
        with app.app_context():
            def count(_conn, _cursor, statement, *_args):
                statements[0] += 1
                if os.environ.get("PROFILE_SQL") and statements[0] <= 12:
                    print("   SQL:", " ".join(statement.split())[:160])

            for engine in engines(db.engine):  # the session's and `autocommit`'s
                sa.event.listen(engine, "before_cursor_execute", count)
        auth = {"Authorization": f"Bearer {data['api_token']}"}
        paths = {"ok": (["/bench-ok"] * REQUESTS, None),
                 "rsvp": (visits([f"/rsvp/{t}" for t in data["rsvp"]], 1)[:REQUESTS], None),
                 "join": (visits([f"/join/{t}" for t in data["join"]], 2)[:REQUESTS], None),
                 "ics": ([f"/api/meetings/{data['pages']}.ics"] * max(REQUESTS // 20, 10), auth),
                 "json": ([f"/api/meetings/{data['json']}"] * REQUESTS, auth),
                 "answer": ([f"/rsvp/{t}" for t in data["answers"].values()], None)}
        # Each invitee answers once, as in the load benchmark (accepted, tentative, declined in
        # turn): the warm-up, the profiled run and the timed run take tokens of their own.
        answered = itertools.count()
        baseline = None
        for kind in kinds:
            listed, headers = paths[kind]

            def environs_of(paths: list[str], kind: str = kind, headers: dict | None = headers) -> list[dict]:
                if kind != "answer":
                    return _environs(paths, headers)
                # The warm-up's 50, then the profiled and the timed run: each invitee answers once.
                fresh = [paths[next(answered)] for _ in range(min(len(paths), REQUESTS, (INVITEES - 50) // 2))]
                choices = ("accepted", "tentative", "declined")
                return _environs(fresh, headers, [{"response": choices[n % 3]} for n in range(len(fresh))])

            _drive(app, environs_of(listed[-50:]))  # warm up: imports, templates, the first kept parts
            environs = environs_of(listed)
            statements[0] = 0
            # PROFILE_CLOCK=cpu: functions' CPU time only (waiting on a database server not counted).
            profile = (cProfile.Profile(time.process_time) if os.environ.get("PROFILE_CLOCK") == "cpu"
                       else cProfile.Profile())
            profile.enable()
            _, bad = _drive(app, environs)
            profile.disable()
            count = len(environs)
            run_statements = statements[0]
            redis_trips = _calls(profile, "send_packed_command")
            # CPU without the profiler's own cost: the same requests again, timed only.
            runs = 1 if kind == "answer" else 2  # answers: once each
            cpu = min(_drive(app, environs_of(listed) if kind == "answer" else environs)[0]
                      for _ in range(runs)) / count
            if kind == "ok":
                baseline = cpu
            ratio = f", {baseline / cpu:.2f}x ok" if baseline and kind != "ok" else ""
            # Python function calls: counted, not timed, so the same from run to run on a noisy
            # machine (CPU time is not), and close to proportional to it in pure-Python code.
            calls = pstats.Stats(profile).total_calls / count
            print(f"{kind:5} {count} requests: CPU {cpu * 1e3:.2f} ms/request{ratio}; {calls:.0f} Python calls, "
                  f"{run_statements / count:.2f} SQL statements and {redis_trips / count:.2f} Redis round trips "
                  f"per request; non-200: {bad}", flush=True)
            if os.environ.get("PROFILE_DUMP"):  # PROFILE_DUMP=prefix: prefix.<kind>, for pstats
                profile.dump_stats(f"{os.environ['PROFILE_DUMP']}.{kind}")
            top = int(os.environ.get("PROFILE_TOP", "0"))
            if top:
                out = io.StringIO()
                pstats.Stats(profile, stream=out).sort_stats(os.environ.get("PROFILE_SORT", "cumulative")).print_stats(top)
                print(out.getvalue())
        with app.app_context():
            db.engine.dispose()


def _calls(profile: cProfile.Profile, function: str) -> int:
    """How many times functions named ``function`` were called (a Redis client sends each
    command, or each pipeline, with one ``send_packed_command``)."""
    stats = pstats.Stats(profile).stats
    return sum(calls for (_, _, name), (_, calls, *_) in stats.items() if name == function)


if __name__ == "__main__":
    main(sys.argv[1:])
