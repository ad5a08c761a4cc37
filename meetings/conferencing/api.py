"""Site links API: ``/api/meetings/{id}/sites/{site_id}/link`` and ``.../rotate-link``.

For the organizer's page: the meeting is loaded by ``@access(MEETING)`` (`meetings.core.access`;
404 unless the caller manages it); load the site, call one service, commit, answer with the URL.
"""

from __future__ import annotations

from flask_smorest import Blueprint
from marshmallow import Schema, fields

from meetings.accounts.auth import protect_api_blueprint
from meetings.conferencing import services
from meetings.core.access import MEETING, access, loaded
from meetings.core.http import shows_secret
from meetings.extensions import db
from meetings.scheduling.sites import get_site

blueprint = Blueprint("conferencing_api", __name__, url_prefix="/api/meetings",
                      description="Join links of the sites.")
protect_api_blueprint(blueprint)


class LinkSchema(Schema):
    """A capability link: keep it secret, it opens the site's join page and roll call."""

    url = fields.String(metadata={"format": "uri"})


@blueprint.route("/<int:meeting_id>/sites/<int:site_id>/link", methods=["POST"])
@access(MEETING)
@shows_secret
@blueprint.response(200, LinkSchema)
def site_link(meeting_id, site_id):
    """A working link to the site's join page. Only hashes are kept, so each call makes a new
    link; the earlier ones keep working until the link is rotated."""
    site = get_site(loaded(meeting_id), site_id)
    url = services.site_link(site)
    db.session.commit()
    return {"url": url}


@blueprint.route("/<int:meeting_id>/sites/<int:site_id>/rotate-link", methods=["POST"])
@access(MEETING)
@shows_secret
@blueprint.response(200, LinkSchema)
def rotate_site_link(meeting_id, site_id):
    """Replace the site's links: every earlier one stops working, the site's host is sent the
    new one by email, and the answer carries one too."""
    site = get_site(loaded(meeting_id), site_id)
    url = services.rotate_site_link(site)
    db.session.commit()
    return {"url": url}
