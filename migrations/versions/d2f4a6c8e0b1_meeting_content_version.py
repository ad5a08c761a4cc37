"""a meeting's content version, for pages rendered once per version

Revision ID: d2f4a6c8e0b1
Revises: b4ac89833fef
Create Date: 2026-11-25 15:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd2f4a6c8e0b1'
down_revision = 'b4ac89833fef'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('content_version', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.drop_column('content_version')
