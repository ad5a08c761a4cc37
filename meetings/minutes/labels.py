"""The words pages show for the minutes' values, added to the app's one table (`meetings.core.labels`)."""

from flask_babel import lazy_gettext as _l

from meetings.core.labels import LABELS

LABELS.setdefault("minutes_state", {"draft": _l("draft"), "submitted": _l("submitted for approval"),
                                    "approved": _l("approved"), "published": _l("published")})
LABELS.setdefault("action_status", {"open": _l("open"), "done_reported": _l("reported done, to confirm"),
                                    "done": _l("done"), "cancelled": _l("cancelled")})
LABELS.setdefault("action_update", {
    "progress": _l("progress"), "extension_requested": _l("more time asked"),
    "extension_approved": _l("more time given"), "extension_refused": _l("more time refused"),
    "done_reported": _l("reported done"), "done_confirmed": _l("done, confirmed"), "reopened": _l("reopened"),
    "due_changed": _l("due date changed"), "cancelled": _l("cancelled")})
LABELS.setdefault("minutes_change", {
    "reason": _l("why corrected"), "note": _l("notes changed"), "decision_added": _l("decision added"),
    "decision_removed": _l("decision removed"), "action_added": _l("action added"),
    "action_removed": _l("action removed"), "action_changed": _l("action changed")})
