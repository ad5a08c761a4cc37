"""Sign-in pages."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from meetings.accounts import services
from meetings.accounts.forms import LoginForm
from meetings.extensions import db

blueprint = Blueprint("accounts", __name__)


def safe_next_url(target: str | None) -> str:
    """``target`` if it is a path inside this app, else the dashboard.

    Browsers read ``//host``, ``/\\host`` and ``https://host`` as other sites, and control
    characters can smuggle any of those in, so only a plain absolute path is let through.
    """
    fallback = url_for("scheduling.dashboard")
    if not target or any(ord(ch) < 0x20 or ch == "\\" for ch in target):
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return fallback
    return target


@blueprint.route("/login", methods=["GET", "POST"])
def login():
    """Show the sign-in form; sign in on POST."""
    if current_user.is_authenticated:
        return redirect(safe_next_url(request.args.get("next")))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is None:
            error = "Wrong email or password."
        else:
            session.clear()  # a fresh session at login: nothing carried over from before
            login_user(user)
            return redirect(safe_next_url(request.args.get("next")))
    return render_template("accounts/login.html", form=form, error=error), 200 if error is None else 401


@blueprint.route("/logout", methods=["POST"])
@login_required
def logout():
    """Sign out, and make every copy of this session's cookie useless."""
    services.end_sessions(current_user._get_current_object())
    db.session.commit()
    logout_user()
    session.clear()
    return redirect(url_for("accounts.login"))
