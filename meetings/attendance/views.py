"""The check-in page behind ``/checkin/TOKEN``: the code in a person's in-person invite.

Staff at the main venue scan it with a phone: ``GET`` shows who it is, their role and whether
they are already checked in (and changes nothing: mail scanners fetch links too); ``POST``
checks them in (method ``qr``) and comes back to the page (303).

The code is the person's own, in their invite: holding it proves who they are, not that they are
at the door. So only staff check in: the meeting's organizers and admins, signed in on the phone
that scans (their session, with a CSRF token, since this POST then rides on a cookie). Whoever
else opens the link sees their code and where to show it.
"""

from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError, validate_csrf
from markupsafe import Markup
from wtforms import ValidationError

from meetings.attendance import qr, services
from meetings.core.access import access, link
from meetings.core.errors import DomainError, NotFound
from meetings.core.i18n import language_args
from meetings.core.linkpages import link_pages_blueprint, unknown_link
from meetings.extensions import db
from meetings.invitations import links
from meetings.invitations.models import Invitation, LinkPurpose
from meetings.scheduling.services import get_meeting_for

blueprint = link_pages_blueprint("attendance", __name__, staff_signed_in=True)


def _invitation_for(token: str) -> Invitation:
    """The invitation behind a live check-in link; 404 for anything else, or someone taken off
    the list."""
    link = links.resolve(token, LinkPurpose.CHECKIN)
    invitation = db.session.get(Invitation, link.invitation_id) if link and link.invitation_id else None
    if invitation is None or not invitation.is_active:
        unknown_link()
    return invitation


def _is_staff(invitation: Invitation) -> bool:
    """Whether the signed-in user (if any) organizes the invitation's meeting, or is an admin."""
    if not current_user.is_authenticated:
        return False
    try:
        get_meeting_for(current_user, invitation.meeting_id)
    except NotFound:
        return False
    return True


def _page(invitation: Invitation, token: str, status: int = 200, refused: bool = False, message: str | None = None):
    # segno writes the SVG from the link alone (our base URL and a URL-safe token): no user text.
    code = Markup(qr.svg(links.link_url(LinkPurpose.CHECKIN, token)))  # nosec B704
    return render_template("attendance/checkin.html", invitation=invitation, meeting=invitation.meeting,
                           site=invitation.venue, token=token, code=code, result=request.args.get("result"),
                           staff=_is_staff(invitation), refused=refused, message=message), status


@blueprint.route("/checkin/<token>", methods=["GET"])
@access(link("checkin"))
def checkin_page(token: str):
    """Who this code is, their role and place, and whether they are checked in; for staff, the
    button that checks them in."""
    return _page(_invitation_for(token), token)


@blueprint.route("/checkin/<token>", methods=["POST"])
@access(link("checkin"))
def check_in(token: str):
    """Check the person in (method qr), for staff only (403 otherwise); the first check-in counts,
    a second is only logged."""
    invitation = _invitation_for(token)
    if not _is_staff(invitation):
        return _page(invitation, token, 403, refused=True)
    try:
        validate_csrf(request.form.get("csrf_token"))
    except (ValidationError, CSRFError):
        abort(400)
    try:
        first = services.check_in(invitation, "qr", site=invitation.venue)
    except DomainError as error:  # outside the check-in window, or the meeting cancelled
        db.session.rollback()
        return _page(_invitation_for(token), token, error.status, message=error.message)
    db.session.commit()
    return redirect(url_for("attendance.checkin_page", token=token, result="first" if first else "again",
                            **language_args()), code=303)
