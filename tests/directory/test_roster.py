"""Roster import: ``POST /api/people/import`` with CSV or XLSX, all rows or none."""

import io
import re
import zipfile

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from meetings.directory.models import Person, PersonTag, Unit
from meetings.extensions import db
from tests import factories

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def people() -> dict[str, Person]:
    db.session.expire_all()
    return {p.email: p for p in db.session.scalars(sa.select(Person))}


def csv_bytes(text: str, encoding: str = "utf-8-sig") -> bytes:
    return text.replace("\n", "\r\n").encode(encoding)


def xlsx_bytes(rows) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def send(api, content: bytes, content_type: str = "text/csv", query: str = ""):
    return api.post("/api/people/import" + query, data=content, headers={"Content-Type": content_type})


def upload(api, content: bytes, filename: str, query: str = ""):
    return api.post("/api/people/import" + query, data={"file": (io.BytesIO(content), filename)},
                    content_type="multipart/form-data")


CHINESE_ROSTER = """姓名,邮箱,单位,职务,标签
王伟,wang.wei@example.com,总部,总经理,party-committee;vice-director-and-above
李娜,Li.Na@Example.com,上海分公司,副总经理,vice-director-and-above
张敏,zhang.min@example.com,上海分公司,,hq-staff; dispatched
"""

ROWS = [
    ["name", "email", "unit", "title", "tags", "timezone", "language"],
    ["Pieter de Vries", "pieter@example.nl", "Rotterdam plant", "Plant manager", "enterprise-representative",
     "Europe/Amsterdam", "en"],
    ["王伟", "wang.wei@example.com", "总部", "总经理", "party-committee;vice-director-and-above", "", "zh_Hans"],
]


def assert_chinese_roster_imported():
    found = people()
    assert set(found) == {"wang.wei@example.com", "li.na@example.com", "zhang.min@example.com"}
    wang = found["wang.wei@example.com"]
    assert (wang.name, wang.unit.name, wang.title) == ("王伟", "总部", "总经理")
    assert wang.tags == ["party-committee", "vice-director-and-above"]
    assert wang.timezone == "Asia/Shanghai"
    assert found["zhang.min@example.com"].tags == ["dispatched", "hq-staff"]
    assert found["li.na@example.com"].unit is found["zhang.min@example.com"].unit
    assert sorted(db.session.scalars(sa.select(Unit.name))) == ["上海分公司", "总部"]


def test_a_utf8_csv_with_bom_and_chinese_headers_is_imported(api):
    response = send(api, csv_bytes(CHINESE_ROSTER))
    assert response.status_code == 200, response.json
    assert response.json == {
        "created": 3, "updated": 0, "dry_run": False,
        "rows": [{"row": 2, "email": "wang.wei@example.com", "action": "create"},
                 {"row": 3, "email": "li.na@example.com", "action": "create"},
                 {"row": 4, "email": "zhang.min@example.com", "action": "create"}],
    }
    assert_chinese_roster_imported()


def test_a_gb18030_csv_from_a_chinese_excel_is_imported(api):
    assert send(api, csv_bytes(CHINESE_ROSTER, "gb18030")).status_code == 200
    assert_chinese_roster_imported()


def test_a_csv_sent_as_a_multipart_file_is_imported(api):
    response = upload(api, csv_bytes(CHINESE_ROSTER), "名单.csv")
    assert response.status_code == 200, response.json
    assert response.json["created"] == 3
    assert_chinese_roster_imported()


def test_a_csv_sent_like_curl_data_binary_is_imported(api):
    # `curl --data-binary @roster.csv` sends application/x-www-form-urlencoded unless told otherwise.
    response = send(api, csv_bytes(CHINESE_ROSTER), "application/x-www-form-urlencoded")
    assert response.status_code == 200, response.json
    assert_chinese_roster_imported()


def test_semicolon_and_tab_separated_files_are_read(api):
    semicolons = "name;email;tags\nAlice;alice@example.com;hq-staff,dispatched\nBob;bob@example.com;\n"
    assert send(api, csv_bytes(semicolons)).json["created"] == 2
    tabs = "name\temail\tunit\nCarol\tcarol@example.com\tHQ, Shanghai\n"
    assert send(api, csv_bytes(tabs)).json["created"] == 1
    found = people()
    assert found["alice@example.com"].tags == ["dispatched", "hq-staff"]
    assert found["bob@example.com"].tags == []
    assert found["carol@example.com"].unit.name == "HQ, Shanghai"


def test_quoted_fields_may_hold_commas_and_line_breaks_are_refused(api):
    roster = 'name,email,title\n"Smith, Anna",anna@example.com,"Director, Finance"\n'
    assert send(api, csv_bytes(roster)).status_code == 200
    anna = people()["anna@example.com"]
    assert (anna.name, anna.title) == ("Smith, Anna", "Director, Finance")
    response = send(api, csv_bytes('name,email\n"Bob\nSmith",bob@example.com\nCarol,carol@example.com\n'))
    assert response.status_code == 422
    assert response.json["error"]["fields"] == {"row 2": ["name: Must be a single line."]}
    assert count(Person) == 1


@pytest.mark.parametrize("line_end", ["\r\n", "\n", "\r"])
def test_every_kind_of_line_end_is_read(api, line_end):
    roster = line_end.join(["name,email,unit", "Alice,alice@example.com,HQ", "Bob,bob@example.com,HQ", ""])
    response = send(api, roster.encode())
    assert response.status_code == 200, response.json
    assert response.json["created"] == 2
    assert people()["bob@example.com"].unit.name == "HQ"


@pytest.mark.parametrize("how", ["body", "multipart"])
def test_an_xlsx_roster_is_imported(api, how):
    content = xlsx_bytes(ROWS)
    response = send(api, content, XLSX_TYPE) if how == "body" else upload(api, content, "roster.xlsx")
    assert response.status_code == 200, response.json
    assert response.json["created"] == 2 and response.json["updated"] == 0
    found = people()
    pieter = found["pieter@example.nl"]
    assert (pieter.name, pieter.unit.name, pieter.title, pieter.timezone, pieter.language) == \
        ("Pieter de Vries", "Rotterdam plant", "Plant manager", "Europe/Amsterdam", "en")
    assert pieter.tags == ["enterprise-representative"]
    assert found["wang.wei@example.com"].tags == ["party-committee", "vice-director-and-above"]
    assert found["wang.wei@example.com"].timezone == "Asia/Shanghai"


def test_an_xlsx_roster_is_recognized_without_a_name_or_type(api):
    response = send(api, xlsx_bytes(ROWS), "application/octet-stream")
    assert response.status_code == 200 and response.json["created"] == 2


def test_an_xlsx_with_chinese_headers_and_number_cells(api):
    content = xlsx_bytes([["姓名", "电子邮箱", "单位", "职务"], ["王伟", "wang.wei@example.com", "总部", 3]])
    assert send(api, content, XLSX_TYPE).status_code == 200
    assert people()["wang.wei@example.com"].title == "3"


def test_an_xlsx_whose_recorded_size_is_wrong_is_read_whole(api):
    # Some spreadsheet writers record a used range of A1:A1 whatever the sheet holds.
    content = xlsx_bytes(ROWS)
    source, patched = zipfile.ZipFile(io.BytesIO(content)), io.BytesIO()
    with zipfile.ZipFile(patched, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename.startswith("xl/worksheets/"):
                data, n = re.subn(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:A1"', data)
                assert n == 1
            target.writestr(item, data)
    response = send(api, patched.getvalue(), XLSX_TYPE)
    assert response.status_code == 200, response.json
    assert response.json["created"] == 2
    assert people()["pieter@example.nl"].timezone == "Europe/Amsterdam"


def test_known_people_are_updated_by_email(api):
    wang = factories.person("Wang Wei", email="wang.wei@example.com", unit="Old unit", tags=["dispatched"],
                            title="Engineer", timezone="Europe/Amsterdam", language="en")
    response = send(api, csv_bytes("name,email,unit,title,tags\n王伟,WANG.WEI@example.com,总部,总经理,hq-staff\n"
                                   "李娜,li.na@example.com,总部,,\n"))
    assert response.status_code == 200
    assert response.json["created"] == 1 and response.json["updated"] == 1
    assert response.json["rows"][0] == {"row": 2, "email": "wang.wei@example.com", "action": "update"}
    found = people()
    assert count(Person) == 2
    updated = found["wang.wei@example.com"]
    assert updated.id == wang.id
    assert (updated.name, updated.unit.name, updated.title, updated.tags) == ("王伟", "总部", "总经理", ["hq-staff"])
    # Columns the file does not have are left as they were.
    assert (updated.timezone, updated.language) == ("Europe/Amsterdam", "en")


def test_importing_the_same_file_twice_updates_and_adds_no_one(api):
    content = csv_bytes(CHINESE_ROSTER)
    assert send(api, content).json["created"] == 3
    again = send(api, content).json
    assert (again["created"], again["updated"]) == (0, 3)
    assert count(Person) == 3 and count(Unit) == 2


def test_dry_run_reports_and_writes_nothing(api):
    factories.person(email="li.na@example.com")
    before = (count(Person), count(Unit), count(PersonTag))
    response = send(api, csv_bytes(CHINESE_ROSTER), query="?dry_run=1")
    assert response.status_code == 200, response.json
    assert response.json["dry_run"] is True
    assert (response.json["created"], response.json["updated"]) == (2, 1)
    assert [r["action"] for r in response.json["rows"]] == ["create", "update", "create"]
    assert (count(Person), count(Unit), count(PersonTag)) == before
    assert people()["li.na@example.com"].name != "李娜"


def test_dry_run_of_an_xlsx_upload_writes_nothing(api):
    response = upload(api, xlsx_bytes(ROWS), "roster.xlsx", query="?dry_run=true")
    assert response.status_code == 200 and response.json["created"] == 2
    assert count(Person) == 0 and count(Unit) == 0


BAD_ROSTER = """name,email,unit,tags,timezone,language
Good One,good.one@example.com,New unit,hq-staff,,
,no.name@example.com,,,,
Bad Email,Bad Email <bad@example.com>,,,,
Good Two,good.two@example.com,Another new unit,,,
Bad Tag,bad.tag@example.com,,Not A Tag,,
Bad Zone,bad.zone@example.com,,,Asia/Beijing,
Bad Language,bad.lang@example.com,,,,fr
Good One Again,GOOD.ONE@example.com,,,,
"""


def assert_bad_roster_reported(response):
    assert response.status_code == 422, response.json
    error = response.json["error"]
    assert error["status"] == 422
    assert set(error["fields"]) == {"row 3", "row 4", "row 6", "row 7", "row 8", "row 9"}
    assert error["fields"]["row 3"] == ["name: This cannot be empty."]
    assert error["fields"]["row 4"][0].startswith("email:")
    assert error["fields"]["row 6"][0].startswith("tags:")
    assert error["fields"]["row 7"][0].startswith("timezone:")
    assert error["fields"]["row 8"][0].startswith("language:")
    assert error["fields"]["row 9"] == ["email: good.one@example.com also appears on row 2."]


@pytest.mark.parametrize("query", ["", "?dry_run=1"])
def test_any_bad_row_stops_the_import_and_every_bad_row_is_listed(api, query):
    factories.person("Known", email="known@example.com", unit="Old unit")
    response = send(api, csv_bytes(BAD_ROSTER), query=query)
    assert_bad_roster_reported(response)
    if not query:
        assert "nothing was imported" in response.json["error"]["message"]
    assert count(Person) == 1 and count(Unit) == 1 and count(PersonTag) == 0


def test_bad_rows_of_an_xlsx_are_listed_and_nothing_is_written(api):
    rows = [line.split(",") for line in BAD_ROSTER.strip().splitlines()]
    assert_bad_roster_reported(upload(api, xlsx_bytes(rows), "roster.xlsx"))
    assert count(Person) == 0 and count(Unit) == 0


def test_an_update_in_a_bad_file_is_not_applied(api):
    factories.person("Old name", email="known@example.com")
    response = send(api, csv_bytes("name,email\nNew name,known@example.com\nNo email,\n"))
    assert response.status_code == 422
    assert list(response.json["error"]["fields"]) == ["row 3"]
    assert people()["known@example.com"].name == "Old name"


def test_row_numbers_are_those_of_the_file_even_after_blank_lines(api):
    roster = "name,email\nAlice,alice@example.com\n\n,,\nBob,not-an-email\n  ,  \nCarol,alice@example.com\n"
    response = send(api, csv_bytes(roster))
    assert response.status_code == 422
    assert response.json["error"]["fields"] == {
        "row 5": ["email: 'not-an-email' is not a valid email address. An email address has exactly one @."],
        "row 7": ["email: alice@example.com also appears on row 2."],
    }
    assert count(Person) == 0


def test_row_numbers_of_an_xlsx_are_those_of_the_sheet(api):
    content = xlsx_bytes([["name", "email"], ["Alice", "alice@example.com"], [None, None], ["Bob", "bob@"]])
    response = send(api, content, XLSX_TYPE)
    assert response.status_code == 422
    assert list(response.json["error"]["fields"]) == ["row 4"]


def test_blank_lines_are_skipped_in_a_good_file(api):
    response = send(api, csv_bytes("name,email\n\nAlice,alice@example.com\n,\n\nBob,bob@example.com\n\n"))
    assert response.status_code == 200
    assert response.json["rows"] == [{"row": 3, "email": "alice@example.com", "action": "create"},
                                     {"row": 6, "email": "bob@example.com", "action": "create"}]


@pytest.mark.parametrize("content", [
    "nom,courriel\nAlice,alice@example.com\n",
    "name,unit\nAlice,HQ\n",
    "email\nalice@example.com\n",
    "Alice,alice@example.com\n",
    "\nname,email\nAlice,alice@example.com\n",
])
def test_a_file_without_name_and_email_columns_is_refused(api, content):
    response = send(api, csv_bytes(content))
    assert response.status_code == 422
    assert "file" in response.json["error"]["fields"]
    assert count(Person) == 0


@pytest.mark.parametrize("content, content_type", [
    (b"", "text/csv"),
    (b"\n\n", "text/csv"),
    (b"PK\x03\x04 this is not a workbook", XLSX_TYPE),
    (b"\xff\xfe\x00\xd8\xff", "text/csv"),
])
def test_empty_and_unreadable_files_are_refused(api, content, content_type):
    response = send(api, content, content_type)
    assert response.status_code == 422
    assert "file" in response.json["error"]["fields"]
    assert count(Person) == 0


def test_an_empty_upload_or_one_under_another_name_is_refused(api):
    for response in (upload(api, b"", "roster.csv"),
                     api.post("/api/people/import", data={"roster": (io.BytesIO(csv_bytes(CHINESE_ROSTER)), "r.csv")},
                              content_type="multipart/form-data")):
        assert response.status_code == 422
        assert "file" in response.json["error"]["fields"]
    assert count(Person) == 0


def test_a_header_only_file_imports_no_one(api):
    response = send(api, csv_bytes("name,email\n"))
    assert response.status_code == 200
    assert response.json == {"created": 0, "updated": 0, "dry_run": False, "rows": []}


CELLS = st.sampled_from(["王伟", "Alice", "alice@example.com", "ALICE@example.com", "bob@example.com", "bad@",
                         "总部", "hq-staff;dispatched", "Bad Tag", "Asia/Shanghai", "Asia/Beijing", "en", "fr",
                         "", " ", '"', "'", ",", ";", "\t", "\r", "\n", "\r\n", "=1+1", "\x00"]) | st.text(max_size=12)
HEADER_CELLS = st.sampled_from(["name", "email", "姓名", "邮箱", "unit", "单位", "tags", "timezone", "language",
                                "other"])


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(header=st.lists(HEADER_CELLS, min_size=1, max_size=6), rows=st.lists(st.lists(CELLS, max_size=7), max_size=6),
       separator=st.sampled_from([",", ";", "\t"]), line_end=st.sampled_from(["\n", "\r\n", "\r"]),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]))
def test_whatever_the_csv_holds_the_answer_is_all_or_nothing(api, header, rows, separator, line_end, encoding):
    text = line_end.join(separator.join(cells) for cells in [header, *rows])
    try:
        content = text.encode(encoding)
    except UnicodeEncodeError:
        content = text.encode("utf-8")
    before = count(Person)
    response = send(api, content)
    assert response.status_code in (200, 422), response.get_data(as_text=True)
    if response.status_code == 200:
        assert count(Person) == before + response.json["created"]
        assert len(response.json["rows"]) == response.json["created"] + response.json["updated"]
    else:
        assert response.json["error"]["fields"]
        assert count(Person) == before
