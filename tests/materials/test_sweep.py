"""The storage's sweep: stored files that nothing references any more (their material or evidence
row deleted) are deleted once past the grace period, oldest first, a bounded number per run;
every file something still references (a material's versions, old ones too; an action's
evidence) stays and reads back whole."""

from __future__ import annotations

import hashlib
import io
from datetime import timedelta

import sqlalchemy as sa
from werkzeug.datastructures import FileStorage

from meetings.core.db import utcnow
from meetings.extensions import db
from meetings.materials import services, storage, sweep
from meetings.materials.models import Material, MaterialBlob
from meetings.minutes import evidence
from meetings.minutes.models import ActionItem
from tests import factories
from tests.materials import samples


def blob_ids() -> set[int]:
    return set(db.session.scalars(sa.select(MaterialBlob.id)))


def age_everything(hours: int) -> None:
    """Make every stored file ``hours`` old (what time would do)."""
    db.session.execute(sa.update(MaterialBlob).values(created_at=utcnow() - timedelta(hours=hours)))
    db.session.commit()


def ref_id(ref: str) -> int:
    return int(ref.removeprefix("db:"))


def test_unreferenced_files_are_swept_after_the_grace_bounded_per_run(app, api, cast):
    kept = services.upload(cast.meeting, samples.pdf(seed=b"v1"), "kept.pdf", title="Kept", user=api.user)
    db.session.commit()
    services.add_version(db.session.get(Material, kept.id), samples.pdf(seed=b"v2"), "kept.pdf", user=api.user)
    db.session.commit()
    versions = db.session.get(Material, kept.id).versions
    kept_refs, kept_sums = [v.storage_ref for v in versions], [v.sha256 for v in versions]
    assert len(kept_refs) == 2

    # An owner's evidence on an action of the meeting: kept in the same storage.
    due = factories.future_day(7, 1).isoformat()
    answer = api.client.put(f"/api/meetings/{cast.meeting.id}/minutes", json={
        "notes": [], "decisions": [], "actions": [{"title": "Plan", "owner_email": "participant@example.com",
                                                   "due": due}]}, headers={"Authorization": f"Bearer {api.token}"})
    assert answer.status_code == 200, answer.json
    action = db.session.scalar(sa.select(ActionItem))
    proof = evidence.attach(action, FileStorage(io.BytesIO(b"signed plan"), "plan.txt"), author="participant")
    db.session.commit()
    proof_ref = proof.ref

    # Five materials deleted (their versions go with them): their bytes are orphans.
    gone = []
    for n in range(5):
        material = services.upload(cast.meeting, samples.pdf(seed=f"gone {n}".encode()), f"g{n}.pdf",
                                   title=f"Gone {n}", user=api.user)
        db.session.commit()
        gone.append(ref_id(material.current.storage_ref))
        db.session.delete(material)
        db.session.commit()
    assert set(gone) <= blob_ids()

    # Within the grace period nothing goes, referenced or not.
    assert storage.sweep(grace=timedelta(hours=24), limit=100) == 0
    age_everything(hours=25)
    # One more orphan, stored just now: within its grace, it stays for a later run.
    fresh = ref_id(storage.store(b"stored, its row not yet written"))
    db.session.commit()

    # Bounded: two per run here, the oldest first, until none is left.
    counts = [storage.sweep(grace=timedelta(hours=24), limit=2) for _ in range(4)]
    db.session.commit()
    assert counts == [2, 2, 1, 0]
    left = blob_ids()
    assert not set(gone) & left
    assert fresh in left
    assert {ref_id(ref) for ref in kept_refs} | {ref_id(proof_ref)} <= left
    for ref, digest in zip(kept_refs, kept_sums, strict=True):
        assert hashlib.sha256(storage.open(ref).read()).hexdigest() == digest
    assert evidence.open(proof_ref).read() == b"signed plan"
    # The evidence's action deleted: its file goes too, on the next run past its grace.
    db.session.delete(db.session.get(ActionItem, action.id))
    db.session.commit()
    age_everything(hours=25)
    assert storage.sweep(grace=timedelta(hours=24), limit=100) == 2  # the evidence and the fresh one
    db.session.commit()
    assert ref_id(proof_ref) not in blob_ids() and fresh not in blob_ids()


def test_the_housekeeping_job_follows_the_settings(app, api, cast):
    material = services.upload(cast.meeting, samples.pdf(), "x.pdf", title="X", user=api.user)
    db.session.commit()
    orphan = ref_id(material.current.storage_ref)
    db.session.delete(material)
    db.session.commit()
    age_everything(hours=app.config["STORAGE_SWEEP_GRACE_HOURS"] - 1)
    assert sweep.sweep_unreferenced() == 0
    age_everything(hours=app.config["STORAGE_SWEEP_GRACE_HOURS"] + 1)
    assert sweep.sweep_unreferenced() == 1
    db.session.commit()
    assert orphan not in blob_ids()


def test_the_sweep_is_one_of_the_schedulers_jobs(app):
    from meetings.outbox.scheduler import build_scheduler

    scheduler = build_scheduler(app)
    scheduler.start(paused=True)
    try:
        job = scheduler.get_job("storage-sweep")
        assert job is not None and job.trigger.interval.total_seconds() == 3600
    finally:
        scheduler.shutdown(wait=False)
