"""The join page under load, against a bare Flask "ok" route, both served by gunicorn (2 sync
workers) from a temporary SQLite database in WAL mode, 32 keep-alive connections for about
10 seconds each (issue 5). The join page must serve at least half the requests per second.

Two join pages are measured: a site's (its room system and host; it lists the 40 people
expected there) and an online participant's own (no one else listed), the bulk of the traffic
when a meeting starts. Each is rendered once and then kept while the meeting is unchanged
(`meetings.core.pagecache`), as happens when everyone opens it at the same minute; a shorter run
with no page kept shows what the first view after each change costs (printed, not a target).
The load generator is Python (threads, one http.client connection each):
it shares the two cores with gunicorn, the same way for every route, and the routes take turns
in short slices so that other work on the machine weighs on all of them alike.
"""

from __future__ import annotations

import http.client
import os
import subprocess
import sys
import tempfile
import threading
import time

from bench.common import free_port, report, serve_gunicorn

CONNECTIONS = 32
SECONDS = 10.0
#: Each route's seconds are spread over this many alternating slices, so that other work on the
#: machine (it is shared) weighs on both routes alike.
SLICES = 10
WORKERS = 2


def make_database(path: str) -> tuple[str, str]:
    """A published meeting like the demo's (three sites, an agenda with speakers, 40 people at the
    Rotterdam room, an online participant) in the SQLite database at ``path``; returns the tokens
    of the Rotterdam room's site link and of the online participant's own link."""
    from flask_migrate import upgrade

    from config import TestConfig
    from meetings import create_app
    from meetings.accounts.services import create_user
    from meetings.conferencing.services import site_link
    from meetings.directory import services as directory
    from meetings.extensions import db
    from meetings.invitations import links
    from meetings.invitations import services as invitations
    from meetings.invitations.models import LinkPurpose, Mode
    from meetings.scheduling import agenda, sites
    from meetings.scheduling import services as scheduling
    from tests.factories import future_day, wall

    app = create_app(TestConfig(SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}"), instance_path=os.path.dirname(path))
    with app.app_context():
        upgrade()
        owner = create_user("bench-join@example.com", "organizer", "bench password")
        day = future_day()
        meeting = scheduling.create_meeting({"title": "2027 年中经营会议 Mid-year operation meeting",
                                             "start": wall(day, 9), "end": wall(day, 12),
                                             "timezone": "Asia/Shanghai"}, owner)
        sites.add_site(meeting, {"name": "Main hall", "kind": "main", "location": "HQ 12F"})
        host = directory.create_person({"name": "Daan Bakker", "email": "daan@roof.example.nl",
                                        "timezone": "Europe/Amsterdam"})
        room = sites.add_site(meeting, {"name": "Rotterdam room", "timezone": "Europe/Amsterdam",
                                        "location": "Waalhaven 12", "host_email": host.email})
        sites.add_site(meeting, {"name": "上海工厂", "timezone": "Asia/Shanghai"})
        for n in range(40):
            person = directory.create_person({"name": f"参会人 {n}", "email": f"guest{n}@roof.example.nl",
                                              "title": "Engineer", "timezone": "Europe/Amsterdam"})
            invitations.invite_person(meeting, person, invitations.Role.PARTICIPANT, site=room)
        for hour, title in ((9, "Opening"), (10, "Half-year report"), (11, "Enterprise reports")):
            speakers = []
            for n in range(3):
                speaker = directory.create_person({"name": f"发言人 {hour}-{n}", "email": f"s{hour}{n}@example.com"})
                speakers.append({"email": speaker.email, "topic": f"Topic {n}", "minutes": 15})
            agenda.add_item(meeting, {"title": title, "kind": "speech", "start": wall(day, hour),
                                      "duration_minutes": 50, "speakers": speakers})
        online = directory.create_person({"name": "Pieter de Vries", "email": "pieter@example.nl",
                                          "timezone": "Europe/Amsterdam"})
        remote = invitations.invite_person(meeting, online, invitations.Role.PARTICIPANT, mode=Mode.ONLINE)
        scheduling.publish_meeting(meeting)
        url = site_link(room)
        personal = links.mint(LinkPurpose.JOIN, meeting_id=meeting.id, invitation_id=remote.id)
        db.session.commit()
        db.engine.dispose()
    return url.rsplit("/", 1)[-1], personal


def serve(path: str, port: int, **settings: str) -> subprocess.Popen:
    """gunicorn on ``port`` with the bench's app on the database, once it answers."""
    return serve_gunicorn(f"sqlite:///{path}", port, WORKERS, **settings)


def load(port: int, path: str, seconds: float, expect: bytes) -> tuple[int, float]:
    """(requests answered, seconds taken) on ``path`` from `CONNECTIONS` threads for ``seconds``."""
    done = [0] * CONNECTIONS
    failures: list[str] = []
    stop = time.perf_counter() + seconds

    def worker(index: int) -> None:
        # http.client keeps the connection while the server does; gunicorn's sync workers close
        # it after each response, and the next request opens a new one.
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            while time.perf_counter() < stop:
                connection.request("GET", path, headers={"Connection": "keep-alive"})
                response = connection.getresponse()
                body = response.read()
                if response.status != 200 or expect not in body:
                    failures.append(f"{response.status} {body[:200]!r}")
                    return
                done[index] += 1
        finally:
            connection.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(CONNECTIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if failures:
        raise RuntimeError(f"{path}: {failures[0]}")
    return sum(done), elapsed


def worker_cpu(server: subprocess.Popen) -> float:
    """CPU seconds used so far by gunicorn's workers (user and system)."""
    total = 0.0
    for pid in subprocess.run(["pgrep", "-P", str(server.pid)], capture_output=True, text=True).stdout.split():
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def run() -> bool:
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "join.sqlite3")
        site_token, personal_token = make_database(path)
        port = free_port()
        server = serve(path, port)
        routes = {"ok": ("/bench-ok", b"ok"), "site": (f"/join/{site_token}", b"Rotterdam room"),
                  "personal": (f"/join/{personal_token}", b"Pieter de Vries")}
        totals = {name: [0, 0.0, 0.0] for name in routes}  # requests, seconds, worker CPU seconds
        try:
            for route, expect in routes.values():  # warm both workers up
                load(port, route, 1.0, expect)
            for _ in range(SLICES):
                for name, (route, expect) in routes.items():
                    cpu = worker_cpu(server)
                    requests, seconds = load(port, route, SECONDS / SLICES, expect)
                    totals[name][0] += requests
                    totals[name][1] += seconds
                    totals[name][2] += worker_cpu(server) - cpu
        finally:
            server.terminate()
            server.wait(timeout=30)
        unkept = first_views(path, routes)
    rate = {name: requests / seconds for name, (requests, seconds, _) in totals.items()}
    cpu_ms = {name: 1000 * cpu / requests for name, (requests, _, cpu) in totals.items()}
    print(f"  gunicorn {WORKERS} sync workers, {CONNECTIONS} connections, {SECONDS:.0f} s a route in {SLICES} "
          f"alternating slices; worker CPU a request: bare ok {cpu_ms['ok']:.2f} ms, site link page "
          f"{cpu_ms['site']:.2f} ms, personal link page {cpu_ms['personal']:.2f} ms", flush=True)
    ok = True
    for name, label in (("site", "join page, site link (40 people listed)"),
                        ("personal", "join page, personal link")):
        met = rate[name] >= 0.5 * rate["ok"]
        report(f"{label}, req/s vs bare ok", rate[name], rate["ok"], "r/s", ">= 0.5x", met)
        ok &= met
    print(f"  not a target: with PAGE_CACHE_SIZE=0 (every request renders, as the first view of each "
          f"version does) the site link page serves {unkept['site']:.2f}x and the personal one "
          f"{unkept['personal']:.2f}x the bare rate", flush=True)
    return ok


def first_views(path: str, routes: dict) -> dict[str, float]:
    """Each page's rate against the bare one when no page is kept (``PAGE_CACHE_SIZE=0``): what
    the first visit after each change costs. Shorter runs, printed for information."""
    port = free_port()
    server = serve(path, port, PAGE_CACHE_SIZE="0")
    rates = {name: [0, 0.0] for name in routes}
    try:
        for route, expect in routes.values():
            load(port, route, 0.5, expect)
        for _ in range(SLICES // 2):
            for name, (route, expect) in routes.items():
                requests, seconds = load(port, route, SECONDS / SLICES, expect)
                rates[name][0] += requests
                rates[name][1] += seconds
    finally:
        server.terminate()
        server.wait(timeout=30)
    bare = rates["ok"][0] / rates["ok"][1]
    return {name: requests / seconds / bare for name, (requests, seconds) in rates.items()}


if __name__ == "__main__":
    sys.exit(0 if run() else 1)
