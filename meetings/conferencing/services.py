"""Site links: what the organizer's page hands out for a remote room, and their rotation.

Only hashes are stored, so a site's "current link" cannot be read back: getting one mints a
fresh token, and every token of the site keeps working until the organizer rotates them (or
the meeting's links expire). The host learns a rotated link by email (the ``site_link`` email).
"""

from __future__ import annotations

from meetings.core import signals
from meetings.core.errors import Conflict
from meetings.invitations import links
from meetings.invitations.models import LinkPurpose
from meetings.scheduling.models import MeetingStatus, Site


def _require_linkable(site: Site) -> None:
    if site.meeting.status == MeetingStatus.CANCELLED:
        raise Conflict("The meeting was cancelled; its sites have no join links any more.")


def site_link(site: Site) -> str:
    """A fresh link to ``site``'s join page (and its roll call), for its room system and host."""
    _require_linkable(site)
    raw = links.mint(LinkPurpose.SITE, meeting_id=site.meeting_id, site_id=site.id)
    return links.link_url(LinkPurpose.SITE, raw)


def rotate_site_link(site: Site) -> str:
    """Revoke every link of ``site`` (they become 404s) and return a new one; the host is sent
    the new link by email (by signal, in this transaction)."""
    _require_linkable(site)
    links.revoke(LinkPurpose.SITE, site_id=site.id)
    signals.site_link_rotated.send(site)
    return site_link(site)
