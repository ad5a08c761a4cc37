"""Rosters checked but not yet imported: kept on this host's disk between the two steps of the
import page, for at most `MAX_AGE`.

A file whose second step never comes (the page closed, the organizer gone home) used to stay
under ``instance/uploads`` for good. The scheduler's housekeeping removes what is older than
`MAX_AGE`, and so does each new check on the host that kept it (the scheduler may run elsewhere).
"""

from __future__ import annotations

import os
import time

from flask import current_app

#: How long a checked roster waits for its import.
MAX_AGE_SECONDS = 3600
_PREFIX = "roster-"


def folder() -> str:
    """Where this host keeps checked rosters (made when first needed)."""
    path = os.path.join(current_app.instance_path, "uploads")
    os.makedirs(path, exist_ok=True)
    return path


def upload_path(upload_id: str) -> str:
    """The file of the checked roster ``upload_id`` (an id the app made, checked by the caller)."""
    return os.path.join(folder(), f"{_PREFIX}{upload_id}")


def remove_stale(max_age_seconds: int = MAX_AGE_SECONDS) -> int:
    """Remove the checked rosters older than ``max_age_seconds``; returns how many went."""
    cutoff = time.time() - max_age_seconds
    removed = 0
    with os.scandir(folder()) as entries:
        for entry in entries:
            if not entry.name.startswith(_PREFIX) or not entry.is_file(follow_symlinks=False):
                continue
            try:
                if entry.stat(follow_symlinks=False).st_mtime < cutoff:
                    os.remove(entry.path)
                    removed += 1
            except FileNotFoundError:  # its import (or another sweep) took it meanwhile
                continue
    return removed
