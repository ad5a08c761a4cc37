"""Step 4: who is invited: one person, or a group by role tags and unit (with a preview)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # WTForms 3.3; not in its stubs yet

from meetings.core.access import MEETING, access
from meetings.core.errors import DomainError
from meetings.core.forms import FORM_ERROR_STATUS, show_errors
from meetings.directory.models import PersonTag, Unit
from meetings.directory.services import email_of
from meetings.extensions import db
from meetings.invitations import services as invitation_services
from meetings.manage.blueprint import blueprint, load_meeting
from meetings.manage.forms import ROLE_CHOICES, ConfirmForm, InviteForm


def _form(meeting) -> InviteForm:
    form = InviteForm()
    form.site_id.choices = [SelectChoice("", _("Their own unit's room, else the main venue"))] + [
        SelectChoice(str(site.id), _("%(name)s (main venue)", name=site.name) if site.kind == "main"
                     else _("%(name)s (remote)", name=site.name))
        for site in meeting.sites]
    return form


def _page(meeting, form, preview=None, status=200):
    invitations = invitation_services.invitations_of(meeting)
    # The tags and units offered (a few dozen), not the people: one person is found as it is
    # typed (`directory.search_people`).
    return render_template("manage/invitations.html", meeting=meeting, form=form, invitations=invitations,
                           preview=preview, invited_ids={i.person_id for i in invitations},
                           tags=db.session.scalars(sa.select(PersonTag.tag).distinct().order_by(PersonTag.tag)).all(),
                           units=db.session.scalars(sa.select(Unit.name).order_by(Unit.name)).all(),
                           roles=ROLE_CHOICES, confirm=ConfirmForm()), status


def placed(meeting, members, data: dict) -> list[dict]:
    """Each person of a group preview with where they will attend (the rule of
    `invitations.services.placement`), and whether they fell back to the main venue: no site was
    chosen and their unit has no room of its own among the remote sites."""
    from meetings.invitations.models import Mode

    chosen = next((s for s in meeting.sites if s.id == data.get("site_id")), None)
    mode = Mode.ONLINE if data.get("mode") == "online" else None
    rows = []
    for person in members:
        try:
            site, how = invitation_services.placement(meeting, person, chosen, mode)
        except DomainError:
            site, how = None, None
        fell_back = (chosen is None and mode is None and site is not None and site.kind == "main"
                     and any(s.kind == "remote" for s in meeting.sites))
        rows.append({"person": person, "site": site, "mode": how, "fell_back": fell_back})
    return rows


@blueprint.route("/meetings/<int:meeting_id>/invitations", methods=["GET", "POST"])
@access(MEETING)
def invitations(meeting_id: int):
    """Everyone invited; invite one person, or preview and then invite a group."""
    meeting = load_meeting(meeting_id)
    form = _form(meeting)
    if not form.validate_on_submit():
        return _page(meeting, form, status=FORM_ERROR_STATUS)
    data = form.to_data()
    is_group = "tags" in data or "unit" in data
    if is_group and not form.confirm.data:
        members = invitation_services.group_members(data.get("tags", []), data.get("unit"))
        if not members:
            form.tags.errors = [_("No one in the directory matches these tags and unit.")]
            return _page(meeting, form, status=FORM_ERROR_STATUS)
        form.confirm.data = "yes"
        return _page(meeting, form, preview=placed(meeting, members, data))
    try:
        if "email" in data:
            data["email"] = email_of(data["email"], "email")
        made = invitation_services.invite_ids(meeting, data)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        meeting = load_meeting(meeting_id)
        form = _form(meeting)
        form.process(request.form)
        show_errors(form, error)
        return _page(meeting, form, status=FORM_ERROR_STATUS)
    message = ngettext("%(num)d invited or updated.", "%(num)d invited or updated.", len(made))
    if meeting.is_published:
        message += " " + _("They get their invite at once.")
    flash(message, "success")
    return redirect(url_for("manage.invitations", meeting_id=meeting_id))


@blueprint.route("/meetings/<int:meeting_id>/invitations/<int:invitation_id>", methods=["POST"])
@access(MEETING)
def change_invitation(meeting_id: int, invitation_id: int):
    """Change someone's role or site, or take them off the list."""
    meeting = load_meeting(meeting_id)
    invitation = invitation_services.get_invitation(meeting, invitation_id)
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("manage.invitations", meeting_id=meeting_id))
    try:
        if request.form.get("action") == "remove":
            invitation_services.remove_invitation(meeting, invitation)
            message = _("%(name)s is off the list.", name=invitation.person.name)
        else:
            data: dict = {"role": request.form.get("role")}
            site = request.form.get("site_id", "")
            if site == "online":
                data["mode"] = "online"
                data["site_id"] = None
            elif site:
                data["site_id"] = int(site)
            invitation_services.update_invitation(meeting, invitation, data)
            message = _("Saved %(name)s.", name=invitation.person.name)
        db.session.commit()
        flash(message, "success")
    except (DomainError, ValueError) as error:
        db.session.rollback()
        flash(getattr(error, "message", str(error)), "error")
    return redirect(url_for("manage.invitations", meeting_id=meeting_id))


#: Rows one bulk change may touch: the list's size for any meeting we hold.
MAX_BULK = 5000


@blueprint.route("/meetings/<int:meeting_id>/invitations/bulk", methods=["POST"])
@access(MEETING)
def bulk_change(meeting_id: int):
    """Change the role, the site or the mode of the selected people at once: all of them, or
    none when one cannot be changed (the message says whom)."""
    meeting = load_meeting(meeting_id)
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("manage.invitations", meeting_id=meeting_id))
    selected = set(request.form.getlist("selected", type=int))
    data: dict = {}
    if request.form.get("role"):
        data["role"] = request.form["role"]
    site = request.form.get("site_id", "")
    if site == "online":
        data.update(mode="online", site_id=None)
    elif site.isdigit():
        data["site_id"] = int(site)
    if not selected or not data or len(selected) > MAX_BULK:
        flash(_("Tick the people to change, and choose a role or a place for them."), "error")
        return redirect(url_for("manage.invitations", meeting_id=meeting_id))
    chosen = [i for i in invitation_services.invitations_of(meeting) if i.id in selected]
    current = None
    try:
        for current in chosen:
            invitation_services.update_invitation(meeting, current, data)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        flash(_("%(name)s: %(why)s Nothing was changed.", name=current.person.name if current else "",
                why=error.message), "error")
    else:
        flash(ngettext("Changed %(num)d person.", "Changed %(num)d people.", len(chosen)), "success")
    return redirect(url_for("manage.invitations", meeting_id=meeting_id))
