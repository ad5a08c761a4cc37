"""The meeting's materials: what is there (in agenda order, with versions), what speakers still
owe before the deadline, who opened what, and forms to upload and replace any file.

The upload handlers take bodies up to ``MATERIALS_MAX_BYTES``: they are exempt from the app-wide
CSRF check (which reads the body before any view, under the 10 MB limit) and check the CSRF
token through their own form instead, after raising the limit.
"""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, SelectField, SelectMultipleField, StringField

from meetings.core.access import MEETING, access
from meetings.core.errors import DomainError, NotFound
from meetings.core.forms import FORM_ERROR_STATUS, show_errors
from meetings.core.i18n import format_when
from meetings.core.timezones import get_zone
from meetings.extensions import csrf, db
from meetings.manage.blueprint import blueprint, load_meeting
from meetings.manage.forms import ROLE_CHOICES
from meetings.materials import files, services
from meetings.materials.models import AccessAction


class MaterialForm(FlaskForm):
    """A new material (or, with only ``file``, a new version)."""

    file = FileField(_l("File"))
    title = StringField(_l("Title"))
    target = SelectField(_l("For"), choices=[], validate_choice=False)
    audience = SelectMultipleField(_l("Who sees it"), choices=[], validate_choice=False)
    confidential = BooleanField(_l("Confidential: shown, not downloadable by participants"))


def _allow_large_body() -> None:
    request.max_content_length = current_app.config["MATERIALS_MAX_BYTES"] + 64 * 1024


def _choices(meeting, form: MaterialForm) -> None:
    form.target.choices = [("", _("The whole meeting"))]
    for item in meeting.agenda_items:
        form.target.choices.append((f"item:{item.id}", item.title))
        for slot in item.speaker_slots:
            form.target.choices.append((f"slot:{slot.id}", f"— {slot.person.name}{': ' + slot.topic if slot.topic else ''}"))
    form.audience.choices = [("all", _("Everyone invited")), ("organizers", _("Organizers only")),
                             *[(c.value, c.label) for c in ROLE_CHOICES],
                             *[(str(site.id), site.name) for site in meeting.sites]]


def _page(meeting, form, status=200):
    viewer = services.Viewer.organizer(meeting.id, current_user.id)
    due_form = DueForm()
    due_form.due.data = services.due_at(meeting).astimezone(get_zone(meeting.timezone)).strftime("%Y-%m-%dT%H:%M")
    return render_template("manage/materials.html", meeting=meeting, form=form, due_form=due_form,
                           materials=services.materials_of(meeting.id, viewer), due=services.due_at(meeting),
                           missing=services.missing_uploads(meeting.id),
                           accesses=services.access_log(meeting.id, limit=100)), status


@blueprint.route("/meetings/<int:meeting_id>/materials", methods=["GET", "POST"])
@access(MEETING)
def materials(meeting_id: int):
    """The materials, who still owes one, the access log, and the upload form."""
    _allow_large_body()
    meeting = load_meeting(meeting_id)
    form = MaterialForm()
    _choices(meeting, form)
    if form.validate_on_submit():
        upload = form.file.data
        target, _sep, target_id = (form.target.data or "").partition(":")
        try:
            material = services.upload(
                meeting, upload.read() if upload else b"", upload.filename if upload else None,
                title=form.title.data, agenda_item_id=int(target_id) if target == "item" else None,
                slot_id=int(target_id) if target == "slot" else None, audience=form.audience.data or None,
                confidential=form.confidential.data, user=current_user)
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            meeting = load_meeting(meeting_id)
            show_errors(form, error, {"slot_id": "target", "agenda_item_id": "target"})
            return _page(meeting, form, status=FORM_ERROR_STATUS)
        flash(_("Uploaded %(title)s.", title=material.title), "success")
        return redirect(url_for("manage.materials", meeting_id=meeting_id))
    return _page(meeting, form, status=FORM_ERROR_STATUS if form.errors else 200)


@blueprint.route("/meetings/<int:meeting_id>/materials/<int:material_id>/replace", methods=["POST"])
@access(MEETING)
def replace_material(meeting_id: int, material_id: int):
    """A new version of a material (the old ones stay)."""
    _allow_large_body()
    meeting = load_meeting(meeting_id)
    material = services.get_material(meeting, material_id)
    form = MaterialForm()
    _choices(meeting, form)
    if form.validate_on_submit():
        upload = form.file.data
        try:
            services.add_version(material, upload.read() if upload else b"", upload.filename if upload else None,
                                 user=current_user)
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            meeting = load_meeting(meeting_id)
            show_errors(form, error)
            return _page(meeting, form, status=FORM_ERROR_STATUS)
        flash(_("Replaced %(title)s.", title=material.title), "success")
        return redirect(url_for("manage.materials", meeting_id=meeting_id))
    return _page(meeting, form, status=FORM_ERROR_STATUS)


@blueprint.route("/meetings/<int:meeting_id>/materials/<int:material_id>/file", methods=["GET"])
@access(MEETING)
def material_file(meeting_id: int, material_id: int):
    """A material's file (``?version=N`` for an older one); logged."""
    meeting = load_meeting(meeting_id)
    material = services.get_material(meeting, material_id)
    viewer = services.Viewer.organizer(meeting.id, current_user.id)
    if not services.may_see(material, viewer):
        raise NotFound(_("No material with id %(id)s.", id=material_id))
    number = request.args.get("version", type=int) or material.current_version
    version = next((v for v in material.versions if v.number == number), None)
    if version is None:
        raise NotFound(_("This material has no version %(n)s.", n=number))
    answer = (version.storage_ref, version.size, version.content_type, version.filename)
    services.record_access([material], AccessAction.DOWNLOAD, "page", viewer)
    return files.send_stored(*answer, inline=False)


def exempt_uploads() -> None:
    """Exempt the upload handlers from the app-wide CSRF check (their forms check the token)."""
    csrf.exempt(materials)
    csrf.exempt(replace_material)


@blueprint.route("/meetings/<int:meeting_id>/materials.zip", methods=["GET"])
@access(MEETING)
def materials_zip(meeting_id: int):
    """Every material's current file as one ZIP in agenda order, streamed; each logged."""
    meeting = load_meeting(meeting_id)
    viewer = services.Viewer.organizer(meeting.id, current_user.id)
    chosen = services.materials_of(meeting.id, viewer)
    entries = files.zip_entries(chosen)
    services.record_access(chosen, AccessAction.DOWNLOAD, "zip", viewer)
    return files.zip_response(entries, f"meeting-{meeting.id}-materials.zip")


class DueForm(FlaskForm):
    """When speakers' materials are due (wall time in the meeting's zone; empty: the default)."""

    due = StringField(_l("Materials due"))


@blueprint.route("/meetings/<int:meeting_id>/materials/due", methods=["POST"])
@access(MEETING)
def materials_due(meeting_id: int):
    """Set when speakers' materials are due."""
    meeting = load_meeting(meeting_id)
    form = DueForm()
    if form.validate_on_submit():
        try:
            services.set_due(meeting, form.due.data or None)
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            flash(_("Materials are now due %(when)s.", when=format_when(services.due_at(meeting), meeting.timezone)),
                  "success")
    return redirect(url_for("manage.materials", meeting_id=meeting_id))
