"""The organizer's dashboard and a meeting's details, publication and cancellation."""

from __future__ import annotations

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from meetings.core.access import CALLER, MEETING, access
from meetings.core.db import utcnow
from meetings.core.errors import DomainError
from meetings.core.forms import FORM_ERROR_STATUS, show_errors
from meetings.core.timezones import all_zone_names, localize
from meetings.extensions import db
from meetings.invitations.models import Invitation, Response
from meetings.manage.blueprint import blueprint, load_meeting
from meetings.manage.forms import ConfirmForm, MeetingForm
from meetings.scheduling import agenda, services
from meetings.scheduling.models import MeetingStatus

MEETING_FIELDS = {"start": "start_time", "end": "end_time"}


def answer_counts(meeting_ids: list[int]) -> dict[int, dict[str, int]]:
    """Per meeting: invited, accepted, declined, tentative, no answer, attended (one query)."""
    counts = {mid: {"invited": 0, "accepted": 0, "declined": 0, "tentative": 0, "no_answer": 0, "attended": 0}
              for mid in meeting_ids}
    if not meeting_ids:
        return counts
    rows = db.session.execute(
        sa.select(Invitation.meeting_id, Invitation.response, sa.func.count(),
                  sa.func.count(Invitation.checked_in_at))
        .where(Invitation.meeting_id.in_(meeting_ids), Invitation.removed_at.is_(None))
        .group_by(Invitation.meeting_id, Invitation.response))
    for meeting_id, response, count, attended in rows:
        entry = counts[meeting_id]
        entry["invited"] += count
        entry["attended"] += attended
        key = {Response.ACCEPTED: "accepted", Response.DECLINED: "declined", Response.TENTATIVE: "tentative",
               Response.NEEDS_ACTION: "no_answer"}.get(response)
        if key:
            entry[key] += count
    return counts


@blueprint.route("/")
@access(CALLER)
def dashboard():
    """Upcoming and past meetings in the viewer's time zone, with their answers and attendance."""
    meetings = services.list_meetings(current_user)
    now = utcnow()
    # A cancelled meeting is not coming up, whatever its date: it is listed with the past ones.
    ahead = [m for m in meetings if m.end_at >= now and m.status != MeetingStatus.CANCELLED]
    upcoming = ahead
    past = sorted((m for m in meetings if m not in ahead), key=lambda m: m.start_at, reverse=True)
    return render_template("manage/dashboard.html", upcoming=upcoming, past=past,
                           counts=answer_counts([m.id for m in meetings]))


@blueprint.route("/meetings/new", methods=["GET", "POST"])
@access(CALLER)
def new_meeting():
    """Step 1 for a new meeting: its details."""
    form = MeetingForm()
    if request.method == "GET":
        form.timezone.data = current_user.timezone
    if form.validate_on_submit():
        try:
            meeting = services.create_meeting(form.to_data(), current_user)
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            show_errors(form, error, MEETING_FIELDS)
        else:
            flash(_("The meeting is created as a draft. Next: where it takes place."), "success")
            return redirect(url_for("manage.sites", meeting_id=meeting.id))
    return render_template("manage/details.html", form=form, meeting=None, zones=sorted(all_zone_names())), \
        FORM_ERROR_STATUS


@blueprint.route("/meetings/<int:meeting_id>")
@access(MEETING)
def meeting_page(meeting_id: int):
    """A meeting at a glance: when, where, the agenda, who is invited, and what is next."""
    meeting = load_meeting(meeting_id)
    return render_template("manage/meeting.html", meeting=meeting, running_order=agenda.running_order(meeting),
                           reminders=services.effective_reminders(meeting),
                           counts=answer_counts([meeting.id])[meeting.id], confirm=ConfirmForm(),
                           to_tell=people_to_tell(meeting))


@blueprint.route("/meetings/<int:meeting_id>/details", methods=["GET", "POST"])
@access(MEETING)
def details(meeting_id: int):
    """Change the title, description, date, times and time zone."""
    meeting = load_meeting(meeting_id)
    form = MeetingForm()
    if request.method == "GET":
        start, end = localize(meeting.start_at, meeting.timezone), localize(meeting.end_at, meeting.timezone)
        form.title.data, form.description.data, form.kind.data = meeting.title, meeting.description, meeting.kind
        form.title_zh.data = meeting.title_zh
        form.date.data, form.start_time.data, form.end_time.data = start.date(), start.time(), end.time()
        form.end_date.data = end.date() if end.date() != start.date() else None
        form.timezone.data = meeting.timezone
    status = 200
    if form.validate_on_submit():
        try:
            changes = services.update_meeting(meeting, carry_end(meeting, form.to_data()))
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            meeting = load_meeting(meeting_id)
            show_errors(form, error, MEETING_FIELDS)
            status = FORM_ERROR_STATUS
        else:
            flash(_changed_message(meeting, changes), "success")
            return redirect(url_for("manage.meeting_page", meeting_id=meeting.id))
    elif form.errors:
        status = FORM_ERROR_STATUS
    return render_template("manage/details.html", form=form, meeting=meeting,
                           zones=sorted(all_zone_names())), status


def carry_end(meeting, data: dict) -> dict:
    """The form always sends both times; when only the start was changed, leave the end out so
    the service moves the end and the agenda with the start, as a PATCH with a new start does."""
    zone = data.get("timezone") or meeting.timezone
    if zone != meeting.timezone:
        return data
    start = localize(meeting.start_at, zone).strftime("%Y-%m-%dT%H:%M")
    end = localize(meeting.end_at, zone).strftime("%Y-%m-%dT%H:%M")
    if data.get("start") != start and data.get("end") == end:
        data = dict(data)
        del data["end"]
    return data


def _changed_message(meeting, changes) -> str:
    if not changes:
        return _("Nothing changed.")
    if meeting.is_published and changes & {"time", "details"}:
        return _("Saved. Everyone who is coming gets the update in a minute.")
    return _("Saved.")


def people_to_tell(meeting) -> int:
    """How many people an update or a cancellation would reach now."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(Invitation).where(
        Invitation.meeting_id == meeting.id, Invitation.removed_at.is_(None))) or 0


@blueprint.route("/meetings/<int:meeting_id>/publish", methods=["POST"])
@access(MEETING)
def publish(meeting_id: int):
    """Send the invites."""
    meeting = load_meeting(meeting_id)
    if ConfirmForm().validate_on_submit():
        try:
            services.publish_meeting(meeting)
            db.session.commit()
            flash(ngettext("Published: %(num)d invitation is on its way.",
                           "Published: %(num)d invitations are on their way.", people_to_tell(meeting)), "success")
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
    return redirect(url_for("manage.meeting_page", meeting_id=meeting_id))


@blueprint.route("/meetings/<int:meeting_id>/cancel", methods=["POST"])
@access(MEETING)
def cancel(meeting_id: int):
    """Cancel the meeting: everyone invited is told."""
    meeting = load_meeting(meeting_id)
    if ConfirmForm().validate_on_submit():
        try:
            told = people_to_tell(meeting) if meeting.is_published else 0
            services.cancel_meeting(meeting)
            db.session.commit()
            flash(ngettext("Cancelled. %(num)d person is told.", "Cancelled. %(num)d people are told.", told)
                  if told else _("Cancelled."), "success")
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
    return redirect(url_for("manage.meeting_page", meeting_id=meeting_id))


@blueprint.route("/meetings/<int:meeting_id>/delete", methods=["POST"])
@access(MEETING)
def delete(meeting_id: int):
    """Delete a draft."""
    meeting = load_meeting(meeting_id)
    if ConfirmForm().validate_on_submit():
        try:
            services.delete_meeting(meeting)
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
            return redirect(url_for("manage.meeting_page", meeting_id=meeting_id))
        flash(_("The draft is deleted."), "success")
    return redirect(url_for("manage.dashboard"))

