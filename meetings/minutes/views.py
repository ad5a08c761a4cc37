"""The secretary's and organizer's pages: the minutes editor (autosaved), its steps (submit,
approve, publish, reopen), the printable minutes and their DOCX, and the actions across meetings
with their XLSX.

Access: declared on each handler (`meetings.core.access`): ``MEETING`` is a signed-in organizer
of the meeting (or an admin), loaded through `get_meeting_for` (404 otherwise) or an action's
through `get_action_for`; approving stays the approver's (the service says 403).
"""

from __future__ import annotations

from flask import Blueprint, Response, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from meetings.core.access import CALLER, MEETING, access, loaded
from meetings.core.errors import DomainError, error_response
from meetings.core.i18n import format_span
from meetings.core.labels import LABELS
from meetings.extensions import db
from meetings.minutes import actions, copying, exports, formatting, services, snapshot
from meetings.minutes.schemas import MinutesSchema

blueprint = Blueprint("minutes_pages", __name__)


def init_app(app):
    """Attach the pages, the link pages and the notes' formatting filter."""
    from meetings.core.linkpages import exempt_link_pages
    from meetings.minutes import labels, linkviews  # noqa: F401  (labels: the words join the app's table)

    app.register_blueprint(blueprint)
    exempt_link_pages(linkviews.blueprint)
    app.register_blueprint(linkviews.blueprint)
    app.jinja_env.filters["minutes_format"] = formatting.to_html
    app.jinja_env.globals["localized_entry"] = formatting.localized_entry


def _meeting(meeting_id: int):
    return loaded(meeting_id)  # loaded by @access(MEETING)


@blueprint.route("/meetings/<int:meeting_id>/minutes")
@access(MEETING)
def editor(meeting_id: int):
    """The editor: notes and decisions per agenda item, actions, and the steps."""
    meeting = _meeting(meeting_id)
    minutes = services.minutes_of(meeting, create=False) or services.blank(meeting)
    return render_template("minutes/editor.html", meeting=meeting, minutes=minutes,
                           data=MinutesSchema().dump(minutes), approver=services.approver_label(minutes),
                           may_approve=services.may_approve(minutes, user=current_user))


@blueprint.route("/meetings/<int:meeting_id>/minutes/content", methods=["PUT"])
@access(MEETING)
def autosave(meeting_id: int):
    """The editor's autosave (JSON, the API's shape): 401 when the session has expired (said by
    `meetings.core.access` to a JSON body), so that the page keeps its local copy and saves it
    again after signing in."""
    meeting = _meeting(meeting_id)
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return error_response(400, _("The body is not valid JSON."))
    minutes = services.save_content(services.minutes_of(meeting), body, author=current_user.email)
    db.session.commit()
    return jsonify(MinutesSchema().dump(minutes))


@blueprint.route("/meetings/<int:meeting_id>/minutes/revisions")
@access(MEETING)
def revisions(meeting_id: int):
    """The history of the notes (who saved, when), and with ``?number=`` one revision, read-only."""
    meeting = _meeting(meeting_id)
    minutes = services.minutes_of(meeting, create=False)
    number = request.args.get("number", type=int)
    shown = services.revision(minutes, number) if "number" in request.args else None
    return render_template("minutes/revisions.html", meeting=meeting, revisions=services.revisions(minutes),
                           shown=shown, items={item.id: item for item in meeting.agenda_items},
                           kept=services.REVISIONS_KEPT)


@blueprint.route("/meetings/<int:meeting_id>/minutes/<any(submit, approve, publish, reopen, approver):step>",
                 methods=["POST"])
@access(MEETING)
def step(meeting_id: int, step: str):
    """One step of the minutes' life, from the editor's buttons."""
    meeting = _meeting(meeting_id)
    minutes = services.minutes_of(meeting)
    try:
        if step == "submit":
            services.submit(minutes)
        elif step == "approve":
            services.approve(minutes, user=current_user, by=current_user.email)
        elif step == "publish":
            site_ids = [int(v) for v in request.form.getlist("site_ids") if v.isdigit()][:100]
            services.publish(minutes, {"audience": request.form.get("audience", "invited"),
                                       "roles": request.form.getlist("roles")[:10], "site_ids": site_ids},
                             by=current_user.email)
        elif step == "reopen":
            services.reopen(minutes, request.form.get("reason", ""))
        else:
            # The page chooses the creator or the chair by name, or types an organizer's email.
            kind = request.form.get("approver_kind")
            approver = kind if kind in ("owner", "chair") else request.form.get("approver", "owner")
            services.set_approver(minutes, approver, user=current_user)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        flash({"submit": _("Submitted for approval."), "approve": _("Approved."),
               "publish": _("Published: the minutes are on their way."), "reopen": _("Reopened as a draft."),
               "approver": _("The approver is named.")}[step], "success")
    return redirect(url_for("minutes_pages.editor", meeting_id=meeting_id), 303)


@blueprint.route("/meetings/<int:meeting_id>/copy", methods=["POST"])
@access(MEETING)
def copy(meeting_id: int):
    """The next meeting from this one, from the editor's form (day and time in the meeting's zone)."""
    meeting = _meeting(meeting_id)
    start = f"{request.form.get('date', '')}T{request.form.get('time', '')}"
    try:
        new = copying.copy_meeting(meeting, {"start": start, "carry_open_actions": bool(request.form.get("carry"))},
                                   owner=current_user)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("minutes_pages.editor", meeting_id=meeting_id), 303)
    flash(_("The next meeting is copied as a draft."), "success")
    return redirect(url_for("manage.meeting_page", meeting_id=new.id), 303)


def _document(meeting, minutes, number):
    """The content to show: version ``number``, else the last published, else the draft as it is."""
    versions = {v.number: v for v in minutes.versions} if minutes else {}
    if number in versions:
        return versions[number].content, number
    if number is None and versions:
        latest = max(versions)
        return versions[latest].content, latest
    return snapshot.take(minutes) if minutes and minutes.id else _empty(meeting), 0


def _empty(meeting):
    return {"items": [], "notes": [], "decisions": [], "actions": [], "attendance": snapshot.attendance(meeting)}


@blueprint.route("/meetings/<int:meeting_id>/minutes/print")
@access(MEETING)
def print_page(meeting_id: int):
    """The minutes laid out for A4 (the last published version, or ``?version=``, or the draft)."""
    meeting = _meeting(meeting_id)
    minutes = services.minutes_of(meeting, create=False)
    doc, number = _document(meeting, minutes, request.args.get("version", type=int))
    return render_template("minutes/print.html", meeting=meeting, minutes=minutes, doc=doc, number=number)


@blueprint.route("/meetings/<int:meeting_id>/minutes.docx")
@access(MEETING)
def docx(meeting_id: int):
    """The minutes as a Word document."""
    meeting = _meeting(meeting_id)
    minutes = services.minutes_of(meeting, create=False)
    doc, number = _document(meeting, minutes, request.args.get("version", type=int))
    when = format_span(meeting.start_at, meeting.end_at, meeting.timezone)
    return Response(exports.minutes_docx(doc, meeting, when, number), headers={
        "Content-Disposition": f'attachment; filename="minutes-{meeting.id}.docx"'},
        mimetype="application/vnd.openxmlformats-officedocument.wordprocessingml.document")


def _filters() -> dict:
    args = request.args
    status = args.get("status") or None
    if status not in (None, "open", "done", "done_reported", "cancelled"):
        status = None
    return {"status": status, "owner": args.get("owner", "")[:254], "unit": args.get("unit", "")[:200],
            "meeting": args.get("meeting", type=int), "overdue": args.get("overdue") == "1", "published_only": True}


@blueprint.route("/actions")
@access(CALLER)
def actions_page():
    """The action items of your meetings, across meetings: open, overdue, done; by owner, unit, meeting."""
    found = actions.list_actions(current_user, _filters())
    return render_template("minutes/actions.html", actions=found, filters=_filters(),
                           overdue={a.id for a in found if actions.is_overdue(a)})


@blueprint.route("/actions.xlsx")
@access(CALLER)
def actions_xlsx():
    """The same list as an XLSX file."""
    found = actions.list_actions(current_user, _filters())
    words = {key: str(value) for key, value in LABELS["action_status"].items()}
    return Response(exports.actions_xlsx(found, words), headers={
        "Content-Disposition": 'attachment; filename="actions.xlsx"'},
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@blueprint.route("/actions/<int:action_id>", methods=["POST"])
@access(MEETING)
def action_decision(action_id: int):
    """The organizer confirms done, reopens, or decides on more time."""
    action = loaded(action_id)  # by @access(MEETING), through the action's meeting
    decision = request.form.get("decision", "")
    data = {"confirm": {"status": "done"}, "reopen": {"status": "open"}, "approve": {"extension": "approve"},
            "refuse": {"extension": "refuse"}}.get(decision)
    try:
        if data is None:
            raise DomainError(_("Unknown step."), "decision")
        actions.update(action, data, author=current_user.email)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        flash(_("Saved."), "success")
    return redirect(request.form.get("back", "") if (request.form.get("back") or "").startswith("/actions")
                    else url_for("minutes_pages.actions_page"), 303)



@blueprint.route("/actions/<int:action_id>/evidence/<int:evidence_id>")
@access(MEETING)
def evidence_file(action_id: int, evidence_id: int):
    """A file an owner attached, for the meeting's organizers."""
    from meetings.minutes import evidence
    from meetings.minutes.linkviews import send_evidence

    return send_evidence(evidence.get(loaded(action_id), evidence_id))
