"""Settings, read from the environment here and nowhere else (DESIGN.md §4)."""

from __future__ import annotations

import os


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def _hosts(base_url: str, extra: str | None) -> list[str]:
    from urllib.parse import urlsplit

    host = urlsplit(base_url).hostname or "localhost"
    hosts = [host] + [h.strip() for h in (extra or "").split(",") if h.strip()]
    if host in ("127.0.0.1", "localhost"):
        hosts += ["127.0.0.1", "localhost"]  # the development server answers to both names
    return sorted(set(hosts))


class Config:
    """Production-safe defaults, overridden by environment variables.

    Values are read when the object is made, so a test or a command that sets the environment
    first sees its own values.
    """

    def __init__(self, **overrides):
        env = os.environ.get
        #: Signs sessions and CSRF tokens. Made and kept under instance/ in development only.
        self.SECRET_KEY = env("SECRET_KEY") or None
        #: None means SQLite under the instance folder (the factory fills it in).
        self.SQLALCHEMY_DATABASE_URI = env("DATABASE_URL") or None
        #: A pooled connection the server closed (a restart, a failover, an idle timeout) is found
        #: and replaced at checkout, not by the request: one back in the pool for more than this
        #: many seconds is pinged first (`meetings.core.database._ping_when_idle`); one in use a
        #: moment ago is not (the pool's own pre-ping was a round trip before every page's one
        #: statement). SQLite has no server: nothing is pinged.
        self.DB_PING_IDLE_SECONDS = float(env("DB_PING_IDLE_SECONDS") or 1.0)
        #: Every link in an email or a calendar is built from this, never from the request.
        self.BASE_URL = (env("BASE_URL") or "http://127.0.0.1:5000").rstrip("/")
        self.MAIL_SERVER = env("MAIL_SERVER") or "localhost"
        self.MAIL_PORT = _int("MAIL_PORT", 25)
        self.MAIL_USE_TLS = _bool("MAIL_USE_TLS")
        self.MAIL_USE_SSL = _bool("MAIL_USE_SSL")
        self.MAIL_USERNAME = env("MAIL_USERNAME") or None
        self.MAIL_PASSWORD = env("MAIL_PASSWORD") or None
        self.MAIL_DEFAULT_SENDER = env("MAIL_DEFAULT_SENDER") or "Meetings <meetings@localhost.localdomain>"
        #: Seconds any one SMTP operation may take before the batch gives up and retries later.
        self.MAIL_TIMEOUT = _int("MAIL_TIMEOUT", 30)
        #: The organizer mailbox that calendar replies reach; read by the scheduler when set.
        self.IMAP_HOST = env("IMAP_HOST") or None
        self.IMAP_PORT = _int("IMAP_PORT", 993)
        self.IMAP_USE_SSL = _bool("IMAP_USE_SSL", True)
        self.IMAP_STARTTLS = _bool("IMAP_STARTTLS")
        self.IMAP_USERNAME = env("IMAP_USERNAME") or None
        self.IMAP_PASSWORD = env("IMAP_PASSWORD") or None
        self.IMAP_FOLDER = env("IMAP_FOLDER") or "INBOX"
        self.IMAP_POLL_SECONDS = _int("IMAP_POLL_SECONDS", 60)
        #: Run the scheduler (delivery and housekeeping) inside this process.
        self.SCHEDULER_ENABLED = _bool("SCHEDULER_ENABLED")
        #: How far ``flask scheduler`` lowers its own CPU priority (a nice increment, 0-19): on a
        #: host it shares with the web workers, the emails it renders wait for the CPU while
        #: pages and answers are being served, and take all of it when they are not. 0 keeps
        #: its priority.
        self.SCHEDULER_NICE = _int("SCHEDULER_NICE", 10)
        self.VC_PROVIDER = env("VC_PROVIDER") or "jitsi"
        self.JITSI_BASE_URL = (env("JITSI_BASE_URL") or "https://meet.jit.si").rstrip("/")
        self.JITSI_APP_ID = env("JITSI_APP_ID") or None
        self.JITSI_APP_SECRET = env("JITSI_APP_SECRET") or None
        self.BBB_URL = env("BBB_URL") or None
        self.BBB_SECRET = env("BBB_SECRET") or None
        #: Hours after a meeting's end that its join, site and check-in links keep working.
        self.LINK_GRACE_HOURS = _int("LINK_GRACE_HOURS", 2)
        #: Minutes before a meeting's start that QR check-in and roll call open, and minutes after
        #: its end that they close. An organizer's manual check-in works at any time.
        self.CHECKIN_OPENS_BEFORE = _int("CHECKIN_OPENS_BEFORE", 120)
        self.CHECKIN_CLOSES_AFTER = _int("CHECKIN_CLOSES_AFTER", 120)
        #: Seconds an update waits before going out, so a burst of edits sends one email.
        self.UPDATE_DELAY_SECONDS = _int("UPDATE_DELAY_SECONDS", 60)
        #: How often the scheduler looks for overdue action items to chase (their chasers are weekly).
        self.ACTION_CHASE_SECONDS = _int("ACTION_CHASE_SECONDS", 300)
        #: Outbox delivery: rows per batch (one SMTP connection each), tries before giving up,
        #: first retry delay (doubling, capped at an hour), and how often the scheduler looks.
        self.OUTBOX_BATCH_SIZE = _int("OUTBOX_BATCH_SIZE", 200)
        self.OUTBOX_MAX_ATTEMPTS = _int("OUTBOX_MAX_ATTEMPTS", 10)
        self.OUTBOX_RETRY_BASE_SECONDS = _int("OUTBOX_RETRY_BASE_SECONDS", 30)
        self.OUTBOX_POLL_SECONDS = _int("OUTBOX_POLL_SECONDS", 5)
        #: How long a worker holds the rows it claimed; a worker that dies leaves them to be taken
        #: over after this. Longer than any batch can take to send.
        self.OUTBOX_LEASE_SECONDS = _int("OUTBOX_LEASE_SECONDS", 300)
        #: Proxies in front of the app whose ``X-Forwarded-For`` (and ``-Proto``) are trusted: the
        #: client's address is the one this many hops from the right (Werkzeug's ProxyFix). 1: one
        #: proxy, as the README's nginx on the same host; 0: clients connect to the app directly.
        self.TRUSTED_PROXY_HOPS = _int("TRUSTED_PROXY_HOPS", 1)
        #: Rate limit counters: memory:// counts per process; use redis:// in production.
        self.RATELIMIT_STORAGE_URI = env("RATELIMIT_STORAGE_URI") or "memory://"
        #: The storage's own errors (Redis unreachable) raised as ``limits.errors.StorageError``,
        #: which the link pages' limits know to fail open on (`meetings.core.limits`).
        self.RATELIMIT_STORAGE_OPTIONS = {"wrap_exceptions": True}
        #: Failed sign-ins allowed per account and per client address before a pause (429).
        self.LOGIN_LIMIT_PER_ACCOUNT = env("LOGIN_LIMIT_PER_ACCOUNT") or "5 per 10 minutes"
        self.LOGIN_LIMIT_PER_ADDRESS = env("LOGIN_LIMIT_PER_ADDRESS") or "30 per 10 minutes"
        #: Requests per client address to the pages behind links, and wrong links (404s) allowed.
        self.LINK_LIMIT = env("LINK_LIMIT") or "600 per minute"
        self.LINK_MISS_LIMIT = env("LINK_MISS_LIMIT") or "30 per minute"
        #: What the join and RSVP pages share (a meeting's agenda, read and rendered) and meetings'
        #: JSON, kept by each worker per content version (meetings.core.pagecache); 0 keeps nothing.
        self.PAGE_CACHE_SIZE = _int("PAGE_CACHE_SIZE", 1000)
        #: ... and at most about this many megabytes of them per worker (the least used go first).
        self.PAGE_CACHE_MB = _int("PAGE_CACHE_MB", 64)
        #: Say in an X-Kept-Page header whether a response's kept parts were kept (benchmarks).
        self.PAGE_CACHE_REPORT = _bool("PAGE_CACHE_REPORT")
        #: Calendar replies posted per API token.
        self.REPLY_LIMIT = env("REPLY_LIMIT") or "600 per minute"
        #: Host names the app answers to (others get a 400): BASE_URL's, plus any listed here.
        self.TRUSTED_HOSTS = _hosts(self.BASE_URL, env("TRUSTED_HOSTS"))
        #: Language of pages for visitors whose user and browser name neither zh_Hans nor en.
        self.DEFAULT_LANGUAGE = env("DEFAULT_LANGUAGE") or "en"
        #: Level of the JSON logs written to standard error outside development.
        self.LOG_LEVEL = env("LOG_LEVEL") or "INFO"
        self.MAX_CONTENT_LENGTH = 10 * 1024 * 1024
        #: The largest material file accepted (bytes); uploads of materials may be this large.
        self.MATERIALS_MAX_BYTES = _int("MATERIALS_MAX_BYTES", 50 * 1024 * 1024)
        #: Hours before materials are due that speakers without one get their reminder.
        self.MATERIALS_REMINDER_HOURS = _int("MATERIALS_REMINDER_HOURS", 24)
        #: How often the scheduler looks for materials reminders that have come due (seconds).
        self.MATERIALS_REMINDER_CHECK_SECONDS = _int("MATERIALS_REMINDER_CHECK_SECONDS", 300)
        #: Stored files (materials, evidence) that nothing references are deleted this long after
        #: they were stored, at most STORAGE_SWEEP_LIMIT per run of the hourly job.
        self.STORAGE_SWEEP_GRACE_HOURS = _int("STORAGE_SWEEP_GRACE_HOURS", 24)
        self.STORAGE_SWEEP_LIMIT = _int("STORAGE_SWEEP_LIMIT", 200)
        #: How long the email about new or replaced materials waits, so a burst of uploads is one
        #: email per reader (seconds; negative: no such email, only the next update mentions them).
        self.MATERIALS_NOTICE_DELAY_SECONDS = _int("MATERIALS_NOTICE_DELAY_SECONDS", 3600)
        #: How long the confirmation of an answer (by link, or recorded by an organizer) waits
        #: (seconds, 0 or more), so a person who changes their mind in that time gets one email,
        #: with their last answer (the page they answered on says at once what was recorded).
        self.CONFIRMATION_DELAY_SECONDS = _int("CONFIRMATION_DELAY_SECONDS", 60)
        self.API_TITLE = "meetings"
        self.API_VERSION = "1"
        self.OPENAPI_VERSION = "3.0.3"
        self.OPENAPI_URL_PREFIX = "/api"
        self.OPENAPI_JSON_PATH = "openapi.json"
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = self.BASE_URL.startswith("https://")
        self.REMEMBER_COOKIE_SECURE = self.SESSION_COOKIE_SECURE
        self.TESTING = False
        for name, value in overrides.items():
            setattr(self, name, value)


class TestConfig(Config):
    """What the test suite runs with: a throwaway secret, no in-process scheduler."""

    __test__ = False  # a settings class, not a pytest test class

    def __init__(self, **overrides):
        super().__init__()
        self.TESTING = True
        self.SECRET_KEY = "test-secret-key"
        self.SCHEDULER_ENABLED = False
        self.BASE_URL = "https://meetings.example.com"
        self.MAIL_DEFAULT_SENDER = "Operation meetings <meetings@example.com>"
        self.TRUSTED_HOSTS = ["meetings.example.com", "localhost", "127.0.0.1"]
        self.RATELIMIT_ENABLED = True
        self.WTF_CSRF_ENABLED = True
        for name, value in overrides.items():
            setattr(self, name, value)
