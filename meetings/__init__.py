"""meetings: operation meetings with a main venue, remote sites, agendas, invites and attendance."""

from __future__ import annotations

import logging
import os
import secrets
from typing import cast

from flask import Flask
from flask.json.provider import DefaultJSONProvider

from config import Config

#: The domains, lowest first (DESIGN.md §2); each has an ``init_app(app)``.
DOMAINS = (
    "meetings.outbox",
    "meetings.accounts",
    "meetings.directory",
    "meetings.scheduling",
    "meetings.invitations",
    "meetings.attendance",
    "meetings.conferencing",
    "meetings.materials",
    "meetings.minutes",
    "meetings.notifications",
    "meetings.manage",
)


def create_app(config: Config | None = None, instance_path: str | None = None) -> Flask:
    """Build the application: settings, extensions, domains, error handlers, commands; then
    refuse it if any endpoint does not declare who may use it (`check_access`).

    ``instance_path`` (default: ``instance/`` beside the code) holds the SQLite database and the
    development secret key.
    """
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    app = Flask(
        __name__,
        instance_path=instance_path or os.path.join(root, "instance"),
        instance_relative_config=True,
        template_folder=os.path.join(root, "templates"),
        static_folder=os.path.join(root, "static"),
    )
    app.config.from_object(config or Config())
    from meetings.core.schemas import BoundedIntegerConverter

    app.url_map.converters["int"] = BoundedIntegerConverter
    json = cast(DefaultJSONProvider, app.json)  # Flask's own provider: app.json_provider_class is not changed
    json.sort_keys = False
    json.ensure_ascii = False
    os.makedirs(app.instance_path, exist_ok=True)
    _configure_database_url(app)
    _configure_secret_key(app)
    _check_sender(app)
    _check_delays(app)
    register_extensions(app)
    register_domains(app)
    from meetings.core import sessions

    sessions.init_app(app)  # which requests have a session: known once every blueprint is
    register_error_handlers(app)
    register_commands(app)
    _trust_proxy(app)
    from meetings import devmail

    devmail.init_app(app, serving=_is_serving_process(app) and bool(app.config.get("SCHEDULER_ENABLED")))
    if app.config.get("SCHEDULER_ENABLED") and _is_serving_process(app):
        from meetings.outbox.scheduler import start_in_process

        start_in_process(app)
    check_access(app)
    return app


def check_access(app: Flask) -> None:
    """Every endpoint declares who may use it (`meetings.core.access`): the extensions' own are
    declared here; an endpoint that declares nothing stops the app from starting."""
    from meetings.core import access

    for endpoint in list(app.view_functions):
        if endpoint.startswith("api-docs.") and access.declared(app.view_functions[endpoint]) is None:
            access.declare_endpoint(app, endpoint, access.PUBLIC)  # the OpenAPI spec (flask-smorest)
    access.check_declarations(app)


def _is_serving_process(app: Flask) -> bool:
    # Only a process that serves requests runs the scheduler inside it: a gunicorn worker (no
    # flask command around it) or `flask run`'s server. The other flask commands load the app too
    # (db upgrade, demo, and scheduler, which runs its own) and must not start one. `flask run`
    # with the reloader loads the app in a watcher and again in the server child; only the child
    # (WERKZEUG_RUN_MAIN) serves.
    import click
    from flask.helpers import get_debug_flag

    command = click.get_current_context(silent=True)
    if command is None:
        return True
    if command.command.name != "run":
        return False
    reload = command.params.get("reload")
    if reload is None:  # flask run's own default
        reload = get_debug_flag()
    return not reload or os.environ.get("WERKZEUG_RUN_MAIN") == "true"


def _trust_proxy(app: Flask) -> None:
    # Behind a reverse proxy every connection comes from the proxy: the client's address (which
    # every per-client limit counts by) is in the X-Forwarded-For it appends to. gunicorn's
    # forwarded_allow_ips only trusts the scheme headers, so the app reads the address itself,
    # from exactly as many hops as there are proxies (a client can write the header too).
    hops = int(app.config.get("TRUSTED_PROXY_HOPS") or 0)
    if hops < 0:
        raise RuntimeError(f"TRUSTED_PROXY_HOPS must be 0 or more, not {hops}.")
    if hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        # Flask's documented way to add WSGI middleware; its stubs declare wsgi_app a plain method.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]


def _configure_database_url(app: Flask) -> None:
    url = app.config.get("SQLALCHEMY_DATABASE_URI")
    if not url:
        url = "sqlite:///" + os.path.join(app.instance_path, "meetings.sqlite3")
    # psycopg 3 is the driver we ship; accept the URLs people copy from elsewhere.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            url = "postgresql+psycopg://" + url[len(prefix):]
    app.config["SQLALCHEMY_DATABASE_URI"] = url


def _configure_secret_key(app: Flask) -> None:
    if app.config.get("SECRET_KEY"):
        return
    if not (app.debug or app.testing):
        raise RuntimeError(
            "SECRET_KEY is not set. Set it in the environment (for example "
            "SECRET_KEY=$(python -c 'import secrets; print(secrets.token_hex(32))')); "
            "only the development server (FLASK_DEBUG=1) makes its own."
        )
    path = os.path.join(app.instance_path, "secret_key")
    if not os.path.exists(path):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    with open(path) as handle:
        app.config["SECRET_KEY"] = handle.read().strip()


def _check_delays(app: Flask) -> None:
    delay = app.config["CONFIRMATION_DELAY_SECONDS"]
    if delay < 0:
        raise RuntimeError(f"CONFIRMATION_DELAY_SECONDS must be 0 or more, not {delay}.")


def _check_sender(app: Flask) -> None:
    # The sender is also every invite's ORGANIZER, which calendar clients reply to: a value that
    # is not an address would fail every email, so it fails here, at once.
    from email.utils import parseaddr

    from meetings.invitations.ical import CalendarError, check_address

    _, address = parseaddr(app.config.get("MAIL_DEFAULT_SENDER") or "")
    try:
        check_address(address)
    except CalendarError:
        raise RuntimeError(f"MAIL_DEFAULT_SENDER {app.config.get('MAIL_DEFAULT_SENDER')!r} is not an email "
                           "address (like 'Meetings <meetings@example.com>').") from None


def register_extensions(app: Flask) -> None:
    """Bind the extension objects of `meetings.extensions` to ``app``."""
    from meetings.core import http, i18n, logs, pagecache, templating
    from meetings.core.database import close_request_reads, configure_engine
    from meetings.extensions import api, csrf, db, limiter, login_manager, mail, migrate

    db.init_app(app)
    with app.app_context():
        configure_engine(db.engine, ping_idle_seconds=app.config["DB_PING_IDLE_SECONDS"],
                         options=app.config.get("SQLALCHEMY_ENGINE_OPTIONS"))
    app.teardown_appcontext(close_request_reads)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(app.root_path), "migrations"),
                     render_as_batch=True, compare_type=True)
    mail.init_app(app)
    # Templates get Flask-Login's `current_user` proxy, which finds the user when a template
    # first reads it, instead of its context processor, which finds them for every page: the
    # pages behind links never show an account, and their visitors have none.
    from flask_login import current_user

    login_manager.init_app(app, add_context_processor=False)
    app.context_processor(lambda: {"current_user": current_user})
    csrf.init_app(app)
    limiter.init_app(app)
    if app.config.get("RATELIMIT_STORAGE_URI", "").startswith("memory") and not (app.debug or app.testing):
        # Each worker would count on its own: N workers allow N times every limit.
        logging.getLogger(__name__).warning(
            "RATELIMIT_STORAGE_URI is memory://: rate limits count per process; set redis://... in production")
    api.init_app(app)
    templating.init_app(app)
    i18n.init_app(app)
    pagecache.init_app(app)
    http.init_app(app)
    logs.init_app(app)
    from meetings.core import inputs

    inputs.init_app(app)  # after http's request id and CSRF: the gate's refusals carry the id


def register_domains(app: Flask) -> None:
    """Let each domain attach its blueprints, signal receivers and commands."""
    from importlib import import_module

    for name in DOMAINS:
        import_module(name).init_app(app)


def register_error_handlers(app: Flask) -> None:
    """One error format for the API and one error page for the UI."""
    from meetings.core.errors import register_error_handlers as register

    register(app)


def register_commands(app: Flask) -> None:
    """The ``flask`` commands that are not a single domain's."""
    from meetings.cli import init_app

    init_app(app)
