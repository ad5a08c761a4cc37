"""Account actions: create users, check passwords, issue and resolve API tokens.

Services change state and never commit; the request or the command does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from werkzeug.security import check_password_hash, generate_password_hash

from meetings.accounts import audit, passwords
from meetings.accounts.models import ApiToken, User, UserRole
from meetings.core.database import request_reads
from meetings.core.db import utcnow
from meetings.core.emails import comparable_email
from meetings.core.errors import Conflict, InvalidInput, NotFound
from meetings.core.tokens import hash_token, new_token, plausible_token
from meetings.core.validation import clean_email, clean_language, clean_text
from meetings.extensions import db


def normalize_email(email: str) -> str:
    """The form of an email address that comparisons use."""
    return comparable_email(email)


def get_user_by_email(email: str) -> User | None:
    """The user with ``email`` (any case), or None."""
    return db.session.scalar(sa.select(User).where(User.email == normalize_email(email)))


def create_user(email: str, role: str, password: str, name: str = "", language: str | None = None) -> User:
    """A new user; `Conflict` when the email is taken, `InvalidInput` for a bad email, role or password.

    The email must be a plain ``local@domain`` address: it names the user in mail headers and
    calendar invites, where a display name or a line break would be read as more than an address.
    ``language`` (``zh_Hans`` or ``en``) fixes the language of their pages; None follows the browser.
    """
    email = clean_email(email, "email")
    name = clean_text(name, "name")
    try:
        role = UserRole(role)
    except ValueError:
        raise InvalidInput("The role must be admin or organizer.", "role") from None
    passwords.check_password(password, email)
    if get_user_by_email(email) is not None:
        raise Conflict(f"A user with the email {email} already exists.", "email")
    user = User(email=email, role=role, name=name or email.split("@")[0],
                password_hash=generate_password_hash(password),
                language=clean_language(language) if language else None)
    db.session.add(user)
    db.session.flush()
    return user


def set_password(user: User, password: str) -> None:
    """Change ``user``'s password (`passwords.check_password`) and end their other sessions."""
    passwords.check_password(password, user.email)
    user.password_hash = generate_password_hash(password)
    user.session_version += 1


def set_language(user: User, language: str | None) -> None:
    """The language of ``user``'s pages: ``zh_Hans`` or ``en``; empty or None follows the browser."""
    user.language = clean_language(language) if language else None


def authenticate(email: str, password: str) -> User | None:
    """The active user with these credentials, or None."""
    user = get_user_by_email(email)
    if user is None or not user.active:
        # Same work as a real check, so timing does not tell which emails exist.
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    return user if check_password_hash(user.password_hash, password or "") else None


_DUMMY_HASH = generate_password_hash("not a real password")


def issue_api_token(email: str, name: str = "") -> str:
    """A new API token for the user with ``email``; the raw token is returned once, never stored."""
    user = get_user_by_email(email)
    if user is None:
        raise NotFound(f"No user with the email {normalize_email(email)}.", "email")
    name = clean_text(name, "name", max_length=100)
    raw, digest = new_token()
    token = ApiToken(user=user, token_hash=digest, name=name)
    db.session.add(token)
    db.session.flush()
    audit.record("token.issued", token_id=token.id, owner=user.email, name=name)
    return raw


def tokens_of(user: User, *, everyone: bool = False) -> list[ApiToken]:
    """``user``'s API tokens (an admin may ask for everyone's), newest first."""
    query = sa.select(ApiToken).order_by(ApiToken.id.desc())
    if not (everyone and user.is_admin):
        query = query.where(ApiToken.user_id == user.id)
    return list(db.session.scalars(query))


def revoke_api_token(user: User, token_id: int) -> ApiToken:
    """Revoke a token of ``user``'s (an admin may revoke anyone's); `NotFound` otherwise."""
    token = db.session.get(ApiToken, token_id)
    if token is None or (token.user_id != user.id and not user.is_admin):
        raise NotFound(f"No API token with id {token_id}.")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        db.session.flush()
        audit.record("token.revoked", token_id=token.id, owner=token.user.email)
    return token


# Built once: every API request runs it, and building a statement costs more than running it.
_USER_FOR_TOKEN = (
    sa.select(User, ApiToken)
    .join(ApiToken, ApiToken.user_id == User.id)
    .where(ApiToken.token_hash == sa.bindparam("token_hash"), ApiToken.revoked_at.is_(None),
           User.active.is_(True))
)


def user_for_api_token(raw: str) -> tuple[User, ApiToken] | None:
    """The active user a bearer token belongs to, and the token; None for anything else."""
    if not plausible_token(raw):
        return None
    row = db.session.execute(_USER_FOR_TOKEN, {"token_hash": hash_token(raw)}).first()
    return (row[0], row[1]) if row else None


@dataclass(frozen=True)
class ApiCaller:
    """Whom an API request comes from, as its token says: enough to decide what they may see
    (`meetings.scheduling.services.visible_meetings` reads ``id`` and ``is_admin``) without
    loading the user; `meetings.accounts.auth.current_api_user` loads them when needed."""

    id: int
    is_admin: bool
    token_id: int
    last_used_at: datetime | None
    #: The user's language (None: follow the client's Accept-Language), for `meetings.core.i18n`.
    language: str | None = None


#: The caller of the token whose hash is bound as ``token_hash``: an active user, an unrevoked token.
#: Its columns are labelled (`caller_from_row`); a statement that reads more along with the
#: caller extends it with outer joins (`meetings.core.access.ReadWithCaller`).
CALLER_FOR_TOKEN = (
    sa.select(User.id.label("user_id"), User.role, ApiToken.id.label("token_id"), ApiToken.last_used_at,
              User.language)
    .join(ApiToken, ApiToken.user_id == User.id)
    .where(ApiToken.token_hash == sa.bindparam("token_hash"), ApiToken.revoked_at.is_(None),
           User.active.is_(True))
)


def api_caller_for_token(raw: str) -> ApiCaller | None:
    """Whom a bearer token belongs to (an active user, an unrevoked token); None for anything
    else. One plain statement, no ORM objects: every API request runs it."""
    if not plausible_token(raw):
        return None
    return caller_and_row(raw, CALLER_FOR_TOKEN, {})[0]


def caller_and_row(raw: str, statement: sa.Select, params: dict) -> tuple[ApiCaller | None, sa.Row | None]:
    """The caller of bearer token ``raw`` and the row of ``statement`` (`CALLER_FOR_TOKEN`, or
    it extended), ``params`` bound besides the token's hash; (None, None) for a token that is
    no one's."""
    if not plausible_token(raw):
        return None, None
    row = request_reads(db.engine).execute(statement, {**params, "token_hash": hash_token(raw)}).first()
    return (caller_from_row(row), row) if row is not None else (None, None)


def caller_from_row(row) -> ApiCaller:
    """The `ApiCaller` of a row of `CALLER_FOR_TOKEN` (or a statement that extends it)."""
    return ApiCaller(row.user_id, row.role == UserRole.ADMIN, row.token_id, row.last_used_at, row.language)


def token_needs_touch(token: ApiToken | ApiCaller) -> bool:
    """Whether ``token.last_used_at`` is stale enough to be worth a write."""
    return token.last_used_at is None or utcnow() - token.last_used_at > timedelta(minutes=1)


def touch_api_token(token_id: int) -> None:
    """Record that a token was used just now."""
    db.session.execute(sa.update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=utcnow()))


def load_session_user(session_id: str) -> User | None:
    """The user a session names, if the session is still current (see `User.get_id`)."""
    user_id, _, version = (session_id or "").partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or user.session_version != int(version):
        return None
    return user


def end_sessions(user: User) -> None:
    """Make every session cookie of ``user`` stop working (logout)."""
    user.session_version += 1
