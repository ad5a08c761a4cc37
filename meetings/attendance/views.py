"""The check-in page behind ``/checkin/TOKEN``: the code in a person's in-person invite.

Staff at the main venue scan it with a phone: ``GET`` shows who it is, their role and whether
they are already checked in (and changes nothing: mail scanners fetch links too); ``POST``
checks them in (method ``qr``) and comes back to the page (303).
"""

from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from markupsafe import Markup

from meetings.attendance import qr, services
from meetings.core.i18n import language_args
from meetings.core.linkpages import link_pages_blueprint
from meetings.extensions import db
from meetings.invitations import links
from meetings.invitations.models import Invitation, LinkPurpose

blueprint = link_pages_blueprint("attendance", __name__)


def _invitation_for(token: str) -> Invitation:
    """The invitation behind a live check-in link; 404 for anything else, or someone taken off
    the list."""
    link = links.resolve(token, LinkPurpose.CHECKIN)
    invitation = db.session.get(Invitation, link.invitation_id) if link and link.invitation_id else None
    if invitation is None or not invitation.is_active:
        abort(404)
    return invitation


@blueprint.route("/checkin/<token>", methods=["GET"])
def checkin_page(token: str):
    """Who this code is, their role and place, and whether they are checked in."""
    invitation = _invitation_for(token)
    code = Markup(qr.svg(links.link_url(LinkPurpose.CHECKIN, token)))  # segno's SVG: no user text in it
    return render_template("attendance/checkin.html", invitation=invitation, meeting=invitation.meeting,
                           site=invitation.venue, token=token, code=code, result=request.args.get("result"))


@blueprint.route("/checkin/<token>", methods=["POST"])
def check_in(token: str):
    """Check the person in (method qr); the first check-in counts, a second is only logged."""
    invitation = _invitation_for(token)
    first = services.check_in(invitation, "qr", site=invitation.venue)
    db.session.commit()
    return redirect(url_for("attendance.checkin_page", token=token, result="first" if first else "again",
                            **language_args()), code=303)
