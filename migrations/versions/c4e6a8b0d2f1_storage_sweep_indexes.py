"""indexes for the storage's sweep of unreferenced blobs: blobs by age, and the columns that reference them

Revision ID: c4e6a8b0d2f1
Revises: c4e6a8b0d2f3
Create Date: 2026-12-07 04:00:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'c4e6a8b0d2f1'
down_revision = 'c4e6a8b0d2f3'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('material_blobs', schema=None) as batch_op:
        batch_op.create_index('ix_material_blobs_created_at', ['created_at', 'id'], unique=False)
    with op.batch_alter_table('material_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_material_versions_storage_ref'), ['storage_ref'], unique=False)
    with op.batch_alter_table('action_evidence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_action_evidence_ref'), ['ref'], unique=False)


def downgrade():
    with op.batch_alter_table('action_evidence', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_action_evidence_ref'))
    with op.batch_alter_table('material_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_material_versions_storage_ref'))
    with op.batch_alter_table('material_blobs', schema=None) as batch_op:
        batch_op.drop_index('ix_material_blobs_created_at')
