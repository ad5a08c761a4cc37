"""Sign-in pages."""

from __future__ import annotations

import unicodedata
from urllib.parse import unquote

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import refresh
from flask_login import current_user, login_user, logout_user

from meetings.accounts import services
from meetings.accounts.forms import ChangePasswordForm, ConfirmForm, LanguageForm, LoginForm
from meetings.core.access import ADMIN, CALLER, PUBLIC, access
from meetings.core.errors import DomainError
from meetings.core.forms import FORM_ERROR_STATUS, show_errors
from meetings.core.http import shows_secret
from meetings.core.inputs import parse_int
from meetings.extensions import db, limiter

blueprint = Blueprint("accounts", __name__)


def safe_next_url(target: str | None) -> str:
    """``target`` if it is a path inside this app, else the dashboard.

    Browsers read ``//host``, ``/\\host`` and ``https://host`` as other sites, and control
    characters can smuggle any of those in, so only a plain absolute path is let through. The
    same holds for the percent-decoded target (decoded again while it changes): a ``%0d%0a`` or
    ``%5c`` that some proxy or client decodes later must not turn the path into something else.
    """
    fallback = url_for("manage.dashboard")
    if not target:
        return fallback
    form = target
    for _attempt in range(_MAX_DECODINGS):
        if not _is_plain_path(form):
            return fallback
        decoded = unquote(form)
        if decoded == form:
            return target
        form = decoded
    return fallback


#: Targets still changing after this many percent-decodings are refused outright.
_MAX_DECODINGS = 4


def _is_plain_path(value: str) -> bool:
    # A value that starts with one slash has neither a scheme nor a host.
    if any(unicodedata.category(ch) == "Cc" or ch == "\\" for ch in value):
        return False
    return value.startswith("/") and not value.startswith("//")


def too_many_failures() -> str:
    """What a refused sign-in says, in the reader's language (Flask-Limiter calls it at the refusal)."""
    return _("Too many failed sign-ins: wait a few minutes before you try again.")


def _login_account() -> str:
    return "login:" + (request.form.get("email") or "").strip().lower()


def _failed(response) -> bool:
    return response.status_code == 401


@blueprint.route("/login", methods=["GET", "POST"])
@access(PUBLIC)
# Failed sign-ins are counted per account (password guessing on one person) and per address
# (guessing across many); a success costs nothing.
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"], key_func=_login_account,
               methods=["POST"], deduct_when=_failed, error_message=too_many_failures)
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"], methods=["POST"], deduct_when=_failed,
               error_message=too_many_failures)
def login():
    """Show the sign-in form; sign in on POST."""
    if current_user.is_authenticated:
        return redirect(safe_next_url(request.args.get("next")))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        user = services.authenticate(form.email.data or "", form.password.data or "")  # both required
        if user is None:
            error = _("Wrong email or password.")
        else:
            session.clear()  # a fresh session at login: nothing carried over from before
            login_user(user)
            return redirect(safe_next_url(request.args.get("next")))
    return render_template("accounts/login.html", form=form, error=error), 200 if error is None else 401


@blueprint.route("/logout", methods=["POST"])
@access(CALLER)
def logout():
    """Sign out, and make every copy of this session's cookie useless."""
    services.end_sessions(current_user._get_current_object())
    db.session.commit()
    logout_user()
    session.clear()
    return redirect(url_for("accounts.login"))


@blueprint.route("/account/password", methods=["GET", "POST"])
@access(CALLER)
def change_password():
    """Change one's password; other sessions end, this one continues."""
    form = ChangePasswordForm()
    status = 200
    if form.validate_on_submit():
        user = current_user._get_current_object()
        if services.authenticate(user.email, form.current_password.data or "") is None:
            form.current_password.errors = [_("That is not your current password.")]
            status = FORM_ERROR_STATUS
        elif form.new_password.data != form.repeat_password.data:
            form.repeat_password.errors = [_("The two new passwords differ.")]
            status = FORM_ERROR_STATUS
        else:
            try:
                services.set_password(user, form.new_password.data or "")
            except DomainError as error:
                show_errors(form, error, {"password": form.new_password.name})
                status = FORM_ERROR_STATUS
            else:
                db.session.commit()
                login_user(user)  # the session version changed: this session carries the new one
                flash(_("Your password is changed. Other sessions are signed out."), "success")
                return redirect(url_for("manage.dashboard"))
    return _account_page(form, status=status)


def _account_page(form: ChangePasswordForm, language_form: LanguageForm | None = None, status: int = 200):
    if language_form is None:
        language_form = LanguageForm(formdata=None, language=current_user.language or "")
    return render_template("accounts/password.html", form=form, language_form=language_form), status


@blueprint.route("/account/language", methods=["POST"])
@access(CALLER)
def change_language():
    """Choose the language of one's pages (or follow the browser's)."""
    language_form = LanguageForm()
    if language_form.validate_on_submit():
        try:
            services.set_language(current_user._get_current_object(), language_form.language.data)
        except DomainError as error:
            db.session.rollback()
            show_errors(language_form, error)
        else:
            db.session.commit()
            # Said in the new language: the locale is chosen anew for this message.
            refresh()
            flash(_("The language of your pages is saved."), "success")
            return redirect(url_for("accounts.change_password"))
    return _account_page(ChangePasswordForm(formdata=None), language_form, FORM_ERROR_STATUS)


@blueprint.route("/account/tokens", methods=["GET", "POST"])
@access(CALLER)
@shows_secret
def tokens():
    """One's API tokens: issue one (its secret is shown once), revoke one."""
    user = current_user._get_current_object()
    form = ConfirmForm()
    issued = None
    if form.validate_on_submit():
        if request.form.get("revoke"):
            try:
                services.revoke_api_token(user, parse_int(request.form["revoke"], "revoke"))
                db.session.commit()
                flash(_("The token is revoked: it opens nothing any more."), "success")
            except DomainError:
                db.session.rollback()
                flash(_("No such token."), "error")
            return redirect(url_for("accounts.tokens"))
        issued = services.issue_api_token(user.email, (request.form.get("name") or "")[:100])
        db.session.commit()
    return render_template("accounts/tokens.html", tokens=services.tokens_of(user), issued=issued, form=form)


@blueprint.route("/admin/audit")
@access(ADMIN)
def audit_page():
    """The audit log (admins only)."""
    from meetings.accounts import audit

    before = request.args.get("before", type=int)
    events = audit.events(action=request.args.get("action") or None,
                          meeting_id=request.args.get("meeting", type=int), before_id=before, limit=100)
    return render_template("accounts/audit.html", events=events, action=request.args.get("action", ""))
