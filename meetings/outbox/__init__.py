"""Outbox: every email is a row first, written with the change that causes it, then delivered
by the scheduler over one SMTP connection per batch, retried with backoff, never twice."""


def init_app(app):
    """Attach the outbox commands."""
    from meetings.outbox import cli

    app.cli.add_command(cli.outbox)
    app.cli.add_command(cli.scheduler_command)
