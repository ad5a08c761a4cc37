"""revisions of the minutes' notes: each save (coalesced per author and minute), who and when

Revision ID: d5f7b9c1e3a2
Revises: c4e6a8b0d2f1
Create Date: 2026-12-07 04:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd5f7b9c1e3a2'
down_revision = 'c4e6a8b0d2f1'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('minutes_notes_revisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('minutes_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('notes', sa.JSON(), nullable=False),
    sa.Column('author', sa.String(length=254), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('saved_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('number >= 1', name=op.f('ck_minutes_notes_revisions_number_positive')),
    sa.ForeignKeyConstraint(['minutes_id'], ['minutes.id'], name=op.f('fk_minutes_notes_revisions_minutes_id_minutes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_minutes_notes_revisions')),
    sa.UniqueConstraint('minutes_id', 'number', name='uq_minutes_notes_revisions_number')
    )


def downgrade():
    op.drop_table('minutes_notes_revisions')
