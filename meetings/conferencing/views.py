"""The join page behind ``/join/TOKEN``: the meeting in the site's local time, and the way in.

A personal link (an online participant's) and a site link (a remote room's system and its host)
open the same page. ``GET`` only shows; ``POST`` records the join as a check-in and sends the
browser on to the videoconference, with a provider URL made at that moment.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import abort, redirect, render_template, request, url_for
from markupsafe import Markup

from meetings.attendance import services as attendance
from meetings.conferencing.joinpage import JoinPage, load_join_page
from meetings.conferencing.providers import ProviderError, join_url
from meetings.core import pagecache
from meetings.core.access import access, link
from meetings.core.errors import DomainError
from meetings.core.forms import FORM_ERROR_STATUS
from meetings.core.i18n import current_language, language_args
from meetings.core.linkpages import holder_key, kept_query, link_pages_blueprint, unknown_link
from meetings.core.stencils import kept_page, quote_path
from meetings.extensions import db
from meetings.invitations import links
from meetings.invitations.models import Invitation, LinkPurpose
from meetings.scheduling.models import Meeting, MeetingStatus, Site

log = logging.getLogger(__name__)
blueprint = link_pages_blueprint("conferencing", __name__)


class JoinContext:
    """What a join link opens: the meeting, the site, and the person (personal links only)."""

    def __init__(self, link):
        self.link = link
        self.invitation: Invitation | None = None
        if link.purpose == LinkPurpose.SITE:
            self.site = db.session.get(Site, link.site_id)
            if self.site is None:
                unknown_link()
            self.meeting: Meeting = self.site.meeting
        else:
            self.invitation = db.session.get(Invitation, link.invitation_id)
            if self.invitation is None or not self.invitation.is_active:
                unknown_link()
            self.meeting = self.invitation.meeting
            self.site = self.invitation.conference_site
        self.zone = self.site.timezone if self.site else self.meeting.timezone
        if self.invitation is not None:
            self.zone = self.invitation.person.timezone

    @property
    def is_site_link(self) -> bool:
        return self.link.purpose == LinkPurpose.SITE

    @property
    def link_site(self) -> Site:
        """The site of a site link, which is always there (a person's may have none)."""
        if self.site is None:
            abort(404)
        return self.site

    def expected(self) -> list[Invitation]:
        """Who is expected at the site (site links only: a personal link shows no one else)."""
        if not self.is_site_link:
            return []
        return list(db.session.scalars(
            sa.select(Invitation).where(Invitation.site_id == self.link_site.id, Invitation.removed_at.is_(None))
            .order_by(Invitation.id)))


def _context(token: str) -> JoinContext:
    link = links.resolve(token, LinkPurpose.JOIN, LinkPurpose.SITE)
    if link is None:
        unknown_link()
    return JoinContext(link)


@blueprint.route("/join/<token>", methods=["GET"])
@access(link("join", "site"))
def join_page(token: str):
    """The meeting in the site's local time and the viewer's, the agenda, who is expected, Join."""
    return _render_join_page(token)


def _render_join_page(token: str, error: str | None = None, status: int = 200):
    page = load_join_page(token)
    if page is None:
        unknown_link()
    zone = page.agenda_zone
    version = (page.meeting_id, page.meeting_uid, page.version, current_language())

    def render(shown: JoinPage, token: str) -> str:
        # The agenda and the meeting's times are the same for everyone who reads them in this
        # language and zone(s): rendered once per content version of the meeting and kept
        # (`meetings.core.pagecache`).
        # Markup (bandit B704): the output of autoescaped templates.
        agenda_html = pagecache.kept(
            ("join-agenda", *version, zone),
            lambda: Markup(render_template("conferencing/_agenda.html", items=page.agenda, zone=zone)))  # nosec B704
        times_html = pagecache.kept(
            ("join-times", *version, page.site_name, page.site_zone, page.zone),
            lambda: Markup(render_template("conferencing/_join_times.html", page=page)))  # nosec B704
        return render_template("conferencing/join.html", page=shown, agenda_html=agenda_html, times_html=times_html,
                               token=token, link_view_args={"token": token}, error=error)

    query = kept_query()
    if error or query is None:
        return render(page, token), status
    if page.is_site_link:
        # A site's page, kept whole per what it shows (`meetings.core.stencils`), who is expected
        # there included: that list is read on every request (their answers change it), and a
        # page is rendered again only when it changed. Its token is written in.
        site_key = ("join-site", *version, page.shown_key(), tuple(page.expected),
                    holder_key(page.holder) if page.holder else (), query)
        return kept_page(site_key, {"token": quote_path(token)}, lambda blanks: render(page, blanks["token"])), status
    # A person's page, kept whole per what it shows (`meetings.core.stencils`): their name and
    # token are written into it; everything else they see is in the key.
    key = ("join", *version, page.shown_key(), holder_key(page.holder) if page.holder else (), query)
    values = {"name": page.person_name or "", "token": quote_path(token)}
    return kept_page(key, values, lambda blanks: render(page.blanked(blanks["name"]), blanks["token"])), status


@blueprint.route("/join/<token>", methods=["POST"])
@access(link("join", "site"))
def join(token: str):
    """Record the join and go on to the videoconference (303)."""
    context = _context(token)
    meeting = context.meeting
    if meeting.status == MeetingStatus.CANCELLED:
        return _join_error(token, "cancelled", 409)
    person = context.invitation.person if context.invitation else None
    role = context.invitation.role if context.invitation else None
    try:
        target = join_url(meeting, context.site, person, role)
    except ProviderError:
        log.warning("join link of meeting %s: the videoconference cannot be reached", meeting.id, exc_info=True)
        return _join_error(token, "unreachable", 503)
    if context.invitation is not None:
        attendance.check_in(context.invitation, "join_link")
    else:
        attendance.site_joined(context.link_site)
    db.session.commit()
    return redirect(target, code=303)


def _join_error(token: str, error: str, status: int):
    db.session.rollback()
    return _render_join_page(token, error, status)


@blueprint.route("/join/<token>/roll-call", methods=["GET"])
@access(link("site"))
def roll_call_page(token: str):
    """The site host's list: tick who is present, count the others."""
    context = _site_context(token)
    return _render_roll_call(context, token, saved=request.args.get("saved", type=int),
                             others=request.args.get("others", type=int))


def _render_roll_call(context: JoinContext, token: str, *, head_count=None, errors=None, message=None,
                      saved=None, others=None, status: int = 200):
    if head_count is None:
        head_count = attendance.latest_head_counts(context.meeting.id).get(context.link_site.id)
    expected = context.expected()
    methods = attendance.counted_methods([invitation.id for invitation in expected])
    if message is None and request.method == "GET":
        try:
            attendance.require_checkin_window(context.meeting, context.link_site.timezone)
        except DomainError as error:  # said before anyone ticks a box
            message = error.message
    return render_template("conferencing/roll_call.html", ctx=context, meeting=context.meeting, site=context.site,
                           token=token, expected=expected, head_count=head_count, methods=methods,
                           errors=errors or {}, message=message, saved=saved, others=others,
                           undone=request.args.get("undone", type=int)), status


@blueprint.route("/join/<token>/roll-call", methods=["POST"])
@access(link("site"))
def roll_call(token: str):
    """Record the ticked people as present (first check-in counts) and the head count."""
    context = _site_context(token)
    expected = {invitation.id: invitation for invitation in context.expected()}
    present = request.form.getlist("present", type=int)
    # The people ticked by roll call when the page was shown: one whose box is now unticked is
    # taken back (a tick by mistake).
    ticked = request.form.getlist("ticked", type=int)
    if any(i not in expected for i in present + ticked):
        abort(404)  # not one of this site's people: a forged form
    absent = [expected[i] for i in ticked if i not in present]
    head_count = request.form.get("head_count", "").strip()
    try:
        undone = sum(invitation.checked_in_at is not None for invitation in absent)
        newly = attendance.record_roll_call(context.link_site, [expected[i] for i in present], head_count,
                                            person=context.link_site.host, absent=absent)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        return _render_roll_call(_site_context(token), token, head_count=head_count, errors=error.fields,
                                 message=None if error.fields else error.message,
                                 status=FORM_ERROR_STATUS if error.status == 422 else error.status)
    others = int(head_count) if head_count else None
    return redirect(url_for("conferencing.roll_call_page", token=token, saved=newly, others=others,
                            undone=undone or None, **language_args()), code=303)


def _site_context(token: str) -> JoinContext:
    context = _context(token)
    if not context.is_site_link:
        unknown_link()
    return context
