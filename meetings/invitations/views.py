"""Pages behind capability links: answering an invitation, and a person's calendar feed.

``GET`` shows and never changes anything (mail scanners fetch links); ``POST`` acts.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Response as HttpResponse
from flask import redirect, render_template, request, url_for
from markupsafe import Markup

from meetings.core import pagecache
from meetings.core.access import access, link
from meetings.core.errors import DomainError
from meetings.core.forms import FORM_ERROR_STATUS
from meetings.core.i18n import current_language, language_args
from meetings.core.linkpages import holder_key, kept_query, link_pages_blueprint, unknown_link
from meetings.core.stencils import kept_page, quote_path
from meetings.directory.models import Person
from meetings.extensions import db
from meetings.invitations import answers, calendars, links, services
from meetings.invitations.models import Invitation, LinkPurpose
from meetings.invitations.rsvppage import RsvpPage, load_rsvp_page
from meetings.scheduling.models import Meeting, MeetingStatus

blueprint = link_pages_blueprint("invitations", __name__)


def _invitation_for(token: str) -> Invitation:
    link = links.resolve(token, LinkPurpose.RSVP)
    if link is None or link.invitation_id is None:
        unknown_link()
    invitation = db.session.get(Invitation, link.invitation_id)
    if invitation is None:
        unknown_link()
    return invitation


@blueprint.route("/rsvp/<token>", methods=["GET"])
@access(link("rsvp"))
def rsvp_page(token: str):
    """The invitation: the meeting in the person's time zone, their role, site and slot."""
    return _render_rsvp(token)


def _render_rsvp(token: str, errors: dict | None = None, status: int = 200):
    # One statement, no ORM objects (see `rsvppage`): the page every invited person opens.
    page = load_rsvp_page(token)
    if page is None:
        unknown_link()
    zone = page.zone
    meeting, language = page.meeting, current_language()
    version = (meeting.id, meeting.uid, page.version, language, zone)

    def render(shown: RsvpPage, token: str) -> str:
        # What is the same for everyone who reads the page in this language and zone (the
        # meeting's head, its agenda) is rendered once per content version of the meeting, the
        # forms once per language, and kept (`meetings.core.pagecache`).
        # Markup (bandit B704): the output of autoescaped templates.
        meeting_html = pagecache.kept(
            ("rsvp-meeting", *version),
            lambda: Markup(render_template("invitations/_rsvp_meeting.html", meeting=meeting, zone=zone)))  # nosec B704
        agenda_html = pagecache.kept(
            ("rsvp-agenda", *version),
            lambda: Markup(render_template("invitations/_agenda.html", items=page.agenda.items, zone=zone)))  # nosec B704
        forms_html = None if errors else pagecache.kept(
            ("rsvp-forms", language),
            lambda: Markup(render_template("invitations/_rsvp_forms.html", errors={})))  # nosec B704
        return render_template(
            "invitations/rsvp.html", invitation=shown.invitation, meeting=meeting, slots=page.slots,
            meeting_html=meeting_html, agenda_html=agenda_html, forms_html=forms_html, token=token,
            link_view_args={"token": token}, holder=page.holder, errors=errors or {},
            done=request.args.get("done"), zone=zone)

    query = kept_query(done=("answered", "delegated"))
    if errors or query is None:
        return render(page, token), status
    # The whole page, kept per what it shows (`meetings.core.stencils`): the reader's name, unit,
    # delegate and token are written into it; everything else they see is in the key.
    invitation = page.invitation
    unit, delegate = invitation.person.unit, invitation.delegated_to
    key = ("rsvp", *version, meeting, invitation.role, invitation.mode, invitation.response, invitation.is_active,
           invitation.venue, unit is not None, delegate is not None, tuple(page.slots), holder_key(page.holder),
           query)
    values = {"name": invitation.person.name, "unit": unit.name if unit is not None else "",
              "delegate": delegate.person.name if delegate is not None else "", "token": quote_path(token)}
    return kept_page(
        key, values, lambda blanks: render(page.blanked(blanks["name"], blanks["unit"], blanks["delegate"]),
                                           blanks["token"])), status


@blueprint.route("/rsvp/<token>", methods=["POST"])
@access(link("rsvp"))
def rsvp_answer(token: str):
    """Record an answer (``response``) or hand the place over (``delegate_email``, ``delegate_name``)."""
    try:
        if request.form.get("delegate_email"):
            services.delegate(_invitation_for(token), request.form["delegate_email"],
                              request.form.get("delegate_name"))
            done = "delegated"
        else:
            # One UPDATE through the link, in autocommit, nothing read first (`answers`): the
            # rush of answers after the invites go out.
            if answers.record_by_link(token, request.form.get("response", "")) is None:
                unknown_link()
            done = "answered"
        if db.session().in_transaction():  # an answer is committed already, unless it fell back
            db.session.commit()
    except DomainError as error:
        db.session.rollback()
        fields = error.fields or {"response": [error.message]}
        return _render_rsvp(token, errors=fields,
                            status=FORM_ERROR_STATUS if error.status == 422 else error.status)
    # The page says what was done (no session cookie on link pages, so no flashed message).
    return redirect(url_for("invitations.rsvp_page", token=token, done=done, **language_args()), code=303)


@blueprint.route("/feeds/<token>.ics")
@access(link("feed"))
def feed(token: str):
    """A person's calendar of every published meeting they are invited to."""
    link = links.resolve(token, LinkPurpose.FEED)
    if link is None or link.person_id is None:
        unknown_link()
    invitations = list(db.session.scalars(
        sa.select(Invitation).join(Meeting, Meeting.id == Invitation.meeting_id)
        .where(Invitation.person_id == link.person_id, Invitation.removed_at.is_(None),
               Meeting.status != MeetingStatus.DRAFT)
        .order_by(Meeting.start_at)))
    person = db.session.get(Person, link.person_id)
    return HttpResponse(calendars.feed_calendar(person, invitations), mimetype="text/calendar")
