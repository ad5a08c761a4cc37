"""pending rosters in the database: the import page's checked file, readable from any app host (was a file under instance/uploads)

Revision ID: c4e6a8b0d2f3
Revises: a3c5e7f9b1d4
Create Date: 2026-12-08 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c4e6a8b0d2f3'
down_revision = 'a3c5e7f9b1d4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('pending_rosters',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=255), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('size >= 0 AND size <= 10485760', name=op.f('ck_pending_rosters_size_bounded')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_pending_rosters_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pending_rosters')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_pending_rosters_token_hash'))
    )
    with op.batch_alter_table('pending_rosters', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pending_rosters_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_pending_rosters_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('pending_rosters', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pending_rosters_user_id'))
        batch_op.drop_index(batch_op.f('ix_pending_rosters_created_at'))

    op.drop_table('pending_rosters')
