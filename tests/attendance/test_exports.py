"""The attendance exports, read back as a spreadsheet would: csv for the CSV, openpyxl for the
XLSX. Rows, Chinese text, nothing that runs as a formula, filters, and the summary sheet."""

from __future__ import annotations

import csv
import re
import io
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from meetings.attendance import services as attendance
from meetings.extensions import db
from meetings.invitations import answers, services as invitations
from tests import factories
from tests.conferencing.helpers import invitation_of, remote_meeting

# The fixtures record QR check-ins and roll calls for a meeting next year.
pytestmark = pytest.mark.usefixtures("checkin_open")

HEADER = ["Name", "Email", "Unit", "Title", "Role", "Site", "Mode", "Response", "Responded at (UTC)",
          "Responded at (local time)", "Delegated to", "Checked in at (local time)", "Local time zone", "Checked in at (UTC)", "How"]
#: 01:05:42 UTC on the meeting's day: 09:05:42 in Shanghai, 03:05:42 in Amsterdam (summer).
ARRIVAL = datetime(factories.NEXT_YEAR, 6, 10, 1, 5, 42, tzinfo=timezone.utc)
FORMULAS = ["=HYPERLINK(\"http://evil.example\",\"x\")", "+31 10 555", "-2+3", "@SUM(A1:A9)", "\tTabbed",
            "\rReturned"]


@pytest.fixture()
def exported(api):
    """The remote meeting, with answers, a delegation, check-ins, a head count, and people whose
    names or titles a spreadsheet would run."""
    meeting, sites, people = remote_meeting(api.user)
    for index, text in enumerate(FORMULAS):
        person = factories.person(f"Formula {index}", email=f"formula{index}@example.com", unit="Formula unit")
        person.name = text  # stored as typed by an older version or a roster, past today's checks
        person.title = "=1+1"
        db.session.commit()
        factories.invite(meeting, person)
    guest = invitation_of(meeting, people["ams_guest"])
    answers.record_response(guest, "accepted")
    attendance.check_in(guest, "roll_call", at=ARRIVAL, site=sites["rotterdam"])
    attendance.check_in(guest, "join_link")  # logged, not counted
    plant_guest = invitation_of(meeting, people["sh_guest"])
    answers.record_response(plant_guest, "accepted")
    attendance.check_in(plant_guest, "qr", at=ARRIVAL)
    invitations.delegate(invitation_of(meeting, people["speaker"]), "deputy@example.com", "副董事长")
    attendance.record_head_count(sites["rotterdam"], 4)
    attendance.record_head_count(sites["rotterdam"], 3)  # the latest counts
    db.session.commit()
    return meeting, sites, people


def get_csv(api, meeting, query=""):
    response = api.get(f"/api/meetings/{meeting.id}/attendance.csv{query}")
    assert response.status_code == 200, response.text
    return response


def read_csv(response) -> list[list[str]]:
    assert response.data.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"), newline="")))


def get_xlsx(api, meeting, query=""):
    response = api.get(f"/api/meetings/{meeting.id}/attendance.xlsx{query}")
    assert response.status_code == 200, response.text
    content = response.data
    response.close()  # as a WSGI server does: it closes the streamed file
    assert content[:2] == b"PK"
    return openpyxl.load_workbook(io.BytesIO(content))


def by_email(table: list[list]) -> dict[str, list]:
    return {row[1]: row for row in table[1:]}


def test_the_csv_has_one_row_per_invitation_with_everything_an_admin_asks(api, exported):
    meeting, sites, people = exported
    response = get_csv(api, meeting)
    assert response.mimetype == "text/csv"
    day = meeting.start_at.astimezone(ZoneInfo(meeting.timezone)).date().isoformat()
    name = re.sub(r"\W+", "-", meeting.title).strip("-")
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="{name}-{day}.csv"; filename*=UTF-8\'\'{name}-{day}.csv')
    table = read_csv(response)
    assert table[0] == HEADER
    active = invitations.invitations_of(meeting)
    assert len(table) == 1 + len(active) == 1 + 7 + len(FORMULAS)
    rows = by_email(table)
    guest = rows["sanne@roof.example.nl"]
    assert guest[:8] == ["Sanne Visser", "sanne@roof.example.nl", "Rotterdam Roof Systems", "Engineer", "participant",
                         "Rotterdam room", "remote site", "accepted"]
    assert guest[8].startswith(f"{datetime.now(timezone.utc):%Y-%m-%d}")
    assert guest[11:] == [f"{factories.NEXT_YEAR}-06-10 03:05:42", "Europe/Amsterdam",
                          f"{factories.NEXT_YEAR}-06-10 01:05:42", "roll call"]
    plant = rows["lin.xiao@example.com"]
    assert plant[0] == "林晓" and plant[2] == "精工齿轮" and plant[3] == "副总经理"
    assert plant[11:] == [f"{factories.NEXT_YEAR}-06-10 09:05:42", "Asia/Shanghai",
                          f"{factories.NEXT_YEAR}-06-10 01:05:42", "QR code"]
    speaker = rows["zhang@example.com"]
    assert speaker[4] == "speaker" and speaker[5] == "Main hall" and speaker[6] == "in person"
    assert speaker[7] == "delegated" and speaker[10] == "副董事长 <deputy@example.com>"
    assert rows["deputy@example.com"][0] == "副董事长" and rows["deputy@example.com"][4] == "speaker"
    online = rows["pieter@example.nl"]
    assert online[5] == "" and online[6] == "online" and online[11:] == ["", "", "", ""]


def test_csv_cells_a_spreadsheet_would_run_begin_with_a_quote(api, exported):
    meeting, _, _ = exported
    rows = by_email(read_csv(get_csv(api, meeting)))
    for index, text in enumerate(FORMULAS):
        row = rows[f"formula{index}@example.com"]
        assert row[0] == "'" + text
        assert row[3] == "'=1+1"
    dangerous = ("=", "+", "-", "@", "\t", "\r")
    for row in rows.values():
        assert not any(cell.startswith(dangerous) for cell in row)


def test_the_xlsx_has_the_same_rows_as_text_and_no_formula(api, exported):
    meeting, _, _ = exported
    workbook = get_xlsx(api, meeting)
    assert workbook.sheetnames == ["Attendance", "Summary"]
    sheet = workbook["Attendance"]
    # XLSX escapes a carriage return as _x000D_, which openpyxl leaves as it is (Excel reads it back).
    table = [[(cell.value or "").replace("_x000D_", "\r") for cell in row] for row in sheet.iter_rows()]
    for sheet_ in workbook.worksheets:
        for row in sheet_.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (cell.coordinate, cell.value)
    expected = read_csv(get_csv(api, meeting))
    assert table[0] == HEADER
    assert len(table) == len(expected)
    rows, csv_rows = by_email(table), by_email(expected)
    for email, row in csv_rows.items():
        # The same values; in the XLSX, text stays text without the CSV's protective quote.
        assert rows[email] == [cell[1:] if cell.startswith("'") else cell for cell in row]
    assert rows["formula0@example.com"][0] == FORMULAS[0]
    assert rows["formula0@example.com"][3] == "=1+1"
    assert rows["lin.xiao@example.com"][0] == "林晓"


def test_the_summary_sheet_counts_by_site_and_by_unit(api, exported):
    meeting, _, _ = exported
    sheet = get_xlsx(api, meeting)["Summary"]
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    by_site = values[:values.index([None] * len(values[0]))]
    assert by_site[0][0] == "By site"
    assert by_site[1] == ["Site", "Invited", "Accepted", "Attended", "Others present (head count)", "Total present"]
    table = {row[0]: row[1:] for row in by_site[2:]}
    # Main hall: the speaker, the deputy, the formula people; remote rooms: host and guest each.
    assert table["Main hall"] == [2 + len(FORMULAS), 0, 0, 0, 0]
    assert table["Rotterdam room"] == [2, 1, 1, 3, 4]
    assert table["Shanghai plant"] == [2, 1, 1, 0, 1]
    assert table["Online (no site)"] == [1, 0, 0, 0, 0]
    assert table["Total"] == [7 + len(FORMULAS), 2, 2, 3, 5]
    rest = values[len(by_site) + 1:]
    assert rest[0][0] == "By unit" and rest[1][:4] == ["Unit", "Invited", "Accepted", "Attended"]
    units = {row[0]: row[1:4] for row in rest[2:] if row[0]}
    assert units["精工齿轮"] == [2, 1, 1]
    assert units["Rotterdam Roof Systems"] == [2, 1, 1]
    assert units["Formula unit"] == [len(FORMULAS), 0, 0]
    assert units["Total"] == [7 + len(FORMULAS), 2, 2]


@pytest.mark.parametrize("query, emails", [
    ("?role=site_host", {"daan@roof.example.nl", "sun.lei@example.com"}),
    ("?response=accepted", {"sanne@roof.example.nl", "lin.xiao@example.com"}),
    ("?response=accepted&response=delegated", {"sanne@roof.example.nl", "lin.xiao@example.com", "zhang@example.com"}),
    ("?unit=精工齿轮", {"sun.lei@example.com", "lin.xiao@example.com"}),
    ("?unit=精工齿轮&role=participant", {"lin.xiao@example.com"}),
    ("?unit=No+such+unit", set()),
])
def test_filters_choose_the_rows(api, exported, query, emails):
    meeting, _, _ = exported
    assert set(by_email(read_csv(get_csv(api, meeting, query)))) == emails
    xlsx = get_xlsx(api, meeting, query)["Attendance"]
    assert {row[1].value for row in xlsx.iter_rows(min_row=2)} == emails


def test_filter_by_site(api, exported):
    meeting, sites, _ = exported
    query = f"?site={sites['rotterdam'].id}"
    assert set(by_email(read_csv(get_csv(api, meeting, query)))) == {"daan@roof.example.nl", "sanne@roof.example.nl"}
    summary = [[cell.value for cell in row] for row in get_xlsx(api, meeting, query)["Summary"].iter_rows()]
    assert [row[0] for row in summary[2:4]] == ["Rotterdam room", "Total"]


@pytest.mark.parametrize("query, field", [("?role=boss", "role"), ("?response=maybe", "response"),
                                          ("?site=999999", "site"), ("?site=abc", "site")])
def test_bad_filters_are_refused_before_anything_is_sent(api, exported, query, field):
    meeting, _, _ = exported
    for kind in ("csv", "xlsx"):
        response = api.get(f"/api/meetings/{meeting.id}/attendance.{kind}{query}")
        assert response.status_code == 422
        assert field in response.json["error"]["fields"]


def test_only_the_meetings_organizers_and_admins_export(client, api, admin_api, other_api, exported):
    meeting, _, _ = exported
    for kind in ("csv", "xlsx"):
        url = f"/api/meetings/{meeting.id}/attendance.{kind}"
        assert client.get(url).status_code == 401
        assert other_api.get(url).status_code == 404
        response = admin_api.get(url)
        assert response.status_code == 200
        response.close()
        assert api.get(f"/api/meetings/999999/attendance.{kind}").status_code == 404


def test_a_meeting_without_invitations_exports_headers_only(api):
    meeting = factories.meeting(api.user)
    assert read_csv(get_csv(api, meeting)) == [HEADER]
    workbook = get_xlsx(api, meeting)
    assert [[c.value for c in row] for row in workbook["Attendance"].iter_rows()] == [HEADER]


def test_answers_read_in_local_time_across_a_change_of_clocks_and_a_minute(api, exported):
    """Answers on both sides of Europe's autumn change (the exporter keeps what it converted per
    zone and hour): 02:00–03:00 happens twice in Rotterdam, once in Kolkata's half-hour zone; the
    last second of a minute and the first of the next; and a later hour of the same day."""
    meeting, sites, people = exported
    change = factories.last_sunday(factories.NEXT_YEAR, 10)
    at = [datetime(change.year, change.month, change.day, 0, 30, 0, tzinfo=timezone.utc),
          datetime(change.year, change.month, change.day, 0, 59, 59, tzinfo=timezone.utc),
          datetime(change.year, change.month, change.day, 1, 0, 0, tzinfo=timezone.utc),
          datetime(change.year, change.month, change.day, 1, 30, 0, tzinfo=timezone.utc),
          datetime(change.year, change.month, change.day, 5, 15, 30, tzinfo=timezone.utc)]
    expected = {"Europe/Amsterdam": ["02:30:00", "02:59:59", "02:00:00", "02:30:00", "06:15:30"],
                "Asia/Kolkata": ["06:00:00", "06:29:59", "06:30:00", "07:00:00", "10:45:30"]}
    guests = {}
    for zone, site_id in (("Europe/Amsterdam", sites["rotterdam"].id), ("Asia/Kolkata", None)):
        for index, when in enumerate(at):
            person = factories.person(f"{zone} {index}", email=f"{zone.split('/')[1].lower()}{index}@example.com",
                                      timezone=zone)
            extra = {"site_id": site_id} if site_id else {"mode": "online"}
            invitation = factories.invite(meeting, person, **extra)
            answers.record_response(invitation, "accepted")
            invitation.responded_at = when  # as if answered then
            guests[person.email] = (zone, index, when)
    db.session.commit()
    rows = by_email(read_csv(get_csv(api, meeting)))
    for email, (zone, index, when) in guests.items():
        row = rows[email]
        assert row[8] == f"{when:%Y-%m-%d %H:%M:%S}"
        assert row[9] == f"{change:%Y-%m-%d} {expected[zone][index]}", (zone, when)
        assert row[12] == zone


def test_sites_and_units_that_appear_while_rows_are_read_are_named(api):
    """The rows name sites and units from what was read before them; one that appears in between
    (PostgreSQL's statements each see what was committed when they began) is read on its own,
    and an id that is gone reads as no site and no unit, as an outer join would."""
    from meetings.attendance.exports import _Names
    from meetings.directory.models import Unit
    from meetings.scheduling import sites

    meeting = factories.meeting(api.user)
    names = _Names(meeting.id)
    late_site = sites.add_site(meeting, {"name": "Late room", "timezone": "Europe/Amsterdam"})
    late_unit = Unit(name="Late unit", kind="enterprise")
    db.session.add(late_unit)
    db.session.commit()
    assert late_site.id not in names.sites and late_unit.id not in names.units
    assert names.site(late_site.id) == ("Late room", "Europe/Amsterdam")
    assert names.unit(late_unit.id) == "Late unit"
    assert names.site(999_999) == (None, None) and names.unit(999_999) is None


def test_every_typed_cell_a_spreadsheet_would_run_is_quoted(api, exported):
    """Not only names and titles: a unit, a site and a delegate's name typed with a formula's
    first character quote the row's cells too."""
    from meetings.scheduling import sites

    meeting, _, _ = exported
    unit_person = factories.person("Unit person", email="unit.person@example.com", unit="-Dash unit")
    factories.invite(meeting, unit_person)
    site = sites.add_site(meeting, {"name": "+Plus room", "timezone": "Europe/Amsterdam"})
    db.session.commit()
    factories.invite(meeting, factories.person("Site person", email="site.person@example.com"), site_id=site.id)
    delegator = factories.person("Delegator", email="delegator@example.com")
    invitations.delegate(factories.invite(meeting, delegator), "at.deputy@example.com", "@Deputy")
    db.session.commit()
    rows = by_email(read_csv(get_csv(api, meeting)))
    assert rows["unit.person@example.com"][:3] == ["Unit person", "unit.person@example.com", "'-Dash unit"]
    assert rows["site.person@example.com"][5] == "'+Plus room"
    assert rows["delegator@example.com"][10] == "'@Deputy <at.deputy@example.com>"
    assert rows["at.deputy@example.com"][0] == "'@Deputy"
