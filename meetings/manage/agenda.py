"""Step 3: the agenda builder: items with start and length, speech blocks with their speakers,
reordering, and the running time."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from meetings.core.access import MEETING, access
from meetings.core.errors import DomainError
from meetings.core.forms import FORM_ERROR_STATUS, show_errors
from meetings.core.i18n import localized
from meetings.core.timezones import localize
from meetings.directory.services import email_of
from meetings.extensions import db
from meetings.manage.blueprint import blueprint, load_meeting
from meetings.manage.forms import AgendaItemForm, ConfirmForm
from meetings.scheduling import agenda as agenda_services

ITEM_FIELDS = {"start": "start_time"}


def _page(meeting, form, editing=None, status=200):
    return render_template("manage/agenda.html", meeting=meeting, form=form, editing=editing,
                           running_order=agenda_services.running_order(meeting),
                           confirm=ConfirmForm()), status


def _fill(form: AgendaItemForm, meeting, item) -> None:
    form.title.data, form.kind.data, form.description.data = item.title, item.kind.value, item.description
    form.title_zh.data = item.title_zh
    form.start_time.data = localize(item.start_at, meeting.timezone).time()
    form.duration_minutes.data = item.duration_minutes
    for row, slot in zip(form.speakers, item.speaker_slots, strict=False):
        row.email.data, row.topic.data, row.minutes.data = slot.person.email, slot.topic, slot.minutes



def _with_emails(data: dict) -> dict:
    """The form's speakers, each typed as an email or an exact name, as emails."""
    for speaker in data.get("speakers", []):
        speaker["email"] = email_of(speaker["email"], "speakers")
    return data

@blueprint.route("/meetings/<int:meeting_id>/agenda", methods=["GET", "POST"])
@access(MEETING)
def agenda(meeting_id: int):
    """The agenda, and a form to add an item (it follows the last one unless a start is given)."""
    meeting = load_meeting(meeting_id)
    form = AgendaItemForm()
    if form.validate_on_submit():
        try:
            item = agenda_services.add_item(meeting, _with_emails(form.to_data(meeting)))
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            meeting = load_meeting(meeting_id)
            show_errors(form, error, ITEM_FIELDS)
            return _page(meeting, form, status=FORM_ERROR_STATUS)
        flash(_("Added %(title)s.", title=localized(item)), "success")
        return redirect(url_for("manage.agenda", meeting_id=meeting_id))
    return _page(meeting, form, status=FORM_ERROR_STATUS)


@blueprint.route("/meetings/<int:meeting_id>/agenda/<int:item_id>", methods=["GET", "POST"])
@access(MEETING)
def edit_item(meeting_id: int, item_id: int):
    """Change an item and its speakers."""
    meeting = load_meeting(meeting_id)
    item = agenda_services.get_item(meeting, item_id)
    form = AgendaItemForm()
    if request.method == "GET":
        _fill(form, meeting, item)
    if form.validate_on_submit():
        try:
            agenda_services.update_item(meeting, item, _with_emails(form.to_data(meeting)))
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            meeting = load_meeting(meeting_id)
            show_errors(form, error, ITEM_FIELDS)
            return _page(meeting, form, editing=agenda_services.get_item(meeting, item_id), status=FORM_ERROR_STATUS)
        flash(_("Saved %(title)s.", title=localized(item)), "success")
        return redirect(url_for("manage.agenda", meeting_id=meeting_id))
    return _page(meeting, form, editing=item, status=FORM_ERROR_STATUS)


@blueprint.route("/meetings/<int:meeting_id>/agenda/<int:item_id>/move", methods=["POST"])
@access(MEETING)
def move_item(meeting_id: int, item_id: int):
    """Swap an item with the one before or after it."""
    meeting = load_meeting(meeting_id)
    item = agenda_services.get_item(meeting, item_id)
    if ConfirmForm().validate_on_submit():
        try:
            agenda_services.move_item(meeting, item, request.form.get("direction", ""))
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            flash(_("Could not move %(title)s: %(why)s", title=localized(item), why=error.message), "error")
    return redirect(url_for("manage.agenda", meeting_id=meeting_id))


@blueprint.route("/meetings/<int:meeting_id>/agenda/<int:item_id>/remove", methods=["POST"])
@access(MEETING)
def remove_item(meeting_id: int, item_id: int):
    """Take an item off the agenda."""
    meeting = load_meeting(meeting_id)
    item = agenda_services.get_item(meeting, item_id)
    if ConfirmForm().validate_on_submit():
        try:
            agenda_services.remove_item(meeting, item)
            db.session.commit()
            flash(_("Removed %(title)s.", title=localized(item)), "success")
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
    return redirect(url_for("manage.agenda", meeting_id=meeting_id))
