"""The one place for languages: which one a page or an email is in, and times in that language.

Pages follow the signed-in user's choice, then the browser's ``Accept-Language``, then
``DEFAULT_LANGUAGE``. Emails, invites and exports follow their recipient: render them inside
`in_language` with the person's language. Messages live in ``translations/`` (English is the
source text; ``zh_Hans`` is translated), extracted and compiled with ``pybabel`` (see the Makefile).
"""

from __future__ import annotations

import os
import re
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from babel import Locale
from babel.dates import format_date, format_datetime, format_time, get_timezone_name
from flask import Flask, current_app, g, has_app_context, has_request_context, request
from flask_babel import force_locale, get_locale, get_translations
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

from meetings.core.timezones import get_zone, is_valid_zone
from meetings.core.validation import LANGUAGES, normalize_language
from meetings.extensions import babel

#: How dates and times are written in each language (Babel locales). English uses the British
#: day-month order and 24-hour clock, as a group with offices in Europe and Asia reads it.
_FORMAT_LOCALES = {"zh_Hans": "zh_Hans_CN", "en": "en_GB"}

#: Zone names people say rather than CLDR's: in Chinese, China's time is 北京时间.
_ZONE_NAMES = {("zh_Hans", "Asia/Shanghai"): "北京时间", ("zh_Hans", "Asia/Chongqing"): "北京时间",
               ("zh_Hans", "Asia/Harbin"): "北京时间", ("zh_Hans", "PRC"): "北京时间"}


def select_locale() -> str:
    """The language of this request's pages: the page's ``?lang=``, the user's choice, the
    browser's, or the default."""
    from flask_login import current_user

    if has_request_context():
        # ``?lang=`` is the switch on pages behind links: they carry no cookie and nobody signs in
        # there, and their forms post back to the same address, so the choice stays on the page.
        asked = normalize_language(request.args.get("lang"))
        if asked:
            return asked
        # An API request's user is its token's (set once the token is checked), a page's the
        # signed-in one: either way, their own choice comes before their client's.
        # Without a cookie nobody is signed in: the pages behind links, opened by room systems
        # and people without accounts, skip looking for a user.
        # (The header: parsing ``request.cookies`` is work each link page would do for nothing.)
        user = g.get("api_caller") or (current_user if request.headers.get("Cookie") else None)
        chosen = getattr(user, "language", None) if user else None
        if chosen_language := normalize_language(chosen):
            return chosen_language
        header = request.headers.get("Accept-Language")
        if header:
            browser = (_kept_browser_language if len(header) <= _KEPT_HEADER_LENGTH else _browser_language)(header)
            if browser:
                return browser
    return current_app.config.get("DEFAULT_LANGUAGE", "en")


def _browser_language(header: str) -> str | None:
    """The first of our languages that an ``Accept-Language`` header offers, best quality first
    (Werkzeug's own parsing, as ``request.accept_languages``); None when it offers none."""
    for offered, _quality in parse_accept_header(header, LanguageAccept):
        language = normalize_language(offered)
        if language:
            return language
    return None


#: Browsers send a handful of distinct ``Accept-Language`` headers, the same on every page a
#: reader opens, and parsing one is a few percent of a page behind a link: each is parsed once
#: per process. The cache is bounded in entries and in what it keeps (a longer header, which no
#: browser sends, is parsed every time).
_kept_browser_language = lru_cache(maxsize=256)(_browser_language)
_KEPT_HEADER_LENGTH = 200


#: The language being rendered, once known: pages ask for it for every title, time and label
#: they write, and Flask-Babel's `get_locale` finds its context through several proxies each time.
#: Set for a request on first use (cleared when each request starts) and by `in_language`.
_rendering: ContextVar[str | None] = ContextVar("meetings_language", default=None)


#: Flask-Babel's translations per language, looked up once: its own lookup finds the request's
#: context and locale again for every string a template translates.
_catalogs: dict[str, object] = {}


def _catalog():
    """The translations of the language being rendered (Flask-Babel's own objects)."""
    language = current_language()
    catalog = _catalogs.get(language)
    if catalog is None:
        catalog = get_translations()
        if has_app_context():  # outside one, Flask-Babel answers with a stand-in: not kept
            _catalogs[language] = catalog
    return catalog


def current_language() -> str:
    """``zh_Hans`` or ``en``: the language being rendered now."""
    language = _rendering.get()
    if language is None:
        if has_request_context():
            # The selector Flask-Babel is given (`select_locale`), asked directly: its answer is
            # already one of ours, and Flask-Babel would build (and look up on disk) a Babel Locale
            # for it on every request, a sixth of a kept link page's time.
            language = select_locale()
            _rendering.set(language)
        else:
            locale = get_locale()
            language = "zh_Hans" if locale is not None and locale.language == "zh" else "en"
    return language


def language_args() -> dict[str, Any]:
    """This request's ``?lang=`` as ``url_for`` keywords, for the next link page's address: those
    pages keep no cookie, so a reader's switch travels in the URL (empty when there is none)."""
    asked = normalize_language(request.args.get("lang")) if has_request_context() else None
    return {"lang": asked} if asked else {}


def html_lang() -> str:
    """The language of the page as ``<html lang>`` names it (BCP 47): ``zh-Hans`` or ``en``."""
    return current_language().replace("_", "-")


def format_lang() -> str:
    """How the page writes dates and times, as a browser's ``Intl`` names it (BCP 47): ``en-GB``
    or ``zh-Hans-CN``, so that a time the browser writes reads like the times the server wrote."""
    return _FORMAT_LOCALES.get(current_language(), "en_GB").replace("_", "-")


@contextmanager
def in_language(language: str | None):
    """Render emails, invites and exports in ``language`` (a person's), whatever the request's."""
    language = normalize_language(language) or current_app.config.get("DEFAULT_LANGUAGE", "en")
    token = _rendering.set(language)
    try:
        with force_locale(language):
            yield language
    finally:
        _rendering.reset(token)


def localized(obj, field: str = "title", language: str | None = None) -> str:
    """``obj.title_zh`` for readers of Chinese when it is set, else ``obj.title`` (and the other
    way round when only the Chinese one is set)."""
    language = language or current_language()
    plain = getattr(obj, field, "") or ""
    chinese = getattr(obj, f"{field}_zh", "") or ""
    if language == "zh_Hans":
        return chinese or plain
    return plain or chinese


@lru_cache(maxsize=8)
def _format_locale(language: str) -> Locale:
    return Locale.parse(_FORMAT_LOCALES.get(language, "en_GB"))


def zone_name(value: datetime, zone: str, language: str | None = None) -> str:
    """The zone as people reading ``language`` name it at ``value``: 北京时间, CET, CEST, GMT+9."""
    language = language or current_language()
    if not is_valid_zone(zone):
        zone = "UTC"
    if (language, zone) in _ZONE_NAMES:
        return _ZONE_NAMES[(language, zone)]
    tz = get_zone(zone)
    locale = _format_locale(language)
    if language == "zh_Hans":
        return get_timezone_name(value.astimezone(tz), "long", locale=locale, zone_variant=None,
                                 return_zone=False)
    short = format_datetime(value, "z", tzinfo=tz, locale=locale)
    # CLDR has abbreviations only for the zones a locale commonly meets: for the others Babel
    # writes an offset (+0800 for Asia/Shanghai in en_GB) or a long name (Eastern Daylight Time),
    # and its "O" pattern writes "None". The offset from GMT (GMT+8, GMT+5:30) is short and
    # unambiguous for all of them.
    if short.startswith(("+", "-")) or " " in short or short == "None":
        offset = format_datetime(value, "ZZZZ", tzinfo=tz, locale=locale)
        return re.sub(r"([+-])0?(\d+)(?::00)?$", r"\1\2", offset)
    return short


def format_when(value: datetime | None, zone: str, language: str | None = None, *,
                with_zone: bool = True) -> str:
    """``value`` (aware, UTC) as a date and time in ``zone``, written for ``language``:
    ``2026年12月1日 09:00 (北京时间)`` or ``1 Dec 2026, 02:00 CET``."""
    if value is None:
        return ""
    language = language or current_language()
    if not is_valid_zone(zone):
        zone = "UTC"
    tz = get_zone(zone)
    locale = _format_locale(language)
    day = format_date(value.astimezone(tz), "long" if language == "zh_Hans" else "medium", locale=locale)
    clock = format_time(value, "HH:mm", tzinfo=tz, locale=locale)
    text = f"{day} {clock}" if language == "zh_Hans" else f"{day}, {clock}"
    if not with_zone:
        return text
    name = zone_name(value, zone, language)
    return f"{text} ({name})" if language == "zh_Hans" else f"{text} {name}"


def format_span(start: datetime | None, end: datetime | None, zone: str, language: str | None = None, *,
                with_zone: bool = True) -> str:
    """From ``start`` to ``end`` in ``zone``, the day written once when both fall on it:
    ``2026年12月1日 09:00–12:00 (北京时间)`` or ``1 Dec 2026, 09:00–12:00 CET``."""
    if start is None or end is None:
        return format_when(start or end, zone, language, with_zone=with_zone)
    language = language or current_language()
    zone = zone if is_valid_zone(zone) else "UTC"
    tz = get_zone(zone)
    same_day = start.astimezone(tz).date() == end.astimezone(tz).date()
    until = format_clock(end, zone, language) if same_day else format_when(end, zone, language, with_zone=False)
    text = f"{format_when(start, zone, language, with_zone=False)}–{until}"
    if not with_zone:
        return text
    name = zone_name(start, zone, language)
    return f"{text} ({name})" if language == "zh_Hans" else f"{text} {name}"


def format_clock(value: datetime | None, zone: str, language: str | None = None) -> str:
    """Only the time of day of ``value`` in ``zone`` (``09:00``)."""
    if value is None:
        return ""
    return format_time(value, "HH:mm", tzinfo=get_zone(zone if is_valid_zone(zone) else "UTC"),
                       locale=_format_locale(language or current_language()))


def init_app(app: Flask) -> None:
    """Bind Flask-Babel with the locale selector and offer the helpers to templates."""
    default = normalize_language(app.config.get("DEFAULT_LANGUAGE", "en"))
    if default is None:
        raise RuntimeError(f"DEFAULT_LANGUAGE must be one of {', '.join(LANGUAGES)}.")
    app.config["DEFAULT_LANGUAGE"] = default
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES",
                          os.path.join(os.path.dirname(app.root_path), "translations"))
    babel.init_app(app, locale_selector=select_locale, default_locale=default)
    # The same callables Flask-Babel installs, reading the catalog found once per language.
    # jinja2.ext.i18n (which Flask-Babel adds) sets this method on the Environment at run time;
    # Environment's own annotations cannot declare it.
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda string: _catalog().ugettext(string),
        ngettext=lambda singular, plural, n: _catalog().ungettext(singular, plural, n),
        pgettext=lambda context, string: _catalog().upgettext(context, string),
        npgettext=lambda context, singular, plural, n: _catalog().unpgettext(context, singular, plural, n),
        newstyle=True)

    @app.before_request
    def _forget_the_last_requests_language():
        # A worker thread serves one request after another in the same context.
        _rendering.set(None)
    app.jinja_env.globals.update(localized=localized, current_language=current_language,
                                 html_lang=html_lang, format_lang=format_lang, language_args=language_args, languages=LANGUAGES)
    app.jinja_env.filters["when"] = format_when
    app.jinja_env.filters["clock"] = format_clock
    app.jinja_env.filters["span"] = format_span
    app.jinja_env.filters["zone_name"] = zone_name
    # A heading that names the reader's zone without a time of its own (当前: 北京时间, not
    # Asia/Shanghai): named as it is now.
    app.jinja_env.globals["zone_name_now"] = lambda zone: zone_name(datetime.now(UTC), zone)
    from meetings.core.labels import label  # labels reads the language from here

    app.jinja_env.filters["label"] = label
