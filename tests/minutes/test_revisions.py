"""The notes' history: each save that changes them is kept (who, when), saves by one author within
a minute amend one revision, only the last ones are kept, and organizers read an earlier
revision on a read-only page, in both languages."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from meetings.extensions import db
from meetings.minutes import services
from meetings.minutes.models import NotesRevision
from tests.minutes.conftest import content
from tests.test_pages import login


def put_notes(held, api, text):
    body = content(held)
    body["notes"][0]["text"] = text
    answer = api.client.put(f"/api/meetings/{held.meeting.id}/minutes", json=body,
                            headers={"Authorization": f"Bearer {api.token}"})
    assert answer.status_code == 200, answer.json


def save_as(held, author, text):
    body = content(held)
    body["notes"][0]["text"] = text
    services.save_content(services.minutes_of(held.meeting), body, author=author)
    db.session.commit()


def kept():
    return db.session.execute(sa.select(NotesRevision.number, NotesRevision.author, NotesRevision.notes)
                              .order_by(NotesRevision.number)).all()


def age_revisions(seconds: int) -> None:
    """Make every revision begin ``seconds`` earlier (what time would do)."""
    for revision in db.session.scalars(sa.select(NotesRevision)):
        revision.created_at -= timedelta(seconds=seconds)
    db.session.commit()


def test_saves_are_kept_coalesced_per_author_and_minute(held, api):
    for text in ("Revenue up", "Revenue up 8%", "Revenue up 8%, costs flat"):
        put_notes(held, api, text)  # the editor's autosave, a few seconds apart: one revision
    [(number, author, notes)] = kept()
    assert (number, author) == (1, api.user.email)
    assert notes[0] == {"agenda_item_id": held.report.id, "text": "Revenue up 8%, costs flat"}
    put_notes(held, api, "Revenue up 8%, costs flat")  # nothing changed: nothing kept
    assert len(kept()) == 1
    age_revisions(61)
    put_notes(held, api, "Revenue up 8%; costs down 2%")  # past the minute: a new revision
    save_as(held, "secretary@example.com", "Revenue up 8%; costs down 2%; Rotterdam on target")  # another author
    revisions = kept()
    assert [(n, a) for n, a, _ in revisions] == [(1, api.user.email), (2, api.user.email),
                                                 (3, "secretary@example.com")]
    assert [notes[0]["text"] for _, _, notes in revisions] == [
        "Revenue up 8%, costs flat", "Revenue up 8%; costs down 2%", "Revenue up 8%; costs down 2%; Rotterdam on target"]


def test_only_the_last_revisions_are_kept(held, api, monkeypatch):
    monkeypatch.setattr(services, "REVISIONS_KEPT", 3)  # the bound, made small enough to pass here
    for n in range(6):
        save_as(held, f"writer{n % 2}@example.com", f"draft {n}")  # authors alternate: no coalescing
    assert [number for number, _, _ in kept()] == [4, 5, 6]
    assert kept()[-1][2][0]["text"] == "draft 5"


def test_organizers_read_the_history_and_an_earlier_revision_read_only(held, api, client):
    put_notes(held, api, "First **draft** of the report")
    age_revisions(120)
    put_notes(held, api, "Final report")
    assert login(client, api.user.email, "correct horse battery").status_code == 302
    base = f"/meetings/{held.meeting.id}/minutes"
    assert f"{base}/revisions" in client.get(base).text  # the editor links to the history
    history = client.get(f"{base}/revisions")
    assert history.status_code == 200 and history.text.count("?number=") == 2
    assert api.user.email in history.text
    earlier = client.get(f"{base}/revisions?number=1")
    assert earlier.status_code == 200
    assert "First <strong>draft</strong> of the report" in earlier.text and "Final report" not in earlier.text
    assert "Read-only" in earlier.text and "<textarea" not in earlier.text and "Half-year report" in earlier.text
    assert client.get(f"{base}/revisions?number=99").status_code == 404
    assert client.get(f"{base}/revisions?number=x").status_code == 404
    chinese = client.get(f"{base}/revisions?number=2", headers={"Accept-Language": "zh-CN"})
    assert "纪要笔记的历史" in chinese.text and "只读" in chinese.text and "Final report" in chinese.text


def test_another_organizer_sees_no_history(held, api, other_api, client):
    put_notes(held, api, "Confidential note")
    assert login(client, other_api.user.email, "correct horse battery").status_code == 302
    answer = client.get(f"/meetings/{held.meeting.id}/minutes/revisions?number=1")
    assert answer.status_code == 404 and "Confidential note" not in answer.text
