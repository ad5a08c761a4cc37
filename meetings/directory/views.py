"""Directory pages: people with search and filters, a person's entry, and roster import with a
preview (nothing is imported until the whole file is right)."""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask import Blueprint, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from meetings.core.access import CALLER, PERSON_CHANGE, access
from meetings.core.errors import DomainError, InvalidInput, error_response
from meetings.core.forms import FORM_ERROR_STATUS, show_errors
from meetings.core.timezones import all_zone_names
from meetings.directory import roster, services, uploads
from meetings.directory.access import require_may_revive
from meetings.directory.forms import ImportForm, PersonForm
from meetings.directory.models import PersonTag, Unit
from meetings.extensions import db

blueprint = Blueprint("directory", __name__)

PAGE_SIZE = 50
_UPLOAD_ID = re.compile(r"^[A-Za-z0-9_-]{20,60}$")


@blueprint.route("/people")
@access(CALLER)
def people():
    """The directory, searchable by name or email and filtered by unit and tag."""
    q, unit, tag = request.args.get("q", "").strip(), request.args.get("unit", ""), request.args.get("tag", "")
    page = max(request.args.get("page", 1, type=int), 1)
    try:
        query = services.people_query([tag] if tag else [], unit or None, q or None)
    except InvalidInput:
        query = services.people_query([], unit or None, q or None).where(sa.false())
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.order_by(None).subquery()))
    found = db.session.scalars(query.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)).all()
    units = db.session.scalars(sa.select(Unit.name).order_by(Unit.name)).all()
    tags = db.session.scalars(sa.select(PersonTag.tag).distinct().order_by(PersonTag.tag)).all()
    return render_template("directory/people.html", people=found, total=total, page=page, page_size=PAGE_SIZE,
                           q=q, unit=unit, tag=tag, units=units, tags=tags)


@blueprint.route("/people/search")
@access(CALLER)
def search_people():
    """People whose name or email holds ``q`` (at most 20), as JSON: what the pages' people
    pickers offer as someone types (`static/js/people.js`), instead of the whole directory in
    every page."""
    found = services.search_people(request.args.get("q", "")[:100])
    return jsonify({"people": [{"name": person.name, "email": person.email, "unit": person.unit_name}
                               for person in found]})


@blueprint.route("/people/new", methods=["GET", "POST"])
@blueprint.route("/people/<int:person_id>", methods=["GET", "POST"])
@access(PERSON_CHANGE)
def person(person_id: int | None = None):
    """Add a person, or change one (their role tags among the rest): a change only by whom
    `meetings.directory.access` allows."""
    existing = services.get_person(person_id) if person_id else None
    form = PersonForm()
    if request.method == "GET" and existing is not None:
        form.name.data, form.email.data, form.title.data = existing.name, existing.email, existing.title
        form.unit.data, form.tags.data = existing.unit_name or "", ", ".join(existing.tags)
        form.timezone.data, form.language.data = existing.timezone, existing.language
    status = 200
    if form.validate_on_submit():
        try:
            if existing is None:
                require_may_revive(current_user, form.email.data)
                saved = services.create_person(form.to_data())
            else:
                saved = services.update_person(existing, form.to_data())
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            show_errors(form, error)
            status = FORM_ERROR_STATUS
        else:
            flash(_("Saved %(name)s.", name=saved.name), "success")
            return redirect(url_for("directory.people", q=saved.email))
    return render_template("directory/person.html", form=form, person=existing,
                           zones=sorted(all_zone_names())), status


@blueprint.errorhandler(RequestEntityTooLarge)
def _too_large(error):
    # Past MAX_CONTENT_LENGTH: the import page again, saying so, rather than an error page (the
    # body was not read, so the form starts empty).
    db.session.rollback()
    if request.endpoint != "directory.import_people":
        return error_response(413, _("The request body is too large (the limit is 10 MB)."))
    form = ImportForm(formdata=None)
    form.file.errors = [_("The file is too large: at most %(num)d MB.",
                          num=current_app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024))]
    return render_template("directory/import.html", form=form, result=None), 413


@blueprint.route("/people/import", methods=["GET", "POST"])
@access(CALLER)
def import_people():
    """Upload a roster: first every row is checked and shown, then it is imported, all or nothing."""
    form = ImportForm()
    if not form.validate_on_submit():
        return render_template("directory/import.html", form=form, result=None), 200
    upload_id = form.upload.data or ""
    if upload_id:  # the second step: import the file checked in the first (on whichever host)
        try:
            if not _UPLOAD_ID.match(upload_id):
                raise InvalidInput(_("That upload is gone; choose the file again."), "file")
            claimed = uploads.claim(upload_id, current_user.id)
            # Taken (deleted) and committed before the file is read and checked: no write lock is
            # held meanwhile (see the API's import), and a second click finds nothing to import.
            db.session.commit()
            result = roster.import_and_commit(claimed.content, claimed.filename, claimed.content_type,
                                              user=current_user)
        except DomainError as error:
            db.session.rollback()
            if "file" in error.fields:  # the upload itself: gone, expired, someone else's
                show_errors(form, error)
                return render_template("directory/import.html", form=form, result=None), FORM_ERROR_STATUS
            return render_template("directory/import.html", form=form, result=None, errors=error.fields,
                                   message=error.message), FORM_ERROR_STATUS
        flash(_("Imported: %(created)d added, %(updated)d updated.", created=result.created,
                updated=result.updated), "success")
        return redirect(url_for("directory.people"))
    upload = form.file.data
    if upload is None or not upload.filename:
        form.file.errors = [_("Choose a CSV or XLSX file.")]
        return render_template("directory/import.html", form=form, result=None), FORM_ERROR_STATUS
    content = upload.read(uploads.MAX_BYTES + 1)  # bounded, whatever the request's limit
    db.session.commit()  # no write lock held while the file is read and checked (see the API's import)
    try:
        uploads.require_within_bound(content)
        result = roster.plan_import(content, upload.filename, upload.mimetype or "", user=current_user)
    except DomainError as error:
        show_errors(form, error)
        return render_template("directory/import.html", form=form, result=None), FORM_ERROR_STATUS
    if result.errors:
        return render_template("directory/import.html", form=form, result=result, errors=result.errors,
                               message=ngettext("%(num)d row has errors; nothing can be imported until the file "
                                                "is corrected.", "%(num)d rows have errors; nothing can be "
                                                "imported until the file is corrected.", len(result.errors))
                               ), FORM_ERROR_STATUS
    form.upload.data = uploads.keep(current_user.id, content, upload.filename, upload.mimetype or "")
    db.session.commit()
    return render_template("directory/import.html", form=form, result=result), 200
