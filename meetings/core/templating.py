"""Template helpers every page and email uses: times shown in a zone."""

from __future__ import annotations

from datetime import datetime

from flask import Flask

from meetings.core.timezones import is_valid_zone, localize


def localtime(value: datetime | None, zone: str, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """``value`` as a wall time in ``zone``."""
    if value is None:
        return ""
    if not is_valid_zone(zone):
        zone = "UTC"
    return localize(value, zone).strftime(fmt)


def utc_offset(value: datetime, zone: str) -> str:
    """The zone's offset from UTC at ``value``, e.g. ``UTC+01:00`` (``UTC`` for UTC itself): the
    detail after a time that already names its zone in the reader's words
    (`meetings.core.i18n.format_span`), never the zone's abbreviation again (Shanghai's "CST"
    reads as US Central)."""
    offset = localize(value, zone if is_valid_zone(zone) else "UTC").strftime("%z")
    return "UTC" if offset == "+0000" else f"UTC{offset[:3]}:{offset[3:]}"


def combine_attrs(attrs: dict, errors) -> dict:
    """Field attributes plus ``aria-invalid`` when the field has errors."""
    return {**attrs, "aria-invalid": "true"} if errors else attrs


def init_app(app: Flask) -> None:
    """Register the helpers as Jinja filters."""
    app.jinja_env.filters["localtime"] = localtime
    app.jinja_env.filters["utc_offset"] = utc_offset
    app.jinja_env.filters["combine_attrs"] = combine_attrs
    app.jinja_env.filters["merge"] = lambda first, second: {**first, **second}
