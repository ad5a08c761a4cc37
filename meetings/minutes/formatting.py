"""The simple formatting notes may use, rendered to safe HTML: paragraphs by blank lines, lines
starting with "- " as a list, **bold**. Everything else is escaped."""

from __future__ import annotations

import re

from markupsafe import Markup, escape

_BOLD = re.compile(r"\*\*(.+?)\*\*")


def _inline(line: str) -> str:
    return _BOLD.sub(lambda m: f"<strong>{m.group(1)}</strong>", str(escape(line)))


def to_html(text: str) -> Markup:
    """``text`` as HTML (escaped first, so only our own tags are in it)."""
    out: list[str] = []
    in_list = False
    paragraph: list[str] = []

    def close_paragraph():
        if paragraph:
            out.append("<p>" + "<br>".join(paragraph) + "</p>")
            paragraph.clear()

    for line in (text or "").split("\n"):
        stripped = line.strip()
        if stripped.startswith("- "):
            close_paragraph()
            if not in_list:
                out.append("<ul>")
                in_list = True
            out.append(f"<li>{_inline(stripped[2:])}</li>")
            continue
        if in_list:
            out.append("</ul>")
            in_list = False
        if not stripped:
            close_paragraph()
        else:
            paragraph.append(_inline(stripped))
    close_paragraph()
    if in_list:
        out.append("</ul>")
    # Safe: every piece of the user's text above went through escape(); the tags are our own.
    return Markup("\n".join(out))  # nosec B704


def localized_entry(entry: dict | None, field: str = "title") -> str:
    """`meetings.core.i18n.localized` for an entry of a stored version (a dict, not a model)."""
    from types import SimpleNamespace

    from meetings.core.i18n import localized

    if not entry:
        return ""
    return localized(SimpleNamespace(**{field: entry.get(field, ""), f"{field}_zh": entry.get(f"{field}_zh", "")}),
                     field)
