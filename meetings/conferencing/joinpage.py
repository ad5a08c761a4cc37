"""What the join page shows, loaded in one or two statements.

The join page is the busiest page there is: every room system and every online participant
opens it at the same minute. So it does not go through the ORM's objects: one statement finds
the live link with its meeting, its site, the person (personal links) and the agenda with its
speakers; a site link's page adds a second one for who is expected at the site. Nothing is
written and no token is made.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa

from meetings.core.database import as_stored, read_only
from meetings.core.db import utc_value
from meetings.core.tokens import hash_token, plausible_token
from meetings.directory.models import Person
from meetings.extensions import db
from meetings.invitations import links
from meetings.invitations.models import CapabilityLink, Invitation, LinkPurpose
from meetings.scheduling.models import AgendaItem, Meeting, Site, SiteKind, SpeakerSlot


@dataclass
class SpeakerView:
    """One speaker slot of an agenda item."""

    start_at: datetime
    name: str
    topic: str


@dataclass
class ItemView:
    """One agenda item."""

    start_at: datetime
    end_at: datetime
    title: str
    #: The title in Chinese ("" when there is none): `localized` picks one for the reader.
    title_zh: str = ""
    speakers: list[SpeakerView] = field(default_factory=list)


@dataclass
class ExpectedView:
    """Someone expected at the site."""

    name: str
    title: str
    response: str


@dataclass
class JoinPage:
    """Everything the join page shows."""

    purpose: LinkPurpose
    meeting_id: int
    title: str
    status: str
    start_at: datetime
    end_at: datetime
    meeting_zone: str
    site_name: str | None
    site_zone: str | None
    site_location: str
    person_name: str | None
    #: The zone the viewer reads times in: their own (personal links), else the site's.
    zone: str
    #: The title in Chinese ("" when there is none): `localized` picks one for the reader.
    title_zh: str = ""
    #: The meeting's content version this was read at (`meetings.scheduling.versions`).
    version: int = 0
    agenda: list[ItemView] = field(default_factory=list)
    expected: list[ExpectedView] = field(default_factory=list)

    @property
    def is_site_link(self) -> bool:
        """A site's link (its room system and host), not a person's own."""
        return self.purpose == LinkPurpose.SITE

    @property
    def agenda_zone(self) -> str:
        """The agenda is shown in the site's local time (a person without a site: their own)."""
        return self.site_zone or self.zone


_link = CapabilityLink.__table__
_meeting = Meeting.__table__
_site = Site.__table__
_invitation = Invitation.__table__
_person = Person.__table__
_expected = Invitation.__table__.alias("expected")
_expected_person = Person.__table__.alias("expected_person")
_item = AgendaItem.__table__
_slot = SpeakerSlot.__table__
_speaker = Person.__table__.alias("speaker")

# The site a link shows: a site link's own; a person's site; or, for a person without one (online,
# or in person before a site was chosen), the main venue.
_site_id = sa.func.coalesce(_link.c.site_id, _invitation.c.site_id)


# The link with its meeting, site, person, and the agenda with its speakers: one row per speaker
# slot (or agenda item without one; one row when there is no agenda).
_PAGE = (
    sa.select(
        as_stored(_link.c.purpose), _meeting.c.id, _meeting.c.title, as_stored(_meeting.c.status),
        as_stored(_meeting.c.start_at), as_stored(_meeting.c.end_at), _meeting.c.timezone,
        _site.c.id, _site.c.name, _site.c.timezone,
        _site.c.location, _invitation.c.id, as_stored(_invitation.c.removed_at), _person.c.name, _person.c.timezone,
        _item.c.id, as_stored(_item.c.start_at), _item.c.duration_minutes, _item.c.title, as_stored(_slot.c.start_at),
        _speaker.c.name, _slot.c.topic, _meeting.c.title_zh, _item.c.title_zh, _meeting.c.content_version,
    )
    .select_from(_link)
    .join(_meeting, _meeting.c.id == _link.c.meeting_id)
    .outerjoin(_invitation, _invitation.c.id == _link.c.invitation_id)
    .outerjoin(_person, _person.c.id == _invitation.c.person_id)
    .outerjoin(_site, sa.and_(_site.c.meeting_id == _meeting.c.id, sa.or_(
        _site.c.id == _site_id, sa.and_(_site_id.is_(None), _site.c.kind == SiteKind.MAIN))))
    .outerjoin(_item, _item.c.meeting_id == _meeting.c.id)
    .outerjoin(_slot, _slot.c.agenda_item_id == _item.c.id)
    .outerjoin(_speaker, _speaker.c.id == _slot.c.person_id)
    .where(*links.live_conditions(sa.bindparam("token_hash"), LinkPurpose.JOIN, LinkPurpose.SITE))
    .order_by(_item.c.start_at, _item.c.id, _slot.c.position, _slot.c.id)
)

# Who is expected at a site: only a site link shows it; a personal link shows no one else.
_EXPECTED = (
    sa.select(_expected_person.c.name, _expected_person.c.title, as_stored(_expected.c.response))
    .select_from(_expected)
    .join(_expected_person, _expected_person.c.id == _expected.c.person_id)
    .where(_expected.c.site_id == sa.bindparam("site_id"), _expected.c.removed_at.is_(None))
    .order_by(_expected.c.id)
)


def load_join_page(raw: str | None) -> JoinPage | None:
    """The page behind join or site link ``raw``; None when the link is unknown, revoked,
    expired, or a person's who was taken off the list (all a 404). One statement for a
    personal link, two for a site link."""
    if not plausible_token(raw):
        return None
    # A connection of its own, not the session's: nothing here is ORM, and the session's
    # transaction bookkeeping would cost as much as the statements (see `read_only`).
    with read_only(db.engine) as connection:
        return _load(connection, raw)


def _load(connection, raw: str) -> JoinPage | None:
    rows = connection.execute(_PAGE, {"token_hash": hash_token(raw)}).all()
    if not rows:
        return None
    (purpose, meeting_id, title, status, start_at, end_at, meeting_zone, site_id, site_name, site_zone, location,
     invitation_id, removed_at, person_name, person_zone) = rows[0][:15]
    purpose = LinkPurpose(purpose)
    start_at, end_at = utc_value(start_at), utc_value(end_at)
    if links.is_expired(purpose, end_at):
        return None
    if purpose == LinkPurpose.JOIN and (invitation_id is None or removed_at is not None):
        return None
    if purpose == LinkPurpose.SITE and site_id is None:
        return None
    page = JoinPage(
        purpose=purpose, meeting_id=meeting_id, title=title, status=status, start_at=start_at,
        end_at=end_at, meeting_zone=meeting_zone, site_name=site_name, site_zone=site_zone,
        site_location=location or "", person_name=person_name,
        zone=person_zone if purpose == LinkPurpose.JOIN else (site_zone or meeting_zone),
        title_zh=rows[0][22] or "", version=rows[0][24])
    items: dict[int, ItemView] = {}
    for *_, item_id, item_start, minutes, item_title, slot_start, speaker, topic, _title_zh, item_title_zh, _ in rows:
        if item_id is None:
            continue
        item = items.get(item_id)
        if item is None:
            begins = utc_value(item_start)
            item = items[item_id] = ItemView(begins, begins + timedelta(minutes=minutes), item_title,
                                             item_title_zh or "")
        if slot_start is not None:
            item.speakers.append(SpeakerView(utc_value(slot_start), speaker, topic or ""))
    page.agenda = list(items.values())
    if purpose == LinkPurpose.SITE:
        page.expected = [ExpectedView(name, person_title or "", response) for name, person_title, response
                         in connection.execute(_EXPECTED, {"site_id": site_id})]
    return page
