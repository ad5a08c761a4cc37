"""The app as gunicorn serves it, plus a bare "ok" route that exists only for the join benchmark.

``gunicorn bench.join_wsgi:app``, with the settings from the environment (``DATABASE_URL``,
``SECRET_KEY``...), as ``wsgi.py`` does: both routes run through the same app, the same
middleware and the same gunicorn settings, so their ratio is the cost of the join page itself.
"""

from meetings import create_app

app = create_app()


@app.route("/bench-ok")
def bench_ok():
    """The baseline: the least a Flask request can do."""
    return "ok"
