"""gunicorn settings for the benchmarks: the command line says the rest; no access log, so
the load is not also a test of the terminal."""

accesslog = None
errorlog = "-"
loglevel = "warning"
