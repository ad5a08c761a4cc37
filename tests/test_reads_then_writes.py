"""GETs that record what they handed out (an export's audit entry, a material's access log) while
another process writes: the scheduler delivering, someone answering.

On SQLite a transaction that has read and then writes fails at once with "database is locked"
when another writer committed in between, whatever the busy timeout (DESIGN.md, Known traps):
under two app hosts and a scheduler the XLSX export answered 500 that way. Here a real second
writer (its own connection to the database file) commits right after the request's first read of
the data it hands out; the request must still answer 200 and record its entry. On PostgreSQL the
same interleaving is harmless, and the test checks the same outcome."""

from __future__ import annotations


import io

import openpyxl
import pytest
import sqlalchemy as sa

from meetings.accounts.models import AuditEvent
from meetings.extensions import db
from meetings.materials import services as materials
from meetings.materials.models import MaterialAccess
from tests.materials import samples
from tests.materials.helpers import cast  # noqa: F401 (the fixture)
from tests.writers import another_writer_after


def test_an_xlsx_export_is_recorded_while_another_process_writes(api, cast):
    with another_writer_after("invitations") as interleaved:
        response = api.get(f"/api/meetings/{cast.meeting.id}/attendance.xlsx")
    assert interleaved, "the other writer never ran: the test no longer interleaves"
    assert response.status_code == 200, response.json
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).worksheets[0]
    assert sheet.max_row == 1 + 5  # the header and the cast's five invitations
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "attendance.exported")) == 1


@pytest.mark.parametrize("how", ["link", "api"])
def test_a_material_download_is_logged_while_another_process_writes(client, api, cast, how):
    material = materials.upload(cast.meeting, samples.pdf(seed=b"report"), "report.pdf", title="Report",
                                user=api.user)
    db.session.commit()
    token = cast.rsvp_token(cast.participant)
    with another_writer_after("materials") as interleaved:
        if how == "link":
            response = client.get(f"/rsvp/{token}/materials/{material.id}")
        else:
            response = api.get(f"/api/meetings/{cast.meeting.id}/materials/{material.id}/file")
    assert interleaved
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MaterialAccess)) == 1
