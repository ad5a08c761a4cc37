"""minutes' evidence files kept in the materials storage: evidence_blobs moved into material_blobs and dropped

Revision ID: a3c5e7f9b1d4
Revises: 727d0c0997dc
Create Date: 2026-12-07 01:50:00.000000

"""
import hashlib
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a3c5e7f9b1d4'
down_revision = '727d0c0997dc'
branch_labels = None
depends_on = None

# The tables as this migration knows them (not the app's models, which move on).
_evidence = sa.table('action_evidence', sa.column('id', sa.Integer), sa.column('ref', sa.String))
_old = sa.table('evidence_blobs', sa.column('id', sa.Integer), sa.column('data', sa.LargeBinary))
_blobs = sa.table('material_blobs', sa.column('id', sa.Integer), sa.column('sha256', sa.String),
                  sa.column('size', sa.BigInteger), sa.column('data', sa.LargeBinary),
                  sa.column('created_at', sa.DateTime(timezone=True)))
_OLD_PREFIX, _NEW_PREFIX = 'minutes-db:', 'db:'


def _now(bind):
    now = datetime.now(timezone.utc)
    # SQLite keeps naive UTC (as the app's UTCDateTime does).
    return now.replace(tzinfo=None) if bind.dialect.name == 'sqlite' else now


def _evidence_refs(bind, prefix):
    """(evidence id, blob id) of every evidence row whose ref has ``prefix``, one id at a time
    read below so that one file's bytes at most are held at once."""
    rows = bind.execute(sa.select(_evidence.c.id, _evidence.c.ref).where(_evidence.c.ref.like(prefix + '%')))
    return [(evidence_id, int(ref[len(prefix):])) for evidence_id, ref in rows
            if ref[len(prefix):].isdigit()]


def upgrade():
    bind = op.get_bind()
    now = _now(bind)
    for evidence_id, old_id in _evidence_refs(bind, _OLD_PREFIX):
        data = bind.execute(sa.select(_old.c.data).where(_old.c.id == old_id)).scalar()
        if data is None:
            continue  # already gone: the page says "The file is gone." either way
        data = bytes(data)
        new_id = bind.execute(sa.insert(_blobs).values(
            sha256=hashlib.sha256(data).hexdigest(), size=len(data), data=data, created_at=now)
            .returning(_blobs.c.id)).scalar_one()
        bind.execute(sa.update(_evidence).where(_evidence.c.id == evidence_id).values(ref=f'{_NEW_PREFIX}{new_id}'))
    op.drop_table('evidence_blobs')


def downgrade():
    op.create_table('evidence_blobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evidence_blobs'))
    )
    bind = op.get_bind()
    for evidence_id, blob_id in _evidence_refs(bind, _NEW_PREFIX):
        data = bind.execute(sa.select(_blobs.c.data).where(_blobs.c.id == blob_id)).scalar()
        if data is None:
            continue
        old_id = bind.execute(sa.insert(_old).values(data=bytes(data)).returning(_old.c.id)).scalar_one()
        bind.execute(sa.update(_evidence).where(_evidence.c.id == evidence_id).values(ref=f'{_OLD_PREFIX}{old_id}'))
        bind.execute(sa.delete(_blobs).where(_blobs.c.id == blob_id))
