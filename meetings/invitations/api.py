"""Invitations API: ``/api/meetings/{id}/invitations``, calendar replies, the meeting as .ics."""

from __future__ import annotations

from flask import Response as HttpResponse
from flask import current_app, request
from flask_smorest import Blueprint

from meetings.accounts.auth import current_api_caller, current_api_user, protect_api_blueprint
from meetings.core import pagecache
from meetings.core.access import CALLER, MEETING, access, loaded
from meetings.core.errors import InvalidInput
from meetings.core.i18n import current_language
from meetings.extensions import db, limiter
from meetings.invitations import calendars, links, replies, services
from meetings.invitations.schemas import (
    InvitationInSchema,
    InvitationPatchSchema,
    InvitationSchema,
    IssuedLinksSchema,
    ReplyResultSchema,
    RevokedLinksSchema,
    RevokeLinksSchema,
    UnappliedReplySchema,
)
from meetings.scheduling.services import get_meeting_for, meeting_version_for

blueprint = Blueprint("invitations_api", __name__, url_prefix="/api",
                      description="Invitations, calendar replies and calendar files.")
protect_api_blueprint(blueprint)


def _meeting(meeting_id: int):
    return loaded(meeting_id)  # loaded by @access(MEETING)


@blueprint.route("/meetings/<int:meeting_id>/invitations", methods=["POST"])
@access(MEETING)
@blueprint.arguments(InvitationInSchema)
@blueprint.response(201, InvitationSchema(many=True))
def invite(data, meeting_id):
    """Invite a person or a group. Returns the invitations made or changed; once the meeting is
    published, new people get their invite at once."""
    ids = services.invite_ids(_meeting(meeting_id), data)
    db.session.commit()
    # The commit expired them: read them again at once, not one statement each as they are dumped.
    return services.invitations_by_id(ids)


@blueprint.route("/meetings/<int:meeting_id>/invitations", methods=["GET"])
@access(MEETING)
@blueprint.response(200, InvitationSchema(many=True))
def list_invitations(meeting_id):
    """Everyone invited, with their answer and attendance."""
    return services.invitations_of(_meeting(meeting_id))


@blueprint.route("/meetings/<int:meeting_id>/invitations/<int:invitation_id>", methods=["PATCH"])
@access(MEETING)
@blueprint.arguments(InvitationPatchSchema)
@blueprint.response(200, InvitationSchema)
def update_invitation(data, meeting_id, invitation_id):
    """Change someone's role, site or mode."""
    meeting = _meeting(meeting_id)
    invitation = services.update_invitation(meeting, services.get_invitation(meeting, invitation_id), data)
    db.session.commit()
    return invitation


@blueprint.route("/meetings/<int:meeting_id>/invitations/<int:invitation_id>", methods=["DELETE"])
@access(MEETING)
@blueprint.response(204)
def remove_invitation(meeting_id, invitation_id):
    """Take someone off the list (they are sent a cancellation if they had an invite)."""
    meeting = _meeting(meeting_id)
    services.remove_invitation(meeting, services.get_invitation(meeting, invitation_id))
    db.session.commit()


@blueprint.route("/meetings/<int:meeting_id>.ics", methods=["GET"])
@access(MEETING, load=meeting_version_for)
@blueprint.response(200, content_type="text/calendar", description="An iCalendar file (METHOD:PUBLISH).")
def meeting_calendar(meeting_id):
    """The meeting as an iCalendar file (METHOD:PUBLISH), with the full agenda."""
    # Fetched by calendars again and again, whatever the size of the meeting: who may see it
    # and its content version are read in one small statement (by @access above), and the file
    # is built once per version and language (it shows no one's own part: no attendees) and kept.
    version = loaded()  # meeting_version_for
    body = pagecache.kept(("meeting.ics", meeting_id, *version, current_language()),
                          lambda: calendars.publish_calendar(get_meeting_for(current_api_caller(), meeting_id)))
    return HttpResponse(body, mimetype="text/calendar", headers={
        "Content-Disposition": f'attachment; filename="meeting-{meeting_id}.ics"'})


@blueprint.route("/replies", methods=["POST"])
@access(CALLER)
@limiter.limit(lambda: current_app.config["REPLY_LIMIT"], key_func=lambda: f"replies:{current_api_caller().id}")
@blueprint.response(200, ReplyResultSchema)
def calendar_reply():
    """Record a calendar client's METHOD:REPLY (body ``text/calendar``) for a meeting you manage.

    The answer counts when the UID and the attendee match an invitation and the reply is not
    older (SEQUENCE, then DTSTAMP) than what is recorded; older replies are ignored. Unlike a
    reply read from the organizer mailbox, there is no mail sender to check: the caller's token
    vouches for it, and only for meetings the caller manages.
    """
    body = request.get_data()
    if not body:
        raise InvalidInput("Send the iCalendar REPLY as the request body (text/calendar).", "body")
    result = replies.apply_reply(body, current_api_user())
    db.session.commit()
    return result


@blueprint.route("/meetings/<int:meeting_id>/replies/unapplied", methods=["GET"])
@access(MEETING)
@blueprint.response(200, UnappliedReplySchema(many=True))
def unapplied_replies(meeting_id):
    """Calendar replies from the organizer mailbox that were not applied (a sender who is not
    the attendee, an attendee not invited...), newest first."""
    return replies.unapplied_for(_meeting(meeting_id))


@blueprint.route("/meetings/<int:meeting_id>/links", methods=["GET"])
@access(MEETING)
@blueprint.response(200, IssuedLinksSchema(many=True))
def issued_links(meeting_id):
    """Every link the meeting has sent, by purpose and by person or site."""
    return links.issued_links(_meeting(meeting_id))


@blueprint.route("/meetings/<int:meeting_id>/links/revoke", methods=["POST"])
@access(MEETING)
@blueprint.arguments(RevokeLinksSchema)
@blueprint.response(200, RevokedLinksSchema)
def revoke_links(data, meeting_id):
    """Revoke every link of a purpose sent to one person or site: they open nothing from now."""
    count = links.revoke_for(_meeting(meeting_id), data["purpose"], invitation_id=data.get("invitation_id"),
                             site_id=data.get("site_id"))
    db.session.commit()
    return {"revoked": count}
