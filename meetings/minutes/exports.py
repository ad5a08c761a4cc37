"""Files the minutes make: the action list as XLSX (XlsxWriter, formulas off, as the attendance
export) and the minutes as DOCX (minimal OOXML written with the standard library's zipfile: one
document part, no template, no new dependency)."""

from __future__ import annotations

import io
import zipfile

import xlsxwriter
from flask_babel import gettext as _
from flask_babel import pgettext

from meetings.attendance.exports import XLSX_OPTIONS
from meetings.core.i18n import localized
from meetings.minutes.actions import is_overdue
from meetings.minutes.formatting import localized_entry
from meetings.minutes.models import ActionItem


def actions_xlsx(actions: list[ActionItem], words: dict) -> bytes:
    """The actions, one row each, in the reader's language (``words``: status labels)."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {**XLSX_OPTIONS, "constant_memory": False, "in_memory": True})
    sheet = workbook.add_worksheet(pgettext("minutes", "Actions"))
    bold = workbook.add_format({"bold": True})
    headers = [_("Meeting"), pgettext("minutes", "Action"), _("Owner"), _("Owner's email"), _("Owning unit"), _("Unit concerned"),
               _("Due"), _("Status"), _("Overdue"), _("Progress")]
    sheet.write_row(0, 0, headers, bold)
    for index, width in enumerate((30, 40, 16, 28, 20, 20, 12, 16, 8, 50)):
        sheet.set_column(index, index, width)
    for row, action in enumerate(actions, start=1):
        sheet.write_row(row, 0, [
            localized(action.minutes.meeting), action.title, action.owner.name, action.owner.email,
            action.owner_unit.name if action.owner_unit else "", action.concerns_unit.name if action.concerns_unit else "",
            action.due_on.isoformat(), words.get(action.status.value, action.status.value),
            _("yes") if is_overdue(action) else "", action.progress])
    sheet.autofilter(0, 0, max(len(actions), 1), len(headers) - 1)
    sheet.freeze_panes(1, 0)
    workbook.close()
    return buffer.getvalue()


def escape(text: str) -> str:
    """``text`` as XML character data (what people typed was cleaned of control characters)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_FONTS = '<w:rFonts w:ascii="Noto Serif" w:hAnsi="Noto Serif" w:eastAsia="Noto Serif CJK SC"/>'


def _paragraph(text: str, *, size: int = 24, bold: bool = False, center: bool = False) -> str:
    runs = []
    for number, line in enumerate(text.split("\n")):
        if number:
            runs.append("<w:r><w:br/></w:r>")
        props = f"<w:rPr>{_FONTS}{'<w:b/>' if bold else ''}<w:sz w:val=\"{size}\"/><w:szCs w:val=\"{size}\"/></w:rPr>"
        runs.append(f'<w:r>{props}<w:t xml:space="preserve">{escape(line)}</w:t></w:r>')
    align = '<w:pPr><w:jc w:val="center"/></w:pPr>' if center else ""
    return f"<w:p>{align}{''.join(runs)}</w:p>"


def minutes_docx(doc: dict, meeting, when: str, version: int) -> bytes:
    """The minutes (snapshot shape) as a DOCX file."""
    titles = {item["id"]: localized_entry(item) for item in doc["items"]}
    body = [_paragraph(_("Minutes of %(title)s", title=localized(meeting)), size=36, bold=True, center=True),
            _paragraph(when + (" · " + _("version %(n)s", n=version) if version else ""), center=True)]
    for note in doc["notes"]:
        body.append(_paragraph(titles.get(note["agenda_item_id"]) or _("General"), size=28, bold=True))
        body.append(_paragraph(note["text"].replace("**", "")))
    if doc["decisions"]:
        body.append(_paragraph(_("Decisions"), size=28, bold=True))
        body += [_paragraph(f"{n}. {d['text']}") for n, d in enumerate(doc["decisions"], start=1)]
    if doc["actions"]:
        body.append(_paragraph(pgettext("minutes", "Actions"), size=28, bold=True))
        body += [_paragraph(f"{n}. {a['title']} · {a['owner_name']} · {a['due']}")
                 for n, a in enumerate(doc["actions"], start=1)]
    body.append(_paragraph(_("Attendance"), size=28, bold=True))
    for site in doc["attendance"]:
        names = {key: "、".join(p["name"] for p in site[key]) for key in ("present", "excused", "absent")}
        body.append(_paragraph(f"{site['site'] or _('Online')}: " + "; ".join(
            f"{label} {names[key]}" for key, label in (("present", _("Present:")), ("excused", _("Excused:")),
                                                       ("absent", _("Absent:"))) if names[key])))
    document = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
                + "".join(body) +
                '<w:sectPr><w:pgSz w:w="11906" w:h="16838"/>'
                '<w:pgMar w:top="1440" w:right="1440" w:bottom="1440" w:left="1440"/></w:sectPr>'
                "</w:body></w:document>")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml",
                         '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                         '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                         '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                         '<Default Extension="xml" ContentType="application/xml"/>'
                         '<Override PartName="/word/document.xml" ContentType="application/'
                         'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>')
        archive.writestr("_rels/.rels",
                         '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                         '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                         '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                         'relationships/officeDocument" Target="word/document.xml"/></Relationships>')
        archive.writestr("word/document.xml", document)
    return buffer.getvalue()
