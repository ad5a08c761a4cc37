"""``flask users ...``: create accounts and API tokens from the shell."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from meetings.accounts import services
from meetings.core.database import write_intent
from meetings.core.errors import DomainError
from meetings.extensions import db

users = AppGroup("users", help="Create users and API tokens.")


@users.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(["admin", "organizer"]), required=True)
@click.option("--password", required=True, help="At least 10 characters, not a common one (meetings/accounts/passwords.py).")
@click.option("--name", default="", help="Display name (defaults to the email's local part).")
@click.option("--language", type=click.Choice(["zh_Hans", "en"]), default=None,
              help="Language of their pages (default: follow their browser).")
def create_user_command(email: str, role: str, password: str, name: str, language: str | None) -> None:
    """Create a user who can log in."""
    # A read then a write: on SQLite the write lock is taken up front (write_intent), or a
    # scheduler's write in between fails the command at once with "database is locked".
    try:
        with write_intent():
            user = services.create_user(email, role, password, name, language=language)
            db.session.commit()
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from None
    click.echo(f"Created {user.role} {user.email}.")


@users.command("token")
@click.argument("email")
@click.option("--name", default="cli", help="What the token is for.")
def token_command(email: str, name: str) -> None:
    """Print a new API token for EMAIL (the last line is the token)."""
    try:
        with write_intent():
            raw = services.issue_api_token(email, name)
            db.session.commit()
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from None
    click.echo(f"API token for {services.normalize_email(email)} (shown once; keep it secret):")
    click.echo(raw)
