"""gunicorn settings for production: ``gunicorn -c gunicorn.conf.py wsgi:app``.

Sync workers, one per core, measured faster than threads on these machines (DESIGN.md §6).
Override with environment variables: BIND, WEB_CONCURRENCY, GUNICORN_TIMEOUT.
"""

import multiprocessing
import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count()))
worker_class = "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
# SIGTERM lets running requests finish for this long before workers are stopped.
graceful_timeout = 30
keepalive = 5
# Each worker tells the arbiter it is alive by touching a file before every request: on a disk
# (here /tmp is ext4) that metadata write waits now and then behind the journal, and the request
# waits with it. In memory it never does (gunicorn's own advice).
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"
# Recycle workers now and then, so a slow leak never grows without bound.
max_requests = 10000
max_requests_jitter = 1000
# Behind a reverse proxy on the same host: trust its X-Forwarded-* headers only.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(D)sus request_id=%({x-request-id}o)s'
errorlog = "-"
# Capability tokens and bearer tokens never reach the access log (meetings/core/logs.py).
logger_class = "meetings.core.logs.GunicornLogger"
