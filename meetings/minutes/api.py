"""Minutes API: ``/api/meetings/{id}/minutes`` (content, submit, approve, publish), the actions
across meetings (``/api/actions``), copying a meeting and its series.

Access: every handler needs an API token (`protect_api_blueprint`) and declares who may call it
(`meetings.core.access`): a ``MEETING`` handler's meeting is loaded with `get_meeting_for` (404
unless the caller manages it) and an action's with `get_action_for` (the same rule through its
meeting). Approving is further the approver's alone (403), naming the
approver the owner's (403). Each handler: load, check, call one service, commit, answer.
"""

from __future__ import annotations

from flask_smorest import Blueprint

from meetings.accounts.auth import current_api_user, protect_api_blueprint
from meetings.core.access import APPROVER, CALLER, MEETING, access, loaded
from meetings.extensions import db
from meetings.minutes import actions, copying, services
from meetings.minutes.schemas import (
    ActionPatchSchema,
    ActionQuerySchema,
    ActionSchema,
    ApproverSchema,
    CopySchema,
    MinutesInSchema,
    MinutesSchema,
    PublishSchema,
    ReopenSchema,
    SeriesSchema,
)
from meetings.scheduling.schemas import MeetingSchema

blueprint = Blueprint("minutes", __name__, url_prefix="/api",
                      description="Minutes, decisions, action items and their follow-up; copying a meeting.")
protect_api_blueprint(blueprint)


def _minutes(meeting_id: int):
    return services.minutes_of(loaded(meeting_id))  # loaded by @access(MEETING) or (APPROVER)


def _by(user) -> str:
    return user.email


@blueprint.route("/meetings/<int:meeting_id>/minutes", methods=["GET"])
@access(MEETING)
@blueprint.response(200, MinutesSchema)
def get_minutes(meeting_id):
    """The minutes (an empty draft until someone writes them)."""
    meeting = loaded(meeting_id)
    return services.minutes_of(meeting, create=False) or services.blank(meeting)


@blueprint.route("/meetings/<int:meeting_id>/minutes", methods=["PUT"])
@access(MEETING)
@blueprint.arguments(MinutesInSchema)
@blueprint.response(200, MinutesSchema)
@blueprint.alt_response(409, description="Not a draft: published minutes are never edited in place (reopen them).")
def put_minutes(data, meeting_id):
    """Replace the draft's notes, decisions and actions."""
    minutes = services.save_content(_minutes(meeting_id), data, author=_by(current_api_user()))
    db.session.commit()
    return minutes


@blueprint.route("/meetings/<int:meeting_id>/minutes/approver", methods=["PUT"])
@access(MEETING)
@blueprint.arguments(ApproverSchema)
@blueprint.response(200, MinutesSchema)
def set_approver(data, meeting_id):
    """Name who approves (the meeting's owner only): ``owner``, ``chair`` or an organizer's email."""
    minutes = services.set_approver(_minutes(meeting_id), data["approver"], user=current_api_user())
    db.session.commit()
    return minutes


@blueprint.route("/meetings/<int:meeting_id>/minutes/submit", methods=["POST"])
@access(MEETING)
@blueprint.response(200, MinutesSchema)
def submit_minutes(meeting_id):
    """Submit the draft for approval (a chair who approves is emailed a link)."""
    minutes = services.submit(_minutes(meeting_id))
    db.session.commit()
    return minutes


@blueprint.route("/meetings/<int:meeting_id>/minutes/approve", methods=["POST"])
@access(APPROVER)
@blueprint.response(200, MinutesSchema)
def approve_minutes(meeting_id):
    """Approve the submitted minutes: the approver only."""
    user = current_api_user()
    minutes = services.approve(_minutes(meeting_id), user=user, by=_by(user))
    db.session.commit()
    return minutes


@blueprint.route("/meetings/<int:meeting_id>/minutes/reopen", methods=["POST"])
@access(MEETING)
@blueprint.arguments(ReopenSchema)
@blueprint.response(200, MinutesSchema)
def reopen_minutes(data, meeting_id):
    """Back to draft, to edit or to correct (a correction of published minutes is a new version)."""
    minutes = services.reopen(_minutes(meeting_id), data.get("reason", ""))
    db.session.commit()
    return minutes


@blueprint.route("/meetings/<int:meeting_id>/minutes/publish", methods=["POST"])
@access(MEETING)
@blueprint.arguments(PublishSchema)
@blueprint.response(200, MinutesSchema)
def publish_minutes(data, meeting_id):
    """Publish the approved minutes as a new version, emailed to the audience."""
    minutes = _minutes(meeting_id)
    services.publish(minutes, data, by=_by(current_api_user()))
    db.session.commit()
    return minutes


@blueprint.route("/actions", methods=["GET"])
@access(CALLER)
@blueprint.arguments(ActionQuerySchema, location="query")
@blueprint.response(200, ActionSchema(many=True))
def list_actions(query):
    """Published action items of your meetings, by due date: ``status=open`` (not closed),
    ``owner`` (email), ``unit``, ``meeting``, ``overdue=1``."""
    return actions.list_actions(current_api_user(), {**query, "published_only": True})


@blueprint.route("/actions/<int:action_id>", methods=["PATCH"])
@access(MEETING)
@blueprint.arguments(ActionPatchSchema)
@blueprint.response(200, ActionSchema)
def patch_action(data, action_id):
    """Confirm done, reopen or drop (``status``), log ``progress``, move ``due``, decide an ``extension``."""
    user = current_api_user()
    action = actions.update(loaded(action_id), data, author=_by(user))
    db.session.commit()
    return action


@blueprint.route("/meetings/<int:meeting_id>/copy", methods=["POST"])
@access(MEETING)
@blueprint.arguments(CopySchema)
@blueprint.response(201, MeetingSchema)
def copy_meeting(data, meeting_id):
    """The next meeting from this one: a new draft on a new date (with its open actions to review)."""
    user = current_api_user()
    meeting = copying.copy_meeting(loaded(meeting_id), data, owner=user)
    db.session.commit()
    return meeting


@blueprint.route("/meetings/<int:meeting_id>/series", methods=["GET"])
@access(MEETING)
@blueprint.response(200, SeriesSchema)
def get_series(meeting_id):
    """The series the meeting belongs to: its meetings and their open actions (404 if never copied)."""
    from flask_babel import gettext as _

    from meetings.core.errors import NotFound

    user = current_api_user()
    series = copying.series_of(loaded(meeting_id), user)
    if series is None:
        raise NotFound(_("This meeting was never copied nor copied from another."))
    return series
