"""The product as the README deploys it, started from the outside for the system suite.

nginx (its own config, pid, logs and temp paths in a temporary folder, as the current user) in
front of one or two ``gunicorn -c gunicorn.conf.py wsgi:app`` app hosts, a database (a file for
SQLite; a throwaway database on the PostgreSQL server), a Redis server of its own for the
shared counters, one or two ``flask scheduler`` processes, an SMTP server (aiosmtpd) in the
test process, and the organizer mailbox the schedulers read calendar replies from (pymap, IMAP).
Everything listens on loopback, on free ports. Nothing here imports the app.
"""

from __future__ import annotations

import imaplib
import os
import pwd
import secrets
import shutil
import socket
import sys
import time
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import requests
from aiosmtpd.controller import Controller
from requests.adapters import HTTPAdapter

from tests.conftest import Mailbox, _free_port
from tests.pg_suite import ADMIN_URL
from tests.processes import FlaskProcess, Process, app_env, eventually

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
REDIS = shutil.which("redis-server") or "/usr/bin/redis-server"
PYMAP = os.path.join(os.path.dirname(sys.executable), "pymap")
#: The organizer mailbox that calendar replies reach (read by the schedulers over IMAP).
MAILBOX_USER, MAILBOX_PASSWORD = "meetings@example.com", "mailbox-secret"
GUNICORN = str(Path(sys.executable).parent / "gunicorn")


class SourceAddressAdapter(HTTPAdapter):
    """Connections from one loopback address (127.0.0.2, 127.0.0.3...): a client of its own, as
    nginx and the app's per-client limits see it."""

    def __init__(self, address: str, **kwargs):
        self.address = address
        super().__init__(**kwargs)

    def init_poolmanager(self, connections, maxsize, block=False, **pool_kwargs):
        super().init_poolmanager(connections, maxsize, block, source_address=(self.address, 0), **pool_kwargs)


def client_from(address: str, token: str | None = None) -> requests.Session:
    """A `requests` session whose connections come from ``address``; with ``token``, an API client."""
    session = requests.Session()
    adapter = SourceAddressAdapter(address)
    session.mount("http://", adapter)
    if token:
        session.headers["Authorization"] = f"Bearer {token}"
    return session


@dataclass
class Deployment:
    """What is running: where to reach it, and the logs to read afterwards."""

    database: str
    database_url: str
    url: str  # nginx: the only way clients come in
    hosts: list[str]  # each gunicorn, reached directly only to compare what they show
    mailbox: Mailbox
    env: dict[str, str]
    imap_port: int = 0  # the organizer mailbox (pymap), where mail clients' calendar replies arrive
    logs: list[Path] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    def flask(self, log_dir: Path, *args: str, timeout: float = 120) -> str:
        """Run ``flask --app wsgi ARGS`` against the deployment's database; its output."""
        with FlaskProcess(log_dir, *args, env=self.env) as command:
            status = command.process.wait(timeout=timeout)
            assert status == 0, f"flask {' '.join(args)} exited with {status}:\n{command.output}"
            return command.output


def wait_for_http(url: str, timeout: float = 60, process: Process | None = None) -> None:
    """Until ``url`` answers 200 (failing early if ``process`` died)."""
    def answers():
        if process is not None and process.process.poll() is not None:
            raise AssertionError(f"{process.name} exited with {process.process.returncode}:\n{process.output}")
        try:
            return requests.get(url, timeout=2).status_code == 200
        except requests.RequestException:
            return False
    eventually(answers, timeout, f"{url} to answer")


@contextmanager
def postgres_database():
    """A throwaway database on the PostgreSQL server (``PG_ADMIN_URL``), dropped afterwards."""
    name = f"meetings_system_{secrets.token_hex(4)}"
    try:
        admin = psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as error:
        raise AssertionError(f"PostgreSQL is not reachable at {ADMIN_URL} (PG_ADMIN_URL): the system suite "
                             f"runs on it as deployed. {error}") from None
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            base = ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
            yield f"{base}/{name}"
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def redis_server(workdir: Path):
    """A Redis server of this run's own (no collision with anyone else's keys), in memory only."""
    port = _free_port()
    workdir.mkdir(exist_ok=True)
    with Process(workdir, "redis", [REDIS, "--bind", "127.0.0.1", "--port", str(port), "--save", "",
                                    "--appendonly", "no", "--dir", str(workdir)], env=dict(os.environ)) as redis:
        redis.wait_for_output("Ready to accept connections", timeout=20)
        yield f"redis://127.0.0.1:{port}/0", redis


@contextmanager
def imap_server(workdir: Path):
    """The organizer mailbox: a real IMAP server (pymap) on loopback, emptied of its demo mail."""
    port = _free_port()
    workdir.mkdir(exist_ok=True)
    with Process(workdir, "pymap", [PYMAP, "--host", "127.0.0.1", "--port", str(port), "--no-tls", "dict",
                                    "--demo-user", MAILBOX_USER, "--demo-password", MAILBOX_PASSWORD],
                 env=dict(os.environ)) as pymap:
        def listening():
            if pymap.process.poll() is not None:
                raise AssertionError("pymap exited:\n" + pymap.output)
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return True
            except OSError:
                return False
        eventually(listening, 20, "the IMAP server to listen")
        client = imaplib.IMAP4("127.0.0.1", port)
        client.login(MAILBOX_USER, MAILBOX_PASSWORD)
        client.select("INBOX")
        for number in (client.search(None, "ALL")[1][0] or b"").split():
            client.store(number, "+FLAGS", "\\Deleted")
        client.expunge()
        client.logout()
        yield port, pymap


def mail_to_mailbox(port: int, message: bytes) -> None:
    """Put ``message`` in the organizer mailbox, as the mail system would deliver it."""
    client = imaplib.IMAP4("127.0.0.1", port)
    client.login(MAILBOX_USER, MAILBOX_PASSWORD)
    client.append("INBOX", None, None, message)
    client.logout()


def nginx_config(root: Path, port: int, upstreams: list[int]) -> str:
    """The reverse proxy the README puts in front of gunicorn, writing only under ``root``."""
    servers = "".join(f"    server 127.0.0.1:{upstream};\n" for upstream in upstreams)
    user = f"user {pwd.getpwuid(os.geteuid()).pw_name};\n" if os.geteuid() == 0 else ""
    return f"""{user}worker_processes 1;
daemon off;
master_process on;
pid {root}/nginx.pid;
error_log {root}/error.log warn;
events {{ worker_connections 512; }}
http {{
  access_log {root}/access.log;
  client_body_temp_path {root}/client_body;
  proxy_temp_path {root}/proxy;
  fastcgi_temp_path {root}/fastcgi;
  uwsgi_temp_path {root}/uwsgi;
  scgi_temp_path {root}/scgi;
  client_max_body_size 10m;
  upstream app {{
{servers}  }}
  server {{
    listen 127.0.0.1:{port};
    location / {{
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_read_timeout 120s;
    }}
  }}
}}
"""


def missing_programs() -> list[str]:
    """The Debian programs the suite needs that are not installed (`make nginx` installs them)."""
    return [name for name, path in (("nginx", NGINX), ("redis-server", REDIS)) if not os.access(path, os.X_OK)]


@contextmanager
def deployment(database: str, workdir: Path, *, hosts: int, schedulers: int, workers: int = 2):
    """Start everything, yield a `Deployment`, stop everything (whatever happened)."""
    missing = missing_programs()
    assert not missing, f"The system suite needs {', '.join(missing)}: `make nginx` installs them."
    started = time.monotonic()
    mailbox = Mailbox()
    smtp_port = _free_port()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    logs = workdir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        stack.callback(smtp.stop)
        if database == "postgresql":
            database_url = stack.enter_context(postgres_database())
        else:
            database_url = "sqlite:///" + str(workdir / "meetings.sqlite3")
        redis_url, redis = stack.enter_context(redis_server(workdir / "redis"))
        imap_port, _pymap = stack.enter_context(imap_server(workdir / "imap"))
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        env = app_env(database_url, smtp_port, BASE_URL=url, RATELIMIT_STORAGE_URI=redis_url,
                      UPDATE_DELAY_SECONDS=1, WEB_CONCURRENCY=workers, TRUSTED_PROXY_HOPS=1,
                      MATERIALS_REMINDER_CHECK_SECONDS=2, IMAP_HOST="127.0.0.1", IMAP_PORT=imap_port,
                      IMAP_USE_SSL=0, IMAP_USERNAME=MAILBOX_USER, IMAP_PASSWORD=MAILBOX_PASSWORD,
                      IMAP_POLL_SECONDS=1)
        # (pymap's own log is a test tool's, not the product's: it is not scanned for tracebacks.)
        deployed = Deployment(database, database_url, url, [], mailbox, env, imap_port=imap_port, logs=[redis.log])
        deployed.flask(logs, "db", "upgrade")
        host_ports = [_free_port() for _ in range(hosts)]
        servers = []
        for host_port in host_ports:
            servers.append(stack.enter_context(Process(
                logs, f"gunicorn-{host_port}", [GUNICORN, "-c", "gunicorn.conf.py", "wsgi:app"],
                env=dict(env, BIND=f"127.0.0.1:{host_port}"))))
            deployed.logs.append(servers[-1].log)
            deployed.hosts.append(f"http://127.0.0.1:{host_port}")
        started_schedulers = [stack.enter_context(FlaskProcess(logs, "scheduler", env=env)) for _ in range(schedulers)]
        deployed.logs += [scheduler.log for scheduler in started_schedulers]
        # All of them start side by side; then each is waited for.
        for host, server in zip(deployed.hosts, servers):
            wait_for_http(f"{host}/healthz", process=server)
        for scheduler in started_schedulers:
            scheduler.wait_for_output("Scheduler running")
        proxy_root = workdir / "nginx"
        proxy_root.mkdir()
        (proxy_root / "nginx.conf").write_text(nginx_config(proxy_root, port, host_ports))
        nginx = stack.enter_context(Process(
            logs, "nginx", [NGINX, "-p", str(proxy_root), "-c", str(proxy_root / "nginx.conf"),
                            "-e", str(proxy_root / "error.log")], env=dict(os.environ)))
        deployed.logs += [nginx.log, proxy_root / "error.log"]
        wait_for_http(f"{url}/healthz", process=nginx)
        deployed.timings["start"] = time.monotonic() - started
        yield deployed

