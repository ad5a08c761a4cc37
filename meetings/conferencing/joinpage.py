"""What the join page shows: one statement for the link, what the meeting's pages share kept per version.

The join page is the busiest page there is: every room system and every online participant
opens it at the same minute, each through their own link. So it does not go through the ORM's
objects: one statement finds the live link with its meeting's id and content version, which
site it shows (a site link's own, or the person's `conference_site`) and the person (personal
links); the meeting itself, its sites and agenda, the same for all of them, are read once per
version (`meetings.scheduling.contentview`); a site link's page adds one statement for who is
expected at the site (their answers change at any time, so they are read on every request).
Nothing is written and no token is made.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

import sqlalchemy as sa

from meetings.core.database import request_reads
from meetings.core.linkpages import LinkHolder
from meetings.core.tokens import hash_token, plausible_token
from meetings.directory.models import Person
from meetings.extensions import db
from meetings.invitations import links
from meetings.invitations.models import CapabilityLink, Invitation, LinkPurpose, Response, attended_site_id
from meetings.scheduling.contentview import ItemView, kept_content
from meetings.scheduling.models import Meeting, MeetingStatus


@dataclass(frozen=True)
class ExpectedView:
    """Someone expected at the site."""

    name: str
    title: str
    response: Response


@dataclass
class JoinPage:
    """Everything the join page shows."""

    purpose: LinkPurpose
    meeting_id: int
    meeting_uid: str
    title: str
    status: MeetingStatus
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
    agenda: tuple[ItemView, ...] = ()
    expected: list[ExpectedView] = field(default_factory=list)
    #: Who holds the link (what their materials are chosen by).
    holder: LinkHolder | None = None

    @property
    def is_site_link(self) -> bool:
        """A site's link (its room system and host), not a person's own."""
        return self.purpose == LinkPurpose.SITE

    def shown_key(self) -> tuple:
        """What a person's page shows but their name (`blanked`), as a kept page's key: the
        meeting (the agenda: its version), the site and the zones."""
        return (self.purpose, self.meeting_id, self.meeting_uid, self.version, self.title, self.title_zh, self.status,
                self.start_at, self.end_at, self.meeting_zone, self.site_name, self.site_zone, self.site_location,
                self.zone, self.person_name is not None)

    def blanked(self, name: str) -> JoinPage:
        """A person's page as a kept page is rendered (`meetings.core.stencils`): their name
        replaced by ``name`` (the blank), nobody expected (a person's page lists no one), and
        the rest what `shown_key` names."""
        return replace(self, person_name=name if self.person_name is not None else None, expected=[])

    @property
    def agenda_zone(self) -> str:
        """The agenda is shown in the site's local time (a person without a site: their own)."""
        return self.site_zone or self.zone


_link = CapabilityLink.__table__
_meeting = Meeting.__table__
_invitation = Invitation.__table__
_person = Person.__table__
_expected = Invitation.__table__.alias("expected")
_expected_person = Person.__table__.alias("expected_person")

#: The live join or site link ``token_hash`` with its meeting's id, uid and content version (the
#: rest of it: `kept_content`), the id of its site (a site link's own; a person's
#: `Invitation.conference_site`), the person and where they attend (`Invitation.venue`, what
#: their materials are chosen by) for personal links: at most one row.
PAGE = (
    sa.select(
        _link.c.purpose, _meeting.c.id.label("meeting_id"), _meeting.c.uid.label("meeting_uid"),
        _meeting.c.content_version.label("version"),
        # A site link's own site, else the person's (their invitation is NULL for a site link).
        sa.func.coalesce(_link.c.site_id, attended_site_id(_invitation, conference=True)).label("site_id"),
        _invitation.c.id.label("invitation_id"), _invitation.c.removed_at, _invitation.c.role,
        _invitation.c.person_id, attended_site_id(_invitation).label("venue_id"),
        _person.c.name.label("person_name"), _person.c.timezone.label("person_zone"),
    )
    .select_from(_link)
    .join(_meeting, _meeting.c.id == _link.c.meeting_id)
    .outerjoin(_invitation, _invitation.c.id == _link.c.invitation_id)
    .outerjoin(_person, _person.c.id == _invitation.c.person_id)
    .where(*links.live_conditions(sa.bindparam("token_hash"), LinkPurpose.JOIN, LinkPurpose.SITE))
)

#: Who is expected at a site: only a site link shows it; a personal link shows no one else.
EXPECTED = (
    sa.select(_expected_person.c.name, _expected_person.c.title, _expected.c.response)
    .select_from(_expected)
    .join(_expected_person, _expected_person.c.id == _expected.c.person_id)
    .where(_expected.c.site_id == sa.bindparam("site_id"), _expected.c.removed_at.is_(None))
    .order_by(_expected.c.id)
)


def load_join_page(raw: str | None) -> JoinPage | None:
    """The page behind join or site link ``raw``; None when the link is unknown, revoked,
    expired, or a person's who was taken off the list (all a 404). One statement for a
    personal link, two for a site link, and one more when the agenda is not kept."""
    if not plausible_token(raw):
        return None
    # Not the session: nothing here is ORM, and its transaction bookkeeping would cost as much
    # as the statements (see `request_reads`).
    return _load(request_reads(db.engine), raw)


def _load(connection, raw: str) -> JoinPage | None:
    row = connection.execute(PAGE, {"token_hash": hash_token(raw)}).first()
    if row is None:
        return None
    purpose = row.purpose
    if purpose == LinkPurpose.JOIN and (row.invitation_id is None or row.removed_at is not None):
        return None
    content = kept_content(connection, row.meeting_id, row.meeting_uid, row.version)
    if content is None or links.is_expired(purpose, content.meeting.end_at):
        return None
    meeting = content.meeting
    # The meeting's own site only (a site of another meeting is none of this page's); one
    # removed since the version was read is in no kept content: no site.
    site = content.sites.get(row.site_id) if row.site_id is not None else None
    if purpose == LinkPurpose.SITE and site is None:
        return None
    page = JoinPage(
        purpose=purpose, meeting_id=row.meeting_id, meeting_uid=row.meeting_uid, title=meeting.title,
        status=meeting.status, start_at=meeting.start_at, end_at=meeting.end_at, meeting_zone=meeting.timezone,
        site_name=site.name if site else None, site_zone=site.timezone if site else None,
        site_location=site.location if site else "", person_name=row.person_name,
        zone=row.person_zone if purpose == LinkPurpose.JOIN else (site.timezone if site else meeting.timezone),
        title_zh=meeting.title_zh, version=row.version, agenda=content.agenda.items)
    if purpose == LinkPurpose.SITE:
        page.holder = LinkHolder(purpose, row.meeting_id, row.meeting_uid, row.version, site_id=row.site_id)
    else:
        page.holder = LinkHolder(purpose, row.meeting_id, row.meeting_uid, row.version,
                                 invitation_id=row.invitation_id, person_id=row.person_id, role=row.role,
                                 site_id=row.venue_id)
    if purpose == LinkPurpose.SITE:
        page.expected = [ExpectedView(name, person_title or "", response) for name, person_title, response
                         in connection.execute(EXPECTED, {"site_id": row.site_id})]
    return page
