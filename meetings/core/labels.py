"""What the pages call the values of the domain's enums (roles, answers, statuses, kinds), in the
reader's language.

The values themselves (``site_host``, ``needs-action``) stay what the API, the database and the
CSS classes use; only the words shown change. English keeps the lower-case words the pages have
always shown, so one table serves every page: ``{{ invitation.role | label("role") }}``.
"""

from __future__ import annotations

from flask import g, has_app_context
from flask_babel import lazy_gettext as _l

from meetings.core.i18n import current_language

#: Per kind of value, the words shown for each value.
LABELS = {
    "role": {"chair": _l("chair"), "speaker": _l("speaker"), "participant": _l("participant"),
             "observer": _l("observer"), "site_host": _l("site host")},
    "response": {"needs-action": _l("no answer yet"), "accepted": _l("accepted"), "tentative": _l("maybe"),
                 "declined": _l("declined"), "delegated": _l("delegated")},
    "status": {"draft": _l("draft"), "scheduled": _l("scheduled"), "finished": _l("finished"),
               "cancelled": _l("cancelled")},
    "agenda_kind": {"report": _l("report"), "speech": _l("speech"), "discussion": _l("discussion"),
                    "break": _l("break"), "other": _l("other")},
    "mode": {"in_person": _l("in person"), "remote_site": _l("at a remote site"), "online": _l("online")},
    "mail_kind": {"invite": _l("invite"), "update": _l("update"), "cancel": _l("cancellation"),
                  "reminder": _l("reminder"), "confirmation": _l("confirmation"), "site_link": _l("site link"),
                  "materials": _l("materials")},
    "mail_status": {"pending": _l("pending"), "sending": _l("sending"), "sent": _l("sent"), "failed": _l("failed"),
                    "cancelled": _l("cancelled"), "skipped": _l("skipped")},
    # The board groups people without a site under this key (the live counts match rows by it).
    "site": {"Online": _l("Online")},
    # The materials' access log: what someone did with a file, and through what.
    "access_action": {"view": _l("viewed"), "download": _l("downloaded")},
    "access_via": {"api": _l("the API"), "page": _l("the organizer's page"), "zip": _l("the ZIP of all materials"),
                   "rsvp_link": _l("their RSVP link"), "join_link": _l("their join link"),
                   "site_link": _l("the site link")},
    # A site's videoconference: the systems' own names, and a fixed link (Zoom, Teams, a room system).
    "vc_provider": {"jitsi": "Jitsi", "bbb": "BigBlueButton", "url": _l("A fixed link")},
    "link": {"rsvp": _l("RSVP"), "join": _l("join"), "site": _l("site"), "checkin": _l("check-in"),
             "feed": _l("calendar feed")},
}


def label(value, kind: str) -> str:
    """The word for ``value`` (an enum member or its value) among ``kind``'s, in the reader's
    language; an unknown value (a site's name) is shown as it is, with ``_`` as spaces."""
    raw = str(getattr(value, "value", value) or "")
    # A page lists the same few words for hundreds of rows: each is translated once per request
    # and language (emails render several languages in one context, hence the locale in the key).
    memo = g.setdefault("_labels", {}) if has_app_context() else {}
    key = (current_language(), kind, raw)
    word = memo.get(key)
    if word is None:
        known = LABELS.get(kind, {}).get(raw)
        word = memo[key] = str(known) if known is not None else raw.replace("_", " ")
    return word

