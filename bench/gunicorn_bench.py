"""gunicorn settings for the benchmarks: the command line says the rest; no access log, so
the load is not also a test of the terminal."""

import os

accesslog = None
errorlog = "-"
loglevel = "warning"
# As in production (gunicorn.conf.py): the workers' heartbeat file in memory, not on disk.
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"
