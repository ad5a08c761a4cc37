"""The housekeeping job that deletes stored files nothing references any more: the bytes of a
material or an evidence file whose row was deleted (its meeting, its action), bounded per run."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app

from meetings.materials import storage


def sweep_unreferenced() -> int:
    """Delete up to ``STORAGE_SWEEP_LIMIT`` unreferenced files stored more than
    ``STORAGE_SWEEP_GRACE_HOURS`` ago; returns how many (`storage.sweep`)."""
    config = current_app.config
    return storage.sweep(grace=timedelta(hours=config["STORAGE_SWEEP_GRACE_HOURS"]),
                         limit=config["STORAGE_SWEEP_LIMIT"])
