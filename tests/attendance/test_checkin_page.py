"""The check-in page behind a person's QR code: what staff see, checking in, and what it refuses."""

from __future__ import annotations

import re
import struct
import zlib
import secrets

import pytest
import segno
import sqlalchemy as sa
from hypothesis import given, settings, strategies as st

from meetings.attendance import qr
from meetings.attendance.models import CheckIn
from meetings.extensions import db
from meetings.invitations.models import LinkPurpose
from meetings.scheduling import services as scheduling
from tests import factories
from tests.conferencing.helpers import personal_token, row_counts, site_token, text_of
from tests.manage.conftest import sign_in


def csrf_of(page) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


@pytest.fixture()
def guest(api):
    meeting = factories.meeting(api.user)
    person = factories.person("王芳", email="wang.fang@example.com", unit="集团总部", title="副总裁")
    invitation = factories.invite(meeting, person, "speaker")
    factories.publish(meeting)
    return invitation


@pytest.mark.usefixtures("checkin_open")
def test_staff_see_who_it_is_and_check_them_in_once(client, guest):
    token = personal_token(guest, LinkPurpose.CHECKIN)
    staff = sign_in(client, "door@example.com", role="admin").client
    before = row_counts()
    page = staff.get(f"/checkin/{token}")
    assert row_counts() == before
    assert page.status_code == 200 and page.headers["Referrer-Policy"] == "no-referrer"
    assert '<h1 id="person">王芳</h1>' in page.text
    assert "副总裁" in page.text and "集团总部" in page.text
    assert text_of(page.text, "role") == "speaker"
    assert text_of(page.text, "checkin-status") == "Not checked in yet"
    assert "Main hall, HQ 12F" in page.text
    assert "<svg" not in page.text  # staff check in; the code is for the person who opens their own link

    response = staff.post(f"/checkin/{token}", data={"csrf_token": csrf_of(page)})
    assert response.status_code == 303
    shown = staff.get(response.headers["Location"])
    assert text_of(shown.text, "checkin-result") == "Checked in. Welcome!"
    # Checked in today, ahead of next year's meeting: the page says on which day.
    assert re.fullmatch(r"Checked in at \d\d:\d\d on \d{4}-\d\d-\d\d", text_of(shown.text, "checkin-status"))
    assert "Check in 王芳" not in shown.text

    again = staff.post(f"/checkin/{token}", data={"csrf_token": csrf_of(page)})
    assert "Already checked in before" in staff.get(again.headers["Location"]).text
    rows = db.session.scalars(sa.select(CheckIn).where(CheckIn.invitation_id == guest.id).order_by(CheckIn.id)).all()
    assert [(row.method, row.counted, row.site_id) for row in rows] == [
        ("qr", True, guest.meeting.main_site.id), ("qr", False, guest.meeting.main_site.id)]


def test_the_person_with_their_own_code_cannot_check_themselves_in(app, client, guest):
    token = personal_token(guest, LinkPurpose.CHECKIN)
    own = client.get(f"/checkin/{token}")
    assert "Check in 王芳" not in own.text and "<svg" in own.text
    assert 'id="staff-sign-in"' in own.text
    refused = client.post(f"/checkin/{token}", data={})
    assert refused.status_code == 403 and 'id="checkin-refused"' in refused.text
    stranger = sign_in(app.test_client(), "other.organizer@example.com").client  # not this meeting's
    page = stranger.get(f"/checkin/{token}")
    assert "Check in 王芳" not in page.text
    assert stranger.post(f"/checkin/{token}", data={}).status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CheckIn)) == 0


def test_a_staff_check_in_needs_the_pages_csrf_token(client, guest):
    token = personal_token(guest, LinkPurpose.CHECKIN)
    staff = sign_in(client, "door@example.com", role="admin").client
    assert staff.post(f"/checkin/{token}", data={}).status_code == 400
    assert staff.post(f"/checkin/{token}", data={"csrf_token": "forged"}).status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CheckIn)) == 0


def test_other_tokens_removed_people_and_cancelled_meetings(api, client, guest):
    token = personal_token(guest, LinkPurpose.CHECKIN)
    client = sign_in(client, "door@example.com", role="admin").client
    form = {"csrf_token": csrf_of(client.get(f"/checkin/{token}"))}
    for wrong in (personal_token(guest, LinkPurpose.JOIN), personal_token(guest, LinkPurpose.RSVP),
                  site_token(guest.meeting.main_site), token[:-1] + ("A" if token[-1] != "A" else "B"), "nope"):
        assert client.get(f"/checkin/{wrong}").status_code == 404
        assert client.post(f"/checkin/{wrong}", data=form).status_code == 404
    scheduling.cancel_meeting(guest.meeting)
    db.session.commit()
    page = client.get(f"/checkin/{token}")
    assert "This meeting was cancelled." in page.text and "Check in 王芳" not in page.text
    assert client.post(f"/checkin/{token}", data=form).status_code == 409
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CheckIn)) == 0


def test_someone_taken_off_the_list_has_no_check_in_page(api, client, guest):
    token = personal_token(guest, LinkPurpose.CHECKIN)
    api.delete(f"/api/meetings/{guest.meeting_id}/invitations/{guest.id}")
    assert client.get(f"/checkin/{token}").status_code == 404


# --- the codes ---------------------------------------------------------------------------------

def read_png(data: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and rows (one byte per pixel: 1 dark, 0 light) of a 1-bit grayscale PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position, idat, header = 8, b"", None
    while position < len(data):
        (length,), kind = struct.unpack(">I", data[position:position + 4]), data[position + 4:position + 8]
        body = data[position + 8:position + 8 + length]
        assert struct.unpack(">I", data[position + 8 + length:position + 12 + length])[0] == zlib.crc32(kind + body)
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        position += 12 + length
    width, height, depth, color, *_ = header
    assert (depth, color) == (1, 0)
    raw, stride = zlib.decompress(idat), (width + 7) // 8 + 1
    rows = []
    for y in range(height):
        line = raw[y * stride:(y + 1) * stride]
        assert line[0] == 0  # no filter
        bits = "".join(f"{byte:08b}" for byte in line[1:])[:width]
        rows.append(bytes(1 if bit == "0" else 0 for bit in bits))
    return width, height, rows


@settings(max_examples=25, deadline=None)
@given(token=st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", min_size=43,
                     max_size=43),
       base=st.sampled_from(["https://meetings.example.com", "http://127.0.0.1:5000",
                             "https://会议.example.cn/meetings"]))
def test_email_codes_are_the_symbols_segno_makes(token, base):
    url = f"{base}/checkin/{token}"
    width, modules = qr.modules(url)
    reference = segno.make_qr(url.encode("utf-8"), mode="byte", error="m", boost_error=False, mask=qr.MASK)
    assert width == len(reference.matrix)
    assert modules == b"".join(bytes(row) for row in reference.matrix)
    side, height, rows = read_png(qr.png(url))
    assert side == height == qr.png_size(url) == (width + 2 * qr.BORDER) * qr.SCALE
    quiet = qr.BORDER * qr.SCALE
    assert all(not any(row) for row in rows[:quiet] + rows[-quiet:])
    for y in range(width):
        row = rows[quiet + y * qr.SCALE]
        assert row[quiet:quiet + width * qr.SCALE:qr.SCALE] == modules[y * width:(y + 1) * width]
        assert not any(row[:quiet]) and not any(row[-quiet:])


def test_the_page_code_is_segnos_own():
    url = "https://meetings.example.com/checkin/" + secrets.token_urlsafe(32)
    assert qr.svg(url).startswith("<svg") and 'class="segno"' in qr.svg(url)
