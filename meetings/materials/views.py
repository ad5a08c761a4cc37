"""Materials behind capability links: a speaker's upload page reached from their RSVP page, and
the files a link's holder may see.

``GET`` shows and changes nothing but the access log (mail scanners fetch links); ``POST``
uploads. Each handler loads the link (a 404 when it is not live: unknown, revoked, or past the
meeting's links' end), asks `services.may_see` / `may_download`, then acts.
"""

from __future__ import annotations

from flask import abort, current_app, redirect, render_template, request, url_for

from meetings.core.access import access, link
from meetings.core.errors import DomainError
from meetings.core.forms import FORM_ERROR_STATUS
from meetings.core.i18n import language_args
from meetings.core.linkpages import link_pages_blueprint, unknown_link
from meetings.extensions import db
from meetings.invitations.models import LinkPurpose
from meetings.materials import files, services
from meetings.materials.links import viewer_for_link
from meetings.materials.models import AccessAction, Material
from meetings.scheduling.models import Meeting

blueprint = link_pages_blueprint("materials_links", __name__)


@blueprint.before_request
def _allow_uploads():
    # Uploads may be up to MATERIALS_MAX_BYTES; a larger body is a 413 before it is read.
    if request.method == "POST":
        request.max_content_length = current_app.config["MATERIALS_MAX_BYTES"] + 64 * 1024


def _invitee(token: str):
    found = viewer_for_link(token, LinkPurpose.RSVP)
    if found is None or found[1] is None:
        unknown_link()
    return found


@blueprint.route("/rsvp/<token>/materials", methods=["GET"])
@access(link("rsvp"))
def speaker_page(token: str):
    """The person's slots, when materials are due, what they uploaded, and a form to (re)place it."""
    return _render(token)


def _render(token: str, errors: dict | None = None, status: int = 200):
    _viewer, invitation = _invitee(token)
    meeting = db.get_or_404(Meeting, invitation.meeting_id)
    slots = [(slot, services.material_for_slot(slot)) for slot in services.speaker_slots(invitation)]
    return render_template("materials/speaker.html", token=token, meeting=meeting, invitation=invitation,
                           slots=slots, due=services.due_at(meeting), zone=invitation.person.timezone,
                           errors=errors or {}, done=request.args.get("done"),
                           can_upload=meeting.is_editable and invitation.is_active), status


@blueprint.route("/rsvp/<token>/materials", methods=["POST"])
@access(link("rsvp"))
def speaker_upload(token: str):
    """Upload (or replace) the material of one of the person's own slots (``slot_id``, ``file``)."""
    _viewer, invitation = _invitee(token)
    meeting = db.get_or_404(Meeting, invitation.meeting_id)
    own = {slot.id: slot for slot in services.speaker_slots(invitation)}
    try:
        slot_id = int(request.form.get("slot_id", ""))
    except ValueError:
        slot_id = None
    if slot_id not in own or not meeting.is_editable or not invitation.is_active:
        abort(404)
    upload = request.files.get("file")
    try:
        services.upload(meeting, upload.read() if upload else b"", upload.filename if upload else None,
                        slot_id=slot_id, invitation=invitation)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        return _render(token, errors=error.fields or {"file": [error.message]},
                       status=FORM_ERROR_STATUS if error.status == 422 else error.status)
    return redirect(url_for("materials_links.speaker_page", token=token, done="uploaded", **language_args()),
                    code=303)


@blueprint.route("/rsvp/<token>/materials/<int:material_id>", methods=["GET"])
@access(link("rsvp"))
def rsvp_file(token: str, material_id: int):
    """A material's current file, for the holder of an RSVP link who may see it."""
    viewer, _ = _invitee(token)
    return _send(viewer, material_id, "rsvp_link")


@blueprint.route("/join/<token>/materials/<int:material_id>", methods=["GET"])
@access(link("join", "site"))
def join_file(token: str, material_id: int):
    """A material's current file, for a site's room (its host) or a person's own join link."""
    found = viewer_for_link(token, LinkPurpose.SITE, LinkPurpose.JOIN)
    if found is None:
        unknown_link()
    return _send(found[0], material_id, "site_link" if found[0].kind == "site" else "join_link")


def _send(viewer: services.Viewer, material_id: int, via: str):
    material = db.session.get(Material, material_id)
    if material is None or not services.may_see(material, viewer):
        abort(404)
    current = material.current
    downloadable = services.may_download(material, viewer)
    inline = not downloadable or request.args.get("inline") == "1"
    if inline and not services.viewable_inline(current.content_type):
        if not downloadable:
            # A confidential slide deck cannot be shown by a browser, and must not be handed out.
            abort(403)
        inline = False
    answer = (current.storage_ref, current.size, current.content_type, current.filename)
    services.record_access([material], AccessAction.VIEW if inline else AccessAction.DOWNLOAD, via, viewer)
    return files.send_stored(*answer, inline=inline)
