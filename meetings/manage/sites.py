"""Step 2: the main venue and the remote sites."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from meetings.core.access import MEETING, access
from meetings.core.errors import DomainError
from meetings.core.forms import FORM_ERROR_STATUS, show_errors
from meetings.core.timezones import all_zone_names
from meetings.directory.services import email_of
from meetings.extensions import db
from meetings.manage.blueprint import blueprint, load_meeting
from meetings.manage.forms import ConfirmForm, SiteForm
from meetings.scheduling import sites as site_services

SITE_FIELDS = {"vc": "vc_url"}


def _fill(form: SiteForm, site) -> None:
    form.name.data, form.kind.data, form.timezone.data = site.name, site.kind.value, site.timezone
    form.location.data = site.location
    form.host_email.data = site.host.email if site.host else ""
    form.provider.data = site.vc_provider.value if site.vc_provider else ""
    form.vc_url.data = site.vc_url or ""


def _page(meeting, form, editing=None, status=200):
    return render_template("manage/sites.html", meeting=meeting, form=form, editing=editing,
                           zones=sorted(all_zone_names()), confirm=ConfirmForm()), status



def _with_email(data: dict) -> dict:
    """The form's host, typed as an email or an exact name, as an email."""
    data["host_email"] = email_of(data.get("host_email"), "host_email")
    return data

@blueprint.route("/meetings/<int:meeting_id>/sites", methods=["GET", "POST"])
@access(MEETING)
def sites(meeting_id: int):
    """The sites, and a form to add one."""
    meeting = load_meeting(meeting_id)
    form = SiteForm()
    if request.method == "GET":
        form.kind.data = "remote" if meeting.main_site else "main"
        form.timezone.data = meeting.timezone
    if form.validate_on_submit():
        try:
            site = site_services.add_site(meeting, _with_email(form.to_data()))
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            meeting = load_meeting(meeting_id)
            show_errors(form, error, SITE_FIELDS)
            return _page(meeting, form, status=FORM_ERROR_STATUS)
        flash(_("Added %(name)s.", name=site.name), "success")
        return redirect(url_for("manage.sites", meeting_id=meeting_id))
    return _page(meeting, form)


@blueprint.route("/meetings/<int:meeting_id>/sites/<int:site_id>", methods=["GET", "POST"])
@access(MEETING)
def edit_site(meeting_id: int, site_id: int):
    """Change a site."""
    meeting = load_meeting(meeting_id)
    site = site_services.get_site(meeting, site_id)
    form = SiteForm()
    if request.method == "GET":
        _fill(form, site)
    if form.validate_on_submit():
        try:
            site_services.update_site(meeting, site, _with_email(form.to_data()))
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            meeting = load_meeting(meeting_id)
            show_errors(form, error, SITE_FIELDS)
            return _page(meeting, form, editing=site_services.get_site(meeting, site_id), status=FORM_ERROR_STATUS)
        flash(_("Saved %(name)s.", name=site.name), "success")
        return redirect(url_for("manage.sites", meeting_id=meeting_id))
    return _page(meeting, form, editing=site)


@blueprint.route("/meetings/<int:meeting_id>/sites/<int:site_id>/remove", methods=["POST"])
@access(MEETING)
def remove_site(meeting_id: int, site_id: int):
    """Remove a site."""
    meeting = load_meeting(meeting_id)
    site = site_services.get_site(meeting, site_id)
    if ConfirmForm().validate_on_submit():
        try:
            site_services.remove_site(meeting, site)
            db.session.commit()
            flash(_("Removed %(name)s.", name=site.name), "success")
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
    return redirect(url_for("manage.sites", meeting_id=meeting_id))
