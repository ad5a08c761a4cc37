"""After the invites: the RSVP board (answers by site and role, each person's emails), the
reminders of each role, the preview of each role's invite, and the attendance dashboard."""

from __future__ import annotations

import base64
import re
from collections import Counter, defaultdict

import sqlalchemy as sa
from flask import (
    Response,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from meetings.attendance import exports
from meetings.attendance import services as attendance_services
from meetings.core.access import MEETING, access
from meetings.core.errors import DomainError, InvalidInput
from meetings.core.forms import FORM_ERROR_STATUS
from meetings.core.i18n import zone_name
from meetings.core.roles import Role
from meetings.extensions import db
from meetings.invitations import links, replies
from meetings.invitations import services as invitation_services
from meetings.invitations.models import Invitation
from meetings.manage.blueprint import blueprint, load_meeting
from meetings.manage.forms import ConfirmForm
from meetings.notifications import dispatch
from meetings.notifications.emails import preview_for, preview_invite, preview_kind
from meetings.outbox import services as outbox
from meetings.outbox.models import OutboxMessage
from meetings.scheduling import services as scheduling

RESPONSES = ("accepted", "tentative", "declined", "needs-action", "delegated")
#: Unapplied mailbox replies the answers page lists, newest first (one more says "there are more").
UNAPPLIED_SHOWN = 50


def board_counts(invitations: list[Invitation]) -> dict:
    """Answers by site and by role, and in total."""
    by_site: dict[str, Counter] = defaultdict(Counter)
    by_role: dict[str, Counter] = defaultdict(Counter)
    total: Counter = Counter()
    for invitation in invitations:
        site = invitation.venue.name if invitation.venue else "Online"
        for counter in (by_site[site], by_role[invitation.role.value], total):
            counter[invitation.response.value] += 1
            counter["invited"] += 1
            counter["attended"] += invitation.checked_in_at is not None
    return {"by_site": dict(by_site), "by_role": dict(by_role), "total": total}


def notifications_by_invitation(meeting_id: int) -> dict[int | None, list[OutboxMessage]]:
    """Each invitation's emails, newest first (one query)."""
    rows = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.meeting_id == meeting_id)
                              .order_by(OutboxMessage.due_at.desc(), OutboxMessage.id.desc()))
    grouped: dict[int | None, list[OutboxMessage]] = defaultdict(list)
    for row in rows:
        grouped[row.invitation_id].append(row)
    return grouped


@blueprint.route("/meetings/<int:meeting_id>/board")
@access(MEETING)
def board(meeting_id: int):
    """Who answered what, by site and by role, and each person's emails."""
    meeting = load_meeting(meeting_id)
    invitations = invitation_services.invitations_of(meeting)
    # Replies from the mailbox whose sender is not the attendee changed no answer: shown here,
    # where the organizer reads the answers, so that they can check with the person.
    unapplied = replies.unapplied_for(meeting, limit=UNAPPLIED_SHOWN + 1)
    return render_template("manage/board.html", meeting=meeting, invitations=invitations,
                           counts=board_counts(invitations), responses=RESPONSES,
                           emails=notifications_by_invitation(meeting.id), confirm=ConfirmForm(),
                           unapplied=unapplied[:UNAPPLIED_SHOWN], more_unapplied=len(unapplied) > UNAPPLIED_SHOWN)


@blueprint.route("/meetings/<int:meeting_id>/board.json")
@access(MEETING)
def board_counts_json(meeting_id: int):
    """The board's counts, for the page to refresh them while people answer."""
    meeting = load_meeting(meeting_id)
    counts = board_counts(invitation_services.invitations_of(meeting))
    return jsonify({"total": counts["total"], "by_site": counts["by_site"], "by_role": counts["by_role"]})


@blueprint.route("/meetings/<int:meeting_id>/invitations/<int:invitation_id>/resend", methods=["POST"])
@access(MEETING)
def resend(meeting_id: int, invitation_id: int):
    """Send someone their invite again."""
    meeting = load_meeting(meeting_id)
    invitation = invitation_services.get_invitation(meeting, invitation_id)
    if ConfirmForm().validate_on_submit():
        try:
            dispatch.resend_invite(invitation)
            db.session.commit()
            flash(_("The invite goes to %(name)s again.", name=invitation.person.name), "success")
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
    return redirect(url_for("manage.board", meeting_id=meeting_id) + f"#invitation-{invitation_id}")


@blueprint.route("/meetings/<int:meeting_id>/invitations/<int:invitation_id>/check-in", methods=["POST"])
@access(MEETING)
def manual_check_in(meeting_id: int, invitation_id: int):
    """Check someone in by hand (a late list, a forgotten scan): at any time, kept in the audit
    log; the same service as the API's ``method: manual``."""
    meeting = load_meeting(meeting_id)
    invitation = invitation_services.get_invitation(meeting, invitation_id)
    if ConfirmForm().validate_on_submit():
        try:
            first = attendance_services.check_in(invitation, "manual", user=current_user)
            db.session.commit()
            if first:
                flash(_("%(name)s is checked in.", name=invitation.person.name), "success")
            else:
                flash(_("%(name)s was already checked in; this check-in is kept in the log.",
                        name=invitation.person.name), "success")
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
    return redirect(url_for("manage.board", meeting_id=meeting_id) + f"#invitation-{invitation_id}")


@blueprint.route("/meetings/<int:meeting_id>/emails/<int:message_id>/retry", methods=["POST"])
@access(MEETING)
def retry_email(meeting_id: int, message_id: int):
    """Queue a failed email again."""
    meeting = load_meeting(meeting_id)
    message = db.session.get(OutboxMessage, message_id)
    if message is None or message.meeting_id != meeting.id:
        raise InvalidInput(_("No such email in this meeting."))
    if ConfirmForm().validate_on_submit():
        try:
            outbox.retry(message.id)
            db.session.commit()
            flash(_("The email is queued again."), "success")
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
    return redirect(url_for("manage.board", meeting_id=meeting_id) + f"#invitation-{message.invitation_id}")


# --- reminders ----------------------------------------------------------------------------------

# The units in both languages: the page writes them in the reader's (`describe_offset`), and an
# organizer types either.
_UNITS = {"d": 1440, "day": 1440, "days": 1440, "h": 60, "hour": 60, "hours": 60, "m": 1, "min": 1,
          "mins": 1, "minute": 1, "minutes": 1, "": 1, "天": 1440, "小时": 60, "分钟": 1, "分": 1}


def parse_offsets(text: str, role: str) -> list[int]:
    """'1 day, 1 hour, 15m' (or '1 天，1 小时') → [1440, 60, 15]; a plain number is minutes."""
    offsets = []
    for part in re.split(r"[,;，；、]", text or ""):
        part = part.strip().lower()
        if not part:
            continue
        match = re.fullmatch(r"(-?\d+)\s*([a-z]*|天|小时|分钟|分)", part)
        if match is None or match.group(2) not in _UNITS:
            raise InvalidInput(_("'%(part)s' is not a time before the meeting, like 1 day, 2 hours or 15 min.",
                                 part=part), role)
        offsets.append(int(match.group(1)) * _UNITS[match.group(2)])
    return offsets


def describe_offset(minutes: int) -> str:
    """1440 → '1 day', 90 → '90 min' (in the reader's language; `parse_offsets` reads both)."""
    if minutes and minutes % 1440 == 0:
        return ngettext("%(num)d day", "%(num)d days", minutes // 1440)
    if minutes and minutes % 60 == 0:
        return ngettext("%(num)d hour", "%(num)d hours", minutes // 60)
    return ngettext("%(num)d min", "%(num)d min", minutes)


@blueprint.route("/meetings/<int:meeting_id>/reminders", methods=["GET", "POST"])
@access(MEETING)
def reminders(meeting_id: int):
    """The reminders each role gets; speakers' count back from their own slot."""
    meeting = load_meeting(meeting_id)
    errors: dict[str, list[str]] = {}
    values = {role.value: ", ".join(describe_offset(m) for m in scheduling.reminder_offsets(meeting, role))
              for role in Role}
    form = ConfirmForm()
    if request.method == "POST" and form.validate_on_submit():
        values = {role.value: request.form.get(role.value, "") for role in Role}
        try:
            if request.form.get("action") == "defaults":
                scheduling.update_meeting(meeting, {"reminders": None})
            else:
                wanted = [{"role": role, "before_minutes": minutes}
                          for role, text in values.items() for minutes in parse_offsets(text, role)]
                scheduling.update_meeting(meeting, {"reminders": wanted})
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            errors = error.fields or {"reminders": [error.message]}
        else:
            flash(_("Reminders saved."), "success")
            return redirect(url_for("manage.reminders", meeting_id=meeting_id))
    return render_template("manage/reminders.html", meeting=meeting, values=values, errors=errors, form=form,
                           roles=list(Role)), FORM_ERROR_STATUS if errors else 200


# --- preview ------------------------------------------------------------------------------------

@blueprint.route("/meetings/<int:meeting_id>/preview")
@access(MEETING)
def preview(meeting_id: int):
    """What a person will receive: a chosen invited person's own next email and calendar entry
    (``?invitation=``), else a stand-in's invite for a role (``?role=``) at a site (``?site=``)."""
    meeting = load_meeting(meeting_id)
    invitations = invitation_services.invitations_of(meeting)
    chosen = next((i for i in invitations if str(i.id) == request.args.get("invitation")), None)
    role = chosen.role.value if chosen else request.args.get("role", "participant")
    if role not in {r.value for r in Role}:
        role = "participant"
    site = next((s for s in meeting.sites if str(s.id) == request.args.get("site")), None)
    if chosen is not None:
        email, kind = preview_for(chosen), preview_kind(chosen)
    else:
        email, kind = preview_invite(meeting, role, None, site), "invite"
    return render_template("manage/preview.html", meeting=meeting, role=role, roles=list(Role), email=email,
                           chosen=chosen, site=site, kind=kind, invitations=invitations,
                           counts=Counter(i.role.value for i in invitations),
                           html=email_html_with_images(email), fields=calendar_fields(email.calendar),
                           calendar_text=email.calendar.decode("utf-8") if email.calendar else "",
                           calendar_b64=base64.b64encode(email.calendar).decode("ascii") if email.calendar else "")


def email_html_with_images(email) -> str:
    """The HTML part as a mail client shows it: its inline images (the check-in code) written in."""
    html = email.html or ""
    for image in email.images:
        html = html.replace(f"cid:{image.content_id}",
                            f"data:{image.content_type};base64,{base64.b64encode(image.data).decode('ascii')}")
    return html


def calendar_fields(calendar: bytes | None) -> list[tuple[str, str]]:
    """The calendar entry as a calendar shows it: title, when, where, the link, the description,
    the alarms (read back from the .ics by `icalendar`)."""
    if not calendar:
        return []
    import icalendar

    event = next(iter(icalendar.Calendar.from_ical(calendar).walk("VEVENT")), None)
    if event is None:
        return []
    start, end = event.decoded("DTSTART"), event.decoded("DTEND")
    # The zone as the page's reader names it (北京时间, CEST), as everywhere else.
    zone = zone_name(start, str(start.tzinfo)) if start.tzinfo is not None else "UTC"
    fields = [(_("Title"), str(event.get("SUMMARY", ""))),
              (_("When"), "{} – {} ({})".format(start.strftime("%Y-%m-%d %H:%M"),
                                                 end.strftime("%Y-%m-%d %H:%M"), zone)),
              (_("Where"), str(event.get("LOCATION", "")))]
    if event.get("URL"):
        fields.append((_("Link"), str(event.get("URL"))))
    alarms = [alarm.decoded("TRIGGER") for alarm in event.walk("VALARM")]
    if alarms:
        # TRIGGERs count from the start: a speaker's ring before their slot, which may be after it.
        fields.append((_("Alarms"), ", ".join(
            ngettext("%(num)d minute before the start", "%(num)d minutes before the start",
                     int(-a.total_seconds() // 60)) if a.total_seconds() <= 0 else
            ngettext("%(num)d minute after the start", "%(num)d minutes after the start",
                     int(a.total_seconds() // 60))
            for a in alarms)))
    fields.append((_("Description"), str(event.get("DESCRIPTION", ""))))
    return fields


# --- attendance ---------------------------------------------------------------------------------

def attendance_bars(invitations: list[Invitation], key) -> list[dict]:
    """Invited, accepted and attended per group (site or unit), largest first."""
    groups: dict[str, Counter] = defaultdict(Counter)
    for invitation in invitations:
        counter = groups[key(invitation)]
        counter["invited"] += 1
        counter["accepted"] += invitation.response.value == "accepted"
        counter["attended"] += invitation.checked_in_at is not None
    return [{"label": label, "lines": wrap_label(label), **counter} for label, counter in
            sorted(groups.items(), key=lambda pair: (-pair[1]["invited"], pair[0]))]


def _columns(text: str) -> int:
    return sum(2 if ord(char) >= 0x2E80 else 1 for char in text)


def wrap_label(label: str, width: int = 26, most: int = 3) -> list[str]:
    """``label`` in lines of at most ``width`` columns (a Chinese character takes two), broken
    between words or Chinese characters, for the chart to show whole names ("渤汽车 Bohai
    Automotive Parts") instead of cutting them; past ``most`` lines the last one ends with "…"."""
    lines, line = [], ""
    for token in re.findall(rf"\s*(?:[\u2e80-\uffff]|[^\s\u2e80-\uffff]{{1,{width}}})", label):
        if line and _columns(line + token.rstrip()) > width:
            lines.append(line.strip())
            line = token.lstrip()
        else:
            line += token
    lines.append(line.strip())
    if len(lines) > most:
        lines = lines[:most - 1] + [lines[most - 1][:-1] + "…"]
    return lines


@blueprint.route("/meetings/<int:meeting_id>/attendance")
@access(MEETING)
def attendance(meeting_id: int):
    """Invited vs accepted vs attended, by site and by unit, as charts; and the exports."""
    meeting = load_meeting(meeting_id)
    invitations = invitation_services.invitations_of(meeting)
    by_site = attendance_bars(invitations, lambda i: i.venue.name if i.venue else _("Online"))
    by_unit = attendance_bars(invitations, lambda i: i.person.unit_name or _("No unit"))
    return render_template("manage/attendance.html", meeting=meeting, by_site=by_site, by_unit=by_unit,
                           total=board_counts(invitations)["total"], present=present_by_site(meeting, invitations))


def present_by_site(meeting, invitations: list[Invitation]) -> list[dict]:
    """Who is present at each site: people on the list checked in there, and the site's latest
    head count of the others (a site host's roll call), as the XLSX's summary counts them."""
    head_counts = attendance_services.latest_head_counts(meeting.id)
    attended: Counter = Counter(i.venue.id if i.venue else None for i in invitations if i.checked_in_at)
    rows = [{"name": site.name, "attended": attended[site.id], "others": head_counts.get(site.id, 0)}
            for site in meeting.sites]
    if attended[None]:
        rows.append({"name": _("Online"), "attended": attended[None], "others": 0})
    return rows





@blueprint.route("/meetings/<int:meeting_id>/attendance.<any(csv, xlsx):extension>")
@access(MEETING)
def export_attendance(meeting_id: int, extension: str):
    """The attendance export, from the page (filters as on the API: site, unit, role, response)."""
    meeting = load_meeting(meeting_id)
    query = {"site": request.args.getlist("site", type=int), "unit": request.args.getlist("unit"),
             "role": request.args.getlist("role"), "response": request.args.getlist("response")}
    filters = exports.parse_filters(meeting, query)
    name = exports.filename(meeting, extension)
    if extension == "csv":
        return Response(stream_with_context(exports.csv_body(meeting, filters)), mimetype="text/csv",
                        headers={"Content-Disposition": exports.content_disposition(name)})
    stream = exports.xlsx_file(exports.scope_of(meeting), filters)
    exports.note_export(meeting, extension, filters)  # once produced
    return send_file(stream, as_attachment=True, download_name=name,
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


# --- links --------------------------------------------------------------------------------------

@blueprint.route("/meetings/<int:meeting_id>/links", methods=["GET", "POST"])
@access(MEETING)
def issued_links(meeting_id: int):
    """Every link the meeting has sent, by person and site; revoke those that must stop working."""
    meeting = load_meeting(meeting_id)
    form = ConfirmForm()
    if request.method == "POST" and form.validate_on_submit():
        try:
            count = links.revoke_for(meeting, request.form.get("purpose", ""),
                                     invitation_id=request.form.get("invitation_id", type=int),
                                     site_id=request.form.get("site_id", type=int))
            db.session.commit()
            flash(ngettext("Revoked %(num)d link: it opens nothing any more.",
                           "Revoked %(num)d links: they open nothing any more.", count), "success")
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
        return redirect(url_for("manage.issued_links", meeting_id=meeting_id))
    return render_template("manage/links.html", meeting=meeting, issued=links.issued_links(meeting), form=form)
