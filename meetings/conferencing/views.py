"""The join page behind ``/join/TOKEN``: the meeting in the site's local time, and the way in.

A personal link (an online participant's) and a site link (a remote room's system and its host)
open the same page. ``GET`` only shows; ``POST`` records the join as a check-in and sends the
browser on to the videoconference, with a provider URL made at that moment.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from meetings.attendance import services as attendance
from meetings.conferencing.providers import ProviderError, join_url
from meetings.core.forms import FORM_ERROR_STATUS
from meetings.core.errors import DomainError
from meetings.core.limits import limit_link_pages
from meetings.extensions import db
from meetings.invitations import links
from meetings.invitations.models import Invitation, LinkPurpose
from meetings.scheduling.models import Meeting, MeetingStatus, Site

blueprint = Blueprint("conferencing", __name__)
limit_link_pages(blueprint)


@blueprint.after_request
def _no_referrer(response):
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


class JoinContext:
    """What a join link opens: the meeting, the site, and the person (personal links only)."""

    def __init__(self, link):
        self.link = link
        self.invitation: Invitation | None = None
        if link.purpose == LinkPurpose.SITE:
            self.site = db.session.get(Site, link.site_id)
            if self.site is None:
                abort(404)
            self.meeting: Meeting = self.site.meeting
        else:
            self.invitation = db.session.get(Invitation, link.invitation_id)
            if self.invitation is None or not self.invitation.is_active:
                abort(404)
            self.meeting = self.invitation.meeting
            self.site = self.invitation.venue or self.meeting.main_site
        self.zone = self.site.timezone if self.site else self.meeting.timezone
        if self.invitation is not None:
            self.zone = self.invitation.person.timezone

    @property
    def is_site_link(self) -> bool:
        return self.link.purpose == LinkPurpose.SITE

    def expected(self) -> list[Invitation]:
        """Who is expected at the site (site links only: a personal link shows no one else)."""
        if not self.is_site_link:
            return []
        return list(db.session.scalars(
            sa.select(Invitation).where(Invitation.site_id == self.site.id, Invitation.removed_at.is_(None))
            .order_by(Invitation.id)))


def _context(token: str) -> JoinContext:
    link = links.resolve(token, LinkPurpose.JOIN, LinkPurpose.SITE)
    if link is None:
        abort(404)
    return JoinContext(link)


@blueprint.route("/join/<token>", methods=["GET"])
def join_page(token: str):
    """The meeting in the site's local time and the viewer's, the agenda, who is expected, Join."""
    context = _context(token)
    return render_template("conferencing/join.html", ctx=context, meeting=context.meeting, site=context.site,
                           token=token, expected=context.expected(), error=None)


@blueprint.route("/join/<token>", methods=["POST"])
def join(token: str):
    """Record the join and go on to the videoconference (303)."""
    context = _context(token)
    meeting = context.meeting
    if meeting.status == MeetingStatus.CANCELLED:
        return _join_error(context, token, "This meeting was cancelled.", 409)
    person = context.invitation.person if context.invitation else None
    role = context.invitation.role if context.invitation else None
    try:
        target = join_url(meeting, context.site, person, role)
    except ProviderError as error:
        return _join_error(context, token, f"The videoconference cannot be reached right now: {error}", 503)
    if context.invitation is not None:
        attendance.check_in(context.invitation, "join_link")
    else:
        attendance.site_joined(context.site)
    db.session.commit()
    return redirect(target, code=303)


def _join_error(context: JoinContext, token: str, message: str, status: int):
    db.session.rollback()
    return render_template("conferencing/join.html", ctx=context, meeting=context.meeting, site=context.site,
                           token=token, expected=context.expected(), error=message), status


@blueprint.route("/join/<token>/roll-call", methods=["GET"])
def roll_call_page(token: str):
    """The site host's list: tick who is present, count the others."""
    context = _context(token)
    if not context.is_site_link:
        abort(404)
    counts = attendance.latest_head_counts(context.meeting.id)
    return render_template("conferencing/roll_call.html", ctx=context, meeting=context.meeting, site=context.site,
                           token=token, expected=context.expected(), head_count=counts.get(context.site.id),
                           errors={})


@blueprint.route("/join/<token>/roll-call", methods=["POST"])
def roll_call(token: str):
    """Record the ticked people as present (first check-in counts) and the head count."""
    context = _context(token)
    if not context.is_site_link:
        abort(404)
    expected = {invitation.id: invitation for invitation in context.expected()}
    present = request.form.getlist("present", type=int)
    unknown = [i for i in present if i not in expected]
    if unknown:
        abort(404)  # not one of this site's people: a forged form
    head_count_text = request.form.get("head_count", "").strip()
    try:
        newly = sum(attendance.check_in(expected[i], "roll_call", site=context.site,
                                        person=context.site.host) for i in present)
        if head_count_text:
            if not head_count_text.isdigit():
                raise DomainError("The head count must be a whole number, 0 or more.", "head_count")
            attendance.record_head_count(context.site, int(head_count_text), person=context.site.host)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        context = _context(token)
        return render_template("conferencing/roll_call.html", ctx=context, meeting=context.meeting,
                               site=context.site, token=token, expected=context.expected(),
                               head_count=head_count_text, errors=error.fields), FORM_ERROR_STATUS
    flash(f"Recorded: {newly} newly present." + (f" Others present: {head_count_text}." if head_count_text else ""),
          "success")
    return redirect(url_for("conferencing.roll_call_page", token=token), code=303)

