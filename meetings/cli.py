"""Commands that belong to no single domain: ``flask demo``."""

from __future__ import annotations

import click
from flask import Flask, current_app

from meetings.extensions import db


@click.command("demo")
@click.option("--if-empty", is_flag=True, help="Only when the database has no users yet (what `make run` does).")
def demo_command(if_empty: bool) -> None:
    """Load the demo group and its mid-year operation meeting (running it again changes nothing)."""
    from meetings import demo

    if if_empty and not demo.database_is_empty():
        click.echo("The database already has data; the demo was not loaded.")
    else:
        created = demo.load_demo()
        db.session.commit()
        if any(created.values()):
            click.echo(f"Loaded the demo: {created['people']} people, {created['users']} users, "
                       f"{'the' if created['meeting'] else 'no new'} demo meeting.")
        else:
            click.echo("The demo data is already loaded; nothing changed.")
    if demo.demo_password_works():
        # Where this app's links point (BASE_URL): `make run PORT=...` moves it with the server.
        click.echo(f"Sign in at {current_app.config['BASE_URL']} as {demo.ADMIN_EMAIL} (admin) or "
                   f"{demo.ORGANIZER_EMAIL} (organizer) with the password {demo.DEMO_PASSWORD}")


def init_app(app: Flask) -> None:
    """Register the commands and the health checks."""
    from meetings import health

    app.cli.add_command(demo_command)
    health.init_app(app)
