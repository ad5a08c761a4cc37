"""what each person's last invite or update told them, so the next update says what changed

Revision ID: e7a1c3d5f9b2
Revises: e5a7c9d1f3b2
Create Date: 2026-12-07 00:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e7a1c3d5f9b2'
down_revision = 'e5a7c9d1f3b2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sent_snapshot', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.drop_column('sent_snapshot')
