"""The app's own commands as real processes, on the test's database and SMTP server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def app_env(database_url: str, smtp_port: int, **settings) -> dict[str, str]:
    """The environment of a process that uses the test's database and SMTP server, with fast
    polls and retries; ``settings`` add or override variables."""
    env = {name: value for name, value in os.environ.items() if not name.startswith(("FLASK_", "WERKZEUG_"))}
    env.update(DATABASE_URL=database_url, SECRET_KEY="test-secret-key", BASE_URL="https://meetings.example.com",
               MAIL_SERVER="127.0.0.1", MAIL_PORT=str(smtp_port),
               MAIL_DEFAULT_SENDER="Operation meetings <meetings@example.com>", OUTBOX_POLL_SECONDS="1",
               OUTBOX_RETRY_BASE_SECONDS="1", SCHEDULER_ENABLED="0", PYTHONUNBUFFERED="1")
    env.update({name: str(value) for name, value in settings.items()})
    return env


def eventually(predicate, timeout: float = 20.0, what: str = "the condition"):
    """Poll ``predicate`` until it returns something true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


class Process:
    """``argv`` in a process group of its own, its output kept in a file under ``log_dir``.

    Leaving the ``with`` block kills whatever is left of the group, whatever happened.
    """

    def __init__(self, log_dir: Path, name: str, argv: list[str], *, env: dict[str, str]):
        self.name = name
        self.log = log_dir / f"{name}-{time.monotonic_ns()}.log"
        self._log_file = self.log.open("wb")
        self.process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=self._log_file, stderr=subprocess.STDOUT,
                                        start_new_session=True)

    @property
    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for_output(self, text: str, timeout: float = 30.0) -> str:
        """Wait until ``text`` appears in the output (failing early if the process died)."""
        def seen():
            if text in self.output:
                return True
            if self.process.poll() is not None:
                raise AssertionError(f"{self.name} exited with {self.process.returncode}:\n" + self.output)
            return False
        eventually(seen, timeout, f"{text!r} from {self.name}")
        return self.output

    def kill(self) -> None:
        """SIGKILL, as the OOM killer or a power cut would: no cleanup of any kind."""
        self._signal_group(signal.SIGKILL)
        self.process.wait(timeout=10)

    def terminate(self, timeout: float = 30.0) -> int:
        """SIGTERM to the process (as systemd or Kubernetes would); returns its exit status."""
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)

    def _signal_group(self, signum: int) -> None:
        try:
            os.killpg(self.process.pid, signum)
        except ProcessLookupError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        self._signal_group(signal.SIGKILL)
        self.process.wait(timeout=10)
        self._log_file.close()


class FlaskProcess(Process):
    """``flask --app wsgi ARGS`` as a `Process`."""

    def __init__(self, log_dir: Path, *args: str, env: dict[str, str]):
        self.args = args
        super().__init__(log_dir, f"flask-{'-'.join(args)}", [sys.executable, "-m", "flask", "--app", "wsgi", *args],
                         env=env)
