"""Pages behind the minutes' capability links (no account): the chair approves the minutes; an
action's owner reports progress, asks for more time, or says it is done.

Access: the link itself (`links.resolve`, 404 for an unknown, revoked, expired or wrong-purpose
token). ``GET`` shows and never changes anything (mail scanners open links); ``POST`` acts and
comes back to the page (303).
"""

from __future__ import annotations

from urllib.parse import quote

from flask import Response, abort, redirect, render_template, request, url_for

from meetings.core.access import access, link
from meetings.core.errors import DomainError
from meetings.core.i18n import language_args
from meetings.core.linkpages import link_pages_blueprint, unknown_link
from meetings.directory.models import Person
from meetings.extensions import db
from meetings.minutes import actions, evidence, links, services, snapshot
from meetings.minutes.models import ActionItem, Minutes, MinutesLinkPurpose

blueprint = link_pages_blueprint("minutes_links", __name__)


def _link(token: str, purpose: MinutesLinkPurpose):
    link = links.resolve(token, purpose)
    if link is None:
        unknown_link()
    return link


@blueprint.route("/minutes/approve/<token>", methods=["GET", "POST"])
@access(link("approve"))
def approve_page(token: str):
    """The chair reads the submitted minutes and approves them."""
    link = _link(token, MinutesLinkPurpose.APPROVE)
    minutes = db.get_or_404(Minutes, link.minutes_id)
    person = db.get_or_404(Person, link.person_id)
    error = None
    if request.method == "POST":
        try:
            services.approve(minutes, person_id=person.id, by=person.email)
            db.session.commit()
        except DomainError as failure:
            db.session.rollback()
            error = failure.message
        else:
            return redirect(url_for("minutes_links.approve_page", token=token, done=1, **language_args()), 303)
    return render_template("minutes/approve.html", minutes=minutes, meeting=minutes.meeting, person=person,
                           doc=snapshot.take(minutes), error=error, may=services.may_approve(minutes, person_id=person.id),
                           done=request.args.get("done")), 422 if error else 200


@blueprint.route("/actions/link/<token>", methods=["GET", "POST"])
@access(link("action"))
def action_page(token: str):
    """An action's owner: the action, its log, and what they can do about it."""
    link = _link(token, MinutesLinkPurpose.ACTION)
    action = db.session.get(ActionItem, link.action_id)
    person = db.get_or_404(Person, link.person_id)
    if action is None or action.owner_person_id != person.id:
        abort(404)  # the action went to someone else since
    error = None
    if request.method == "POST":
        try:
            if request.form.get("do") == "evidence":
                evidence.attach(action, request.files.get("file"), author=person.email)
            else:
                actions.report(action, request.form.get("do", ""), text=request.form.get("text", ""),
                               due=request.form.get("due"), author=person.email)
            db.session.commit()
        except DomainError as failure:
            db.session.rollback()
            error = failure.message
        else:
            return redirect(url_for("minutes_links.action_page", token=token, done=request.form.get("do"),
                                    **language_args()), 303)
    return render_template("minutes/action.html", action=action, meeting=action.minutes.meeting, person=person,
                           error=error, done=request.args.get("done"),
                           overdue=actions.is_overdue(action)), 422 if error else 200


@blueprint.route("/actions/confirm/<token>", methods=["GET", "POST"])
@access(link("confirm"))
def confirm_page(token: str):
    """The chair confirms that an action its owner reported done is done (or sends it back open)."""
    link = _link(token, MinutesLinkPurpose.CONFIRM)
    action = db.session.get(ActionItem, link.action_id)
    person = db.get_or_404(Person, link.person_id)
    if action is None or actions.chair_person_id(action.minutes.meeting) != person.id:
        abort(404)  # no longer the chair
    error = None
    if request.method == "POST":
        decision = request.form.get("decision")
        try:
            actions.update(action, {"status": "done" if decision == "confirm" else "open"}, author=person.email)
            db.session.commit()
        except DomainError as failure:
            db.session.rollback()
            error = failure.message
        else:
            return redirect(url_for("minutes_links.confirm_page", token=token, done=1, **language_args()), 303)
    return render_template("minutes/confirm.html", action=action, meeting=action.minutes.meeting, person=person,
                           error=error, done=request.args.get("done")), 422 if error else 200


def send_evidence(item) -> Response:
    """An evidence file as a download (never shown inline: it is whatever the owner uploaded)."""
    return Response(evidence.open(item.ref).read(), mimetype="application/octet-stream", headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(item.filename)}",
        "X-Content-Type-Options": "nosniff"})


@blueprint.route("/actions/link/<token>/evidence/<int:evidence_id>")
@access(link("action"))
def evidence_file(token: str, evidence_id: int):
    """A file the owner attached, for the owner."""
    link = _link(token, MinutesLinkPurpose.ACTION)
    action = db.session.get(ActionItem, link.action_id)
    if action is None or action.owner_person_id != link.person_id:
        abort(404)
    return send_evidence(evidence.get(action, evidence_id))
