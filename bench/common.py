"""What the benchmarks share: a throwaway app and database, a local SMTP server, timing."""

from __future__ import annotations

import http.client
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager

from aiosmtpd.controller import Controller

from config import TestConfig
from meetings import create_app
from meetings.extensions import db


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class CountingHandler:
    """An aiosmtpd handler that counts messages and notes when the last one arrived; with
    ``keep``, it keeps them too (to send the very same bytes again in a baseline)."""

    def __init__(self, keep: bool = False):
        self.count = 0
        self.last_at = 0.0
        self.kept: list[bytes] = []
        self._keep = keep
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self._lock:
            self.count += 1
            self.last_at = time.perf_counter()
            if self._keep:
                self.kept.append(envelope.original_content)
        return "250 OK"

    def wait_for(self, count: int, timeout: float = 600) -> float:
        deadline = time.monotonic() + timeout
        while self.count < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"only {self.count} of {count} messages arrived")
            time.sleep(0.005)
        return self.last_at


@contextmanager
def smtp_server(keep: bool = False):
    handler = CountingHandler(keep)
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


@contextmanager
def bench_app(smtp_port: int = 1, database_url: str | None = None, **overrides):
    """An app on a fresh database (SQLite in a temp dir unless ``database_url``)."""
    from flask_migrate import upgrade

    with tempfile.TemporaryDirectory() as tmp:
        url = database_url or "sqlite:///" + os.path.join(tmp, "bench.sqlite3")
        settings = {"SQLALCHEMY_DATABASE_URI": url, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp_port,
                    "WTF_CSRF_ENABLED": False}
        settings.update(overrides)
        app = create_app(TestConfig(**settings), instance_path=tmp)
        with app.app_context():
            upgrade()
            try:
                yield app
            finally:
                db.session.remove()
                db.engine.dispose()


def serve_gunicorn(database_url: str, port: int, workers: int, **settings: str) -> subprocess.Popen:
    """gunicorn (``workers`` sync workers) on ``port`` serving `bench.join_wsgi` (the app plus a
    bare "ok" route) on ``database_url``, once it answers. Link limits stay counted on every
    request (their cost is measured), set high enough not to refuse the bench's one address.
    ``settings`` are more of the app's settings (``PAGE_CACHE_SIZE="0"``)."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, DATABASE_URL=database_url, SECRET_KEY=secrets.token_hex(32),
               BASE_URL=f"http://127.0.0.1:{port}", SCHEDULER_ENABLED="0",
               LINK_LIMIT="1000000 per minute", LOG_LEVEL="WARNING", **settings)
    env.pop("FLASK_DEBUG", None)
    process = subprocess.Popen(
        [os.path.join(os.path.dirname(sys.executable), "gunicorn"), "--config", "python:bench.gunicorn_bench",
         "--workers", str(workers), "--worker-class", "sync", "--bind", f"127.0.0.1:{port}",
         "--log-level", "warning", "bench.join_wsgi:app"], cwd=root, env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/bench-ok")
            if connection.getresponse().status == 200:
                connection.close()
                return process
        except OSError:
            time.sleep(0.2)  # not listening yet
    process.terminate()
    raise RuntimeError("gunicorn did not start")


def report(name: str, value: float, baseline: float, unit: str, target: str, ok: bool) -> None:
    """Print one figure with its baseline and ratio."""
    ratio = value / baseline if baseline else float("inf")
    print(f"{name:58} {value:10.3f} {unit:4} baseline {baseline:10.3f} {unit:4} ratio {ratio:6.2f}  "
          f"target {target:10} {'OK' if ok else 'MISSED'}", flush=True)
