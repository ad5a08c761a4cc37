"""Meetings API: ``/api/meetings`` with their sites and agenda.

Each handler declares who may call it (`meetings.core.access`); a meeting's is loaded by its
``@access(MEETING)`` (404 when missing or not the caller's). The handler calls one service,
commits, answers.
"""

from __future__ import annotations

from flask_smorest import Blueprint

from meetings.accounts.auth import (
    current_api_caller,
    current_api_user,
    protect_api_blueprint,
)
from meetings.core import pagecache
from meetings.core.access import CALLER, MEETING, access, loaded
from meetings.core.db import utcnow
from meetings.extensions import db
from meetings.scheduling import agenda, services, sites
from meetings.scheduling.schemas import (
    AgendaItemInSchema,
    AgendaItemPatchSchema,
    AgendaItemSchema,
    MeetingInSchema,
    MeetingPatchSchema,
    MeetingQuerySchema,
    MeetingSchema,
    SiteInSchema,
    SitePatchSchema,
    SiteSchema,
)

blueprint = Blueprint("meetings", __name__, url_prefix="/api/meetings",
                      description="Meetings, their sites and their agenda.")
protect_api_blueprint(blueprint)


def _meeting(meeting_id: int):
    return loaded(meeting_id)  # loaded by @access(MEETING)


@blueprint.route("", methods=["POST"])
@access(CALLER)
@blueprint.arguments(MeetingInSchema)
@blueprint.response(201, MeetingSchema)
def create_meeting(data):
    """Create a draft meeting."""
    meeting = services.create_meeting(data, current_api_user())
    db.session.commit()
    return meeting


@blueprint.route("", methods=["GET"])
@access(CALLER)
@blueprint.arguments(MeetingQuerySchema, location="query")
@blueprint.response(200, MeetingSchema(many=True))
def list_meetings(query):
    """The meetings you may see, soonest first."""
    return services.list_meetings(current_api_caller(), status=query.get("status"),
                                  since=utcnow() if query.get("upcoming") else None)


@blueprint.route("/<int:meeting_id>", methods=["GET"])
@access(MEETING, load=services.meeting_version_for)
@blueprint.response(200, MeetingSchema, headers={"ETag": {"schema": {"type": "string"}}})
@blueprint.alt_response(304, description="Not Modified: nothing changed since the ETag sent in If-None-Match.")
def get_meeting(meeting_id):
    """One meeting. Send its ``ETag`` back in ``If-None-Match`` to get a 304 while it is unchanged."""
    # Polled by room systems and calendars: who may see the meeting and its version are read in
    # one small statement, and the JSON is kept per version.
    caller = current_api_caller()
    version = loaded()  # services.meeting_version_for, by @access above

    def dump():
        return MeetingSchema().dump(services.read_meeting_for(caller, meeting_id))

    return pagecache.json_answer("meetings.get_meeting", version, dump)


@blueprint.route("/<int:meeting_id>", methods=["PATCH"])
@access(MEETING)
@blueprint.arguments(MeetingPatchSchema)
@blueprint.response(200, MeetingSchema)
def update_meeting(data, meeting_id):
    """Change a meeting. Moving it moves its agenda; once published, participants are told."""
    meeting = _meeting(meeting_id)
    services.update_meeting(meeting, data)
    db.session.commit()
    return meeting


@blueprint.route("/<int:meeting_id>", methods=["DELETE"])
@access(MEETING)
@blueprint.response(204)
def delete_meeting(meeting_id):
    """Delete a draft meeting (a published one must be cancelled instead)."""
    services.delete_meeting(_meeting(meeting_id))
    db.session.commit()


@blueprint.route("/<int:meeting_id>/publish", methods=["POST"])
@access(MEETING)
@blueprint.response(200, MeetingSchema)
def publish_meeting(meeting_id):
    """Publish the meeting: invites go out; later changes send updates. Publishing again does nothing."""
    meeting = _meeting(meeting_id)
    services.publish_meeting(meeting)
    db.session.commit()
    return meeting


@blueprint.route("/<int:meeting_id>/cancel", methods=["POST"])
@access(MEETING)
@blueprint.response(200, MeetingSchema)
def cancel_meeting(meeting_id):
    """Cancel the meeting: everyone invited is told."""
    meeting = _meeting(meeting_id)
    services.cancel_meeting(meeting)
    db.session.commit()
    return meeting


# --- sites --------------------------------------------------------------------------------------

@blueprint.route("/<int:meeting_id>/sites", methods=["POST"])
@access(MEETING)
@blueprint.arguments(SiteInSchema)
@blueprint.response(201, SiteSchema)
def add_site(data, meeting_id):
    """Add the main venue or a remote site."""
    site = sites.add_site(_meeting(meeting_id), data)
    db.session.commit()
    return site


@blueprint.route("/<int:meeting_id>/sites", methods=["GET"])
@access(MEETING)
@blueprint.response(200, SiteSchema(many=True))
def list_sites(meeting_id):
    """The sites, main venue first."""
    return _meeting(meeting_id).sites


@blueprint.route("/<int:meeting_id>/sites/<int:site_id>", methods=["PATCH"])
@access(MEETING)
@blueprint.arguments(SitePatchSchema)
@blueprint.response(200, SiteSchema)
def update_site(data, meeting_id, site_id):
    """Change a site."""
    meeting = _meeting(meeting_id)
    site = sites.update_site(meeting, sites.get_site(meeting, site_id), data)
    db.session.commit()
    return site


@blueprint.route("/<int:meeting_id>/sites/<int:site_id>", methods=["DELETE"])
@access(MEETING)
@blueprint.response(204)
def remove_site(meeting_id, site_id):
    """Remove a site."""
    meeting = _meeting(meeting_id)
    sites.remove_site(meeting, sites.get_site(meeting, site_id))
    db.session.commit()


# --- agenda -------------------------------------------------------------------------------------

@blueprint.route("/<int:meeting_id>/agenda", methods=["POST"])
@access(MEETING)
@blueprint.arguments(AgendaItemInSchema)
@blueprint.response(201, AgendaItemSchema)
def add_agenda_item(data, meeting_id):
    """Add an agenda item, with its speaker slots."""
    item = agenda.add_item(_meeting(meeting_id), data)
    db.session.commit()
    return item


@blueprint.route("/<int:meeting_id>/agenda", methods=["GET"])
@access(MEETING)
@blueprint.response(200, AgendaItemSchema(many=True))
def list_agenda(meeting_id):
    """The agenda, by time."""
    return _meeting(meeting_id).agenda_items


@blueprint.route("/<int:meeting_id>/agenda/<int:item_id>", methods=["PATCH"])
@access(MEETING)
@blueprint.arguments(AgendaItemPatchSchema)
@blueprint.response(200, AgendaItemSchema)
def update_agenda_item(data, meeting_id, item_id):
    """Change an agenda item; ``speakers`` replaces the slots."""
    meeting = _meeting(meeting_id)
    item = agenda.update_item(meeting, agenda.get_item(meeting, item_id), data)
    db.session.commit()
    return item


@blueprint.route("/<int:meeting_id>/agenda/<int:item_id>", methods=["DELETE"])
@access(MEETING)
@blueprint.response(204)
def remove_agenda_item(meeting_id, item_id):
    """Remove an agenda item."""
    meeting = _meeting(meeting_id)
    agenda.remove_item(meeting, agenda.get_item(meeting, item_id))
    db.session.commit()
