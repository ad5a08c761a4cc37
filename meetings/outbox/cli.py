"""``flask outbox ...`` and ``flask scheduler``."""

from __future__ import annotations

import os
import signal
import threading

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from meetings.core.errors import DomainError
from meetings.extensions import db
from meetings.outbox import delivery, services
from meetings.outbox.scheduler import build_scheduler

outbox = AppGroup("outbox", help="Look at and act on the outgoing email queue.")


@outbox.command("status")
def status_command() -> None:
    """Print how many emails are in each state."""
    for name, count in services.counts_by_status().items():
        click.echo(f"{name:10} {count}")


@outbox.command("retry")
@click.argument("message_id", type=int)
def retry_command(message_id: int) -> None:
    """Queue failed message MESSAGE_ID again, to go out now."""
    try:
        message = services.retry(message_id)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from None
    click.echo(f"Message {message.id} ({message.kind}) is queued again.")


@outbox.command("deliver")
def deliver_command() -> None:
    """Deliver what is due now, once, and print what happened."""
    stats = delivery.deliver_due()
    click.echo(f"claimed {stats.claimed}, sent {stats.sent}, retried {stats.retried}, failed {stats.failed}, "
               f"skipped {stats.skipped}, released {stats.released}")


@click.command("scheduler")
@with_appcontext
def scheduler_command() -> None:
    """Run the scheduler (email delivery and housekeeping) until SIGTERM or Ctrl-C."""
    # The app behind the current_app proxy (LocalProxy's public method, which Flask's annotation
    # of current_app as a Flask object hides).
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    # Delivery is background work: seconds later does not matter to an email, and it does to
    # the person waiting for a page (the rush of answers comes while the invites go out).
    niceness = app.config["SCHEDULER_NICE"]
    if not 0 <= niceness <= 19:
        raise click.ClickException(f"SCHEDULER_NICE must be between 0 and 19, not {niceness}.")
    if niceness:
        os.nice(niceness)
    stop = threading.Event()
    scheduler = build_scheduler(app, stopping=stop)

    def request_stop(signum, _frame):
        click.echo(f"Received signal {signum}; finishing the batch being sent and stopping.")
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    scheduler.start()
    click.echo(f"Scheduler running with {len(scheduler.get_jobs())} jobs: "
               + ", ".join(job.id for job in scheduler.get_jobs()), err=False)
    while not stop.wait(1):
        pass
    scheduler.shutdown(wait=True)
    click.echo("Scheduler stopped.")
