"""Account API: one's API tokens (list, issue, revoke) and, for admins, the audit log."""

from __future__ import annotations

from flask import request
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from meetings.accounts import audit, services
from meetings.accounts.auth import current_api_user, protect_api_blueprint
from meetings.core.access import ADMIN, CALLER, OWN, access
from meetings.core.http import shows_secret
from meetings.core.schemas import Count, Id
from meetings.extensions import db

blueprint = Blueprint("account_api", __name__, url_prefix="/api", description="API tokens and the audit log.")
protect_api_blueprint(blueprint)


class TokenSchema(Schema):
    """An API token (never the token itself, which is shown once when issued)."""

    id = fields.Integer()
    name = fields.String()
    owner = fields.Function(lambda token: token.user.email)
    created_at = fields.DateTime()
    last_used_at = fields.DateTime(allow_none=True)
    revoked_at = fields.DateTime(allow_none=True)


class NewTokenSchema(Schema):
    """A token to issue."""

    name = fields.String(load_default="", metadata={"description": "What it is for."})


class IssuedTokenSchema(Schema):
    """A new token, with its secret shown this once."""

    id = fields.Integer()
    name = fields.String()
    owner = fields.String()
    created_at = fields.DateTime()
    token = fields.String()


class AuditEventSchema(Schema):
    """One audit log entry."""

    id = fields.Integer()
    at = fields.DateTime()
    actor = fields.String()
    action = fields.String()
    meeting_id = fields.Integer(allow_none=True)
    details = fields.Dict()
    request_id = fields.String(allow_none=True)


class AuditQuerySchema(Schema):
    """Filters of the audit log."""

    meeting_id = Id(strict=False)
    action = fields.String(metadata={"description": "A prefix, e.g. meeting. or invitation.removed"})
    before_id = Id(strict=False, metadata={"description": "For paging: events older than this one."})
    limit = Count(1, 1000, strict=False, load_default=200)


@blueprint.route("/tokens", methods=["GET"])
@access(CALLER)
@blueprint.response(200, TokenSchema(many=True))
def list_tokens():
    """Your API tokens; an admin with ``?all=1`` sees everyone's."""
    return services.tokens_of(current_api_user(), everyone=request.args.get("all") in ("1", "true"))


@blueprint.route("/tokens", methods=["POST"])
@access(CALLER)
@shows_secret
@blueprint.arguments(NewTokenSchema)
@blueprint.response(201, IssuedTokenSchema)
def issue_token(data):
    """A new token for you; its secret is in this answer only."""
    user = current_api_user()
    raw = services.issue_api_token(user.email, data.get("name", ""))
    db.session.commit()
    token = services.tokens_of(user)[0]
    return {"id": token.id, "name": token.name, "owner": user.email, "created_at": token.created_at, "token": raw}


@blueprint.route("/tokens/<int:token_id>", methods=["DELETE"])
@access(OWN)
@blueprint.response(204)
def revoke_token(token_id):
    """Revoke a token at once (yours, or anyone's for an admin)."""
    services.revoke_api_token(current_api_user(), token_id)
    db.session.commit()


@blueprint.route("/audit", methods=["GET"])
@access(ADMIN)
@blueprint.arguments(AuditQuerySchema, location="query")
@blueprint.response(200, AuditEventSchema(many=True))
def audit_log(query):
    """Who changed, published, cancelled or exported what, newest first (admins only)."""
    return audit.events(meeting_id=query.get("meeting_id"), action=query.get("action"),
                        before_id=query.get("before_id"), limit=query.get("limit", 200))
