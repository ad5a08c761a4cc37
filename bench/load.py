"""Pages under load shaped like use (issues 7 and 15): gunicorn with 2 sync workers, wrk at 32
keep-alive connections, on SQLite and on PostgreSQL, each figure against a bare Flask "ok" route
of the same app and server measured in the same run.

- The RSVP page and the join page across 2,000 invitees' own tokens, each opened 1 to 3 times in
  a shuffled order (wrk reads the list: bench/paths.lua), with the kept-page hit rate (the part
  every invitee shares, `meetings.core.pagecache`). Targets: at least 0.45x bare, p99 < 50 ms.
- The meeting's JSON with 500 invitations (>= 0.50x) and its .ics with 2,000 (>= 0.30x).
- RSVP answers POSTed at 32 connections to one meeting of 2,000, each invitee once through their
  own token, while the `flask scheduler` process delivers that meeting's 2,000 invites to a local
  SMTP server (bench/answers.lua): >= 0.20x bare, p99 < 200 ms, no error, no answer lost.

``BENCH_LOAD_ONLY=answers`` runs only the answers (after their own bare baseline);
``BENCH_DATABASES=sqlite`` (or ``postgresql``) only one database; ``BENCH_LOAD_ANSWERS=0``
skips the answers (the page figures alone, a few minutes shorter; the run then counts as missed).

wrk comes from Debian (``make wrk``). The link limits count on every request (their cost is
measured) in Redis, as in production, set high enough not to refuse the bench's one address.
"""

from __future__ import annotations

import os
import random
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager

from bench.common import free_port, report, serve_gunicorn, smtp_server

CONNECTIONS = 32
WORKERS = 2
INVITEES = 2000
JSON_INVITATIONS = 500
SECONDS = 5.0
#: Rounds of the baseline and the link pages, back to back (`_measure`).
ROUNDS = 3
HERE = os.path.dirname(os.path.abspath(__file__))


def make_database(url: str, instance: str) -> dict:
    """A published meeting of `INVITEES` online invitees, each with their own RSVP and join
    token; a second published meeting of `JSON_INVITATIONS`; a third one of `INVITEES`, not yet
    published, whose invitees answer while their invites go out. Returns tokens and ids."""
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from config import TestConfig
    from meetings import create_app
    from meetings.accounts.services import create_user, issue_api_token
    from meetings.core.db import utcnow
    from meetings.directory.models import Person
    from meetings.extensions import db
    from meetings.invitations import links
    from meetings.invitations.models import Invitation, LinkPurpose, Mode
    from meetings.scheduling import agenda, sites
    from meetings.scheduling import services as scheduling
    from tests.factories import future_day, wall

    app = create_app(TestConfig(SQLALCHEMY_DATABASE_URI=url), instance_path=instance)
    with app.app_context():
        upgrade()
        owner = create_user("bench-load@example.com", "organizer", "bench password")
        day = future_day()
        now = utcnow()

        def meeting_of(size: int, label: str, mode: Mode):
            meeting = scheduling.create_meeting({"title": f"Mid-year operation meeting 年中经营工作会议 {label}",
                                                 "start": wall(day, 9), "end": wall(day, 12),
                                                 "timezone": "Asia/Shanghai"}, owner)
            main = sites.add_site(meeting, {"name": "Main hall", "kind": "main", "location": "HQ 12F"})
            for hour, title in ((9, "Opening"), (10, "Half-year report"), (11, "Speeches")):
                agenda.add_item(meeting, {"title": title, "kind": "report", "start": wall(day, hour),
                                          "duration_minutes": 50})
            db.session.execute(sa.insert(Person), [
                {"name": f"参会人 {label}-{n}", "email": f"{label}{n}@example.com", "title": "",
                 "timezone": "Asia/Shanghai", "language": "zh_Hans", "created_at": now} for n in range(size)])
            people = db.session.scalars(sa.select(Person.id).where(Person.email.like(f"{label}%@example.com"))
                                        .order_by(Person.id)).all()
            db.session.execute(sa.insert(Invitation), [
                {"meeting_id": meeting.id, "person_id": pid, "role": "participant",
                 "site_id": None if mode == Mode.ONLINE else main.id, "mode": mode, "response": "needs-action",
                 "created_at": now} for pid in people])
            db.session.commit()
            return meeting

        pages = meeting_of(INVITEES, "pages", Mode.ONLINE)
        scheduling.publish_meeting(pages)
        json_meeting = meeting_of(JSON_INVITATIONS, "json", Mode.IN_PERSON)
        scheduling.publish_meeting(json_meeting)
        answered = meeting_of(INVITEES, "answers", Mode.IN_PERSON)
        db.session.commit()
        pending = links.PendingLinks()
        ids = db.session.scalars(sa.select(Invitation.id).where(Invitation.meeting_id == pages.id)
                                 .order_by(Invitation.id)).all()
        rsvp = [pending.mint(LinkPurpose.RSVP, meeting_id=pages.id, invitation_id=i) for i in ids]
        join = [pending.mint(LinkPurpose.JOIN, meeting_id=pages.id, invitation_id=i) for i in ids]
        answer_ids = db.session.scalars(sa.select(Invitation.id).where(Invitation.meeting_id == answered.id)
                                        .order_by(Invitation.id)).all()
        answer_tokens = {i: pending.mint(LinkPurpose.RSVP, meeting_id=answered.id, invitation_id=i)
                         for i in answer_ids}
        pending.flush()
        # Nothing of the first two meetings left to deliver: only the answered one's invites go
        # out during the answers.
        db.session.execute(sa.text("DELETE FROM outbox"))
        token = issue_api_token(owner.email, "load")
        db.session.commit()
        data = {"pages": pages.id, "json": json_meeting.id, "answered": answered.id, "rsvp": rsvp, "join": join,
                "answers": answer_tokens, "api_token": token}
        db.session.remove()
        db.engine.dispose()
    return data


def publish(url: str, instance: str, meeting_id: int) -> None:
    """Publish meeting ``meeting_id``: its invites are queued for the scheduler."""
    from config import TestConfig
    from meetings import create_app
    from meetings.extensions import db
    from meetings.scheduling import services as scheduling
    from meetings.scheduling.models import Meeting

    app = create_app(TestConfig(SQLALCHEMY_DATABASE_URI=url), instance_path=instance)
    with app.app_context():
        scheduling.publish_meeting(db.session.get(Meeting, meeting_id))
        db.session.commit()
        db.engine.dispose()


def stored_answers(url: str, instance: str, meeting_id: int) -> tuple[dict[int, str], int]:
    """Each invitation's stored answer of meeting ``meeting_id``, and how many invites went out."""
    import sqlalchemy as sa

    from config import TestConfig
    from meetings import create_app
    from meetings.extensions import db
    from meetings.invitations.models import Invitation

    app = create_app(TestConfig(SQLALCHEMY_DATABASE_URI=url), instance_path=instance)
    with app.app_context():
        rows = db.session.execute(sa.select(Invitation.id, Invitation.response)
                                  .where(Invitation.meeting_id == meeting_id))
        stored = {invitation_id: response.value for invitation_id, response in rows}
        sent = db.session.scalar(sa.text("SELECT count(*) FROM outbox WHERE status = 'sent' AND kind = 'invite'"))
        db.engine.dispose()
    return stored, sent


def visits(paths: list[str], seed: int) -> list[str]:
    """Each path 1 to 3 times, shuffled: invitees opening their own links."""
    rng = random.Random(seed)
    listed = [path for path in paths for _ in range(rng.randint(1, 3))]
    rng.shuffle(listed)
    return listed


def wrk(port: int, path: str, seconds: float, *, script: str | None = None, listed: list[str] | None = None,
        headers: dict | None = None, tmp: str = "/tmp") -> dict:
    """Run wrk at `CONNECTIONS` connections; its rate, p99 (ms), errors, and what the script counted."""
    env = dict(os.environ)
    command = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{seconds:g}s", "--latency", "--timeout", "10s"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    if script:
        command += ["-s", os.path.join(HERE, script)]
    if listed is not None:
        env["BENCH_PATHS"] = os.path.join(tmp, f"paths-{secrets.token_hex(4)}.txt")
        with open(env["BENCH_PATHS"], "w") as handle:
            handle.write("\n".join(listed) + "\n")
    output = subprocess.run([*command, f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True,
                            check=True, timeout=seconds + 120, env=env).stdout
    requests, elapsed, unit = re.search(r"(\d+) requests in ([\d.]+)(\w+),", output).groups()
    seconds_taken = float(elapsed) * {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[unit]
    value, unit = re.search(r"99%\s+([\d.]+)(\w+)", output).groups()
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", output))
    errors += sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", output))
    result = {"rate": int(requests) / seconds_taken, "p99": float(value) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[unit],
              "errors": errors, "output": output}
    counted = re.search(r"PATHS (\d+) (\d+) (\d+) (\d+) (\d+)", output)
    if counted:
        sent, listed_count, hits, misses, bad = map(int, counted.groups())
        result.update(sent=sent, listed=listed_count, hits=hits, misses=misses, errors=errors + bad)
    return result


def hit_rate(result: dict) -> str:
    kept = result.get("hits", 0) + result.get("misses", 0)
    return f"kept-page hit rate {result['hits'] / kept:.0%}" if kept else "kept-page hit rate n/a"


def run_on(label: str, url: str, instance: str) -> bool:
    data = make_database(url, instance)
    port = free_port()
    prefix = f"bench-{secrets.token_hex(4)}"
    with smtp_server() as (handler, smtp_port):
        # As in production: limits counted in Redis (BENCH_LIMITS_STORAGE=memory:// to compare; on a
        # machine with more runnable processes than cores, each round trip to Redis waits for a core).
        storage = os.environ.get("BENCH_LIMITS_STORAGE", "redis://127.0.0.1:6379")
        settings = {"PAGE_CACHE_REPORT": "1", "RATELIMIT_STORAGE_URI": storage,
                    "RATELIMIT_KEY_PREFIX": prefix, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(smtp_port),
                    "MAIL_DEFAULT_SENDER": "Operation meetings <meetings@example.com>"}
        server = serve_gunicorn(url, port, WORKERS, **settings)
        try:
            return _measure(label, port, data, url, instance, settings, handler)
        finally:
            server.terminate()
            server.wait(timeout=30)


def _measure(label: str, port: int, data: dict, url: str, instance: str, settings: dict, handler) -> bool:
    auth = {"Authorization": f"Bearer {data['api_token']}"}
    rsvp = visits([f"/rsvp/{token}" for token in data["rsvp"]], 1)
    join = visits([f"/join/{token}" for token in data["join"]], 2)
    ok = True
    if os.environ.get("BENCH_LOAD_ONLY") == "answers":
        # Only the answers (BENCH_LOAD_ONLY=answers), against the bare route measured just before.
        with tempfile.TemporaryDirectory() as tmp:
            wrk(port, "/bench-ok", 1)
            bare = wrk(port, "/", SECONDS, script="paths.lua", listed=["/bench-ok"] * 1000, tmp=tmp)
        print(f"{label}: bare ok (baseline), req/s {bare['rate']:.0f} (p99 {bare['p99']:.1f} ms)", flush=True)
        return _answers(label, port, data, url, instance, settings, handler, bare["rate"])
    with tempfile.TemporaryDirectory() as tmp:
        # Warm both workers up on the bare route and on other tokens' pages (the agenda kept).
        wrk(port, "/bench-ok", 1)
        wrk(port, "/", 1, script="paths.lua", listed=rsvp[-200:], tmp=tmp)
        wrk(port, "/", 1, script="paths.lua", listed=join[-200:], tmp=tmp)
        # `ROUNDS` rounds of the baseline (through the same wrk script as the pages: the same
        # client work per request) and each page, back to back: each page's ratio is taken within
        # its round, so a shared machine slowing down between two measurements moves one round's
        # ratio, not the figure (the round with the median ratio; every round is printed).
        rounds = []
        for _ in range(ROUNDS):
            bare = wrk(port, "/", SECONDS, script="paths.lua", listed=["/bench-ok"] * 1000, tmp=tmp)
            rounds.append({"bare": bare,
                           "RSVP page": wrk(port, "/", SECONDS, script="paths.lua", listed=rsvp, tmp=tmp),
                           "join page": wrk(port, "/", SECONDS, script="paths.lua", listed=join, tmp=tmp)})
        json_path, ics_path = f"/api/meetings/{data['json']}", f"/api/meetings/{data['pages']}.ics"
        wrk(port, json_path, 1, headers=auth)
        others = {f"meeting JSON ({JSON_INVITATIONS} invitations)": (wrk(port, json_path, SECONDS, headers=auth), 0.5,
                                                                     None),
                  f"meeting .ics ({INVITEES} invitations)": (wrk(port, ics_path, SECONDS, headers=auth), 0.3, None)}
        bare_again = wrk(port, "/", SECONDS, script="paths.lua", listed=["/bench-ok"] * 1000, tmp=tmp)
    bares = [one["bare"]["rate"] for one in rounds]
    print(f"{label}: bare ok (baseline), req/s {', '.join(f'{rate:.0f}' for rate in bares)} in the rounds, "
          f"{bare_again['rate']:.0f} after (p99 {rounds[0]['bare']['p99']:.1f} ms), {WORKERS} sync workers, "
          f"{CONNECTIONS} connections", flush=True)
    for name in ("RSVP page", "join page"):
        ratios = [one[name]["rate"] / one["bare"]["rate"] for one in rounds]
        middle = sorted(range(ROUNDS), key=ratios.__getitem__)[ROUNDS // 2]
        result, round_baseline = rounds[middle][name], rounds[middle]["bare"]["rate"]
        errors = sum(one[name]["errors"] for one in rounds)  # none in any round
        met = result["rate"] >= 0.45 * round_baseline and result["p99"] < 50 and errors == 0
        report(f"{label}: {name}, {INVITEES} tokens (p99 {result['p99']:.1f} ms, errors {errors})",
               result["rate"], round_baseline, "r/s", ">=0.45x,p99<50", met)
        each = ", ".join(f"{ratio:.2f}x (p99 {one[name]['p99']:.0f} ms)"
                         for ratio, one in zip(ratios, rounds, strict=True))
        print(f"    rounds: {each}; {hit_rate(result)}; {result['sent']} requests over {result['listed']} listed visits "
              f"(each token 1-3 times{'; the list came round again' if result['sent'] > result['listed'] else ''})",
              flush=True)
        ok &= met
    # The JSON and the .ics against the baseline measured around them (the last round's and after).
    baseline = (rounds[-1]["bare"]["rate"] + bare_again["rate"]) / 2
    for name, (result, target, _) in others.items():
        met = result["rate"] >= target * baseline and result["errors"] == 0
        report(f"{label}: {name} (p99 {result['p99']:.1f} ms, errors {result['errors']})", result["rate"], baseline,
               "r/s", f">={target:.2f}x", met)
        ok &= met
    if os.environ.get("BENCH_LOAD_ANSWERS", "1") != "0":
        ok &= _answers(label, port, data, url, instance, settings, handler, baseline)
    else:
        print(f"{label}: RSVP answers not measured (BENCH_LOAD_ANSWERS=0)", flush=True)
        ok = False  # a run without every figure does not meet the targets
    return ok


def _answers(label: str, port: int, data: dict, url: str, instance: str, settings: dict, handler,
             baseline: float) -> bool:
    """Every invitee of the third meeting answers once through their own token, from 32
    connections, while the scheduler process delivers the meeting's invites."""
    choices = ("accepted", "tentative", "declined")
    expected = {invitation_id: choices[n % 3] for n, invitation_id in enumerate(data["answers"])}
    lines = [f"/rsvp/{token} {expected[invitation_id]}" for invitation_id, token in data["answers"].items()]
    random.Random(3).shuffle(lines)
    publish(url, instance, data["answered"])
    scheduler = _scheduler(url, settings)
    try:
        deadline = time.monotonic() + 60
        while handler.count == 0 and time.monotonic() < deadline:  # delivery under way
            time.sleep(0.05)
        delivering_at_start = handler.count
        with tempfile.TemporaryDirectory() as tmp:
            env_file = os.path.join(tmp, "answers.txt")
            with open(env_file, "w") as handle:
                handle.write("\n".join(lines) + "\n")
            # One wrk thread (its 32 connections), interrupted as soon as it has every answer
            # (answers.lua writes BENCH_DONE): wrk's main thread sleeps out its whole duration,
            # and a thread stopped meanwhile leaves its connections open; a sync worker that
            # accepted one waits on it until gunicorn kills it (WORKER TIMEOUT, "no URI read").
            done_marker = os.path.join(tmp, "answers.done")
            started = time.monotonic()
            process = subprocess.Popen(
                ["wrk", "-t1", f"-c{CONNECTIONS}", "-d400s", "--timeout", "30s", "-s",
                 os.path.join(HERE, "answers.lua"), f"http://127.0.0.1:{port}/"],
                stdout=subprocess.PIPE, text=True,
                env=dict(os.environ, BENCH_PATHS=env_file, BENCH_THREADS="1", BENCH_DONE=done_marker))
            while not os.path.exists(done_marker) and process.poll() is None and time.monotonic() - started < 400:
                time.sleep(0.05)
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
            output, _ = process.communicate(timeout=60)
        delivered_during = handler.count - delivering_at_start
    finally:
        scheduler.terminate()
        scheduler.wait(timeout=30)
    threads = [tuple(float(x) for x in line.split()[1:]) for line in output.splitlines() if line.startswith("ANSWERS")]
    latencies = sorted(float(x) for line in output.splitlines() if line.startswith("LATENCIES")
                       for x in line.split()[1:])
    posted = int(sum(t[0] for t in threads))
    redirected = int(sum(t[1] for t in threads))
    bad = int(sum(t[2] for t in threads))
    elapsed = max(t[4] for t in threads) - min(t[3] for t in threads if t[3] > 0)
    rate = redirected / elapsed if elapsed > 0 else 0.0
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] if latencies else float("inf")
    stored, sent = stored_answers(url, instance, data["answered"])
    confirmed = {path for line in output.splitlines() if line.startswith("CONFIRMED") for path in line.split()[1:]}
    by_path = {f"/rsvp/{token}": invitation_id for invitation_id, token in data["answers"].items()}
    recorded = sum(1 for invitation_id, answer in expected.items() if stored.get(invitation_id) == answer)
    # Lost: confirmed to the invitee (a 303) but not what is stored.
    lost = sum(1 for path in confirmed if stored.get(by_path[path]) != expected[by_path[path]])
    errors = bad
    unanswered = posted - redirected - bad  # still on their way when wrk's time was up
    met = (rate >= 0.20 * baseline and p99 < 200 and errors == 0 and lost == 0 and unanswered == 0
           and redirected == len(expected))
    if unanswered or errors:
        print("    wrk said:\n" + "\n".join("      " + line for line in output.splitlines()
                                          if not line.startswith(("LATENCIES", "CONFIRMED"))), flush=True)
    report(f"{label}: RSVP answers, {len(expected)} tokens once each (p99 {p99:.1f} ms)", rate, baseline, "r/s",
           ">=0.20x,p99<200", met)
    print(f"    {redirected} of {posted} answers posted ({len(expected)} invitees) confirmed in {elapsed:.1f} s, "
          f"errors {errors}, unanswered at the end {unanswered}, lost {lost}, recorded {recorded}; "
          f"the scheduler delivered {delivered_during} emails meanwhile (the invites: the answers' "
          f"confirmations wait CONFIRMATION_DELAY_SECONDS; {sent} of the {len(expected)} invites sent by the end)",
          flush=True)
    return met


def _scheduler(url: str, settings: dict) -> subprocess.Popen:
    root = os.path.dirname(HERE)
    env = {name: value for name, value in os.environ.items() if not name.startswith(("FLASK_", "WERKZEUG_"))}
    env.update(settings, DATABASE_URL=url, SECRET_KEY=secrets.token_hex(32), OUTBOX_POLL_SECONDS="1",
               SCHEDULER_ENABLED="0", LOG_LEVEL="WARNING", BASE_URL="http://127.0.0.1:8000")
    return subprocess.Popen([os.path.join(os.path.dirname(sys.executable), "flask"), "--app", "wsgi", "scheduler"],
                            cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@contextmanager
def sqlite_database():
    with tempfile.TemporaryDirectory() as tmp:
        yield "SQLite", "sqlite:///" + os.path.join(tmp, "load.sqlite3"), tmp


@contextmanager
def postgres_database():
    import psycopg

    admin_url = os.environ.get("PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    name = f"meetings_bench_{secrets.token_hex(4)}"
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as admin, \
            tempfile.TemporaryDirectory() as tmp:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            base = admin_url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
            yield "PostgreSQL", f"{base}/{name}", tmp
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run() -> bool:
    if shutil.which("wrk") is None:
        print("wrk is not installed (make wrk installs Debian's): the load benchmark counts as missed")
        return False
    print("  (the machine is shared: figures are noisy; the ratios within one run are what count)")
    ok = True
    which = os.environ.get("BENCH_DATABASES", "sqlite,postgresql").split(",")
    if "sqlite" in which:
        with sqlite_database() as (label, url, instance):
            ok &= run_on(label, url, instance)
    if "postgresql" in which:
        try:
            with postgres_database() as (label, url, instance):
                ok &= run_on(label, url, instance)
        except Exception as error:  # noqa: BLE001  (say it, and count it missed)
            print(f"PostgreSQL: could not run ({error}); counted as missed")
            ok = False
    return ok


if __name__ == "__main__":
    sys.exit(0 if run() else 1)
