"""The ZIP of a meeting's materials streams in flat memory, and touches no ORM object after the
request's session is gone."""

from __future__ import annotations

import gc
import tracemalloc
import zipfile

from meetings.extensions import db
from meetings.materials import services
from tests.materials import samples

MB = 1024 * 1024


def test_a_zip_of_30_materials_and_100_mb_streams_in_flat_memory(api, cast):
    from meetings.scheduling.models import Meeting

    sizes = [100 * MB // 30] * 30
    from meetings.accounts.models import User

    meeting_id, user_id = cast.meeting.id, api.user.id
    for n, size in enumerate(sizes):
        services.upload(db.session.get(Meeting, meeting_id), samples.pdf(size, seed=b"%02d" % n), f"report-{n}.pdf", title=f"Report {n:02d}",
                        user=db.session.get(User, user_id))
        db.session.commit()
        db.session.expunge_all()  # the uploads' bytes are not kept by the session
    gc.collect()
    response = api.get(f"/api/meetings/{meeting_id}/materials.zip", buffered=False)
    assert response.status_code == 200
    # The request is over: the session is gone; the stream reads through its own connection.
    db.session.remove()
    tracemalloc.start()
    try:
        streamed, largest, names_seen = 0, 0, 0
        for chunk in response.response:
            streamed += len(chunk)
            largest = max(largest, len(chunk))
            names_seen += chunk.count(b"%PDF-1.7\n")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        response.close()
    assert streamed > 100 * MB and names_seen == 30
    # A few chunks in flight at most, whatever the total: 100 MB went through.
    assert largest <= 2 * MB
    # (Reading one whole 3.3 MB file at once would already pass 5 MB.)
    assert peak < 5 * MB, f"peak {peak / MB:.1f} MB while streaming {streamed / MB:.0f} MB"
    print(f"\nZIP of 30 materials, {streamed / MB:.0f} MB streamed; peak traced memory {peak / MB:.1f} MB")


def test_the_streamed_zip_is_a_valid_archive(api, cast, tmp_path):
    for n in range(3):
        services.upload(cast.meeting, samples.pdf(3 * MB + n), f"r{n}.pdf", title=f"R{n}", user=api.user)
    db.session.commit()
    response = api.get(f"/api/meetings/{cast.meeting.id}/materials.zip", buffered=False)
    db.session.remove()
    path = tmp_path / "all.zip"
    with path.open("wb") as out:
        for chunk in response.response:
            out.write(chunk)
    response.close()
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None
        assert [info.file_size for info in archive.infolist()] == [3 * MB, 3 * MB + 1, 3 * MB + 2]
