"""calendar replies from the mailbox that were not applied, kept for the organizers

Revision ID: e5a7c9d1f3b2
Revises: d2f4a6c8e0b1
Create Date: 2026-12-07 00:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e5a7c9d1f3b2'
down_revision = 'd2f4a6c8e0b1'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'unapplied_replies',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('meeting_id', sa.Integer(), nullable=False),
        sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('sender', sa.String(length=500), nullable=False),
        sa.Column('attendee', sa.String(length=320), nullable=False),
        sa.Column('partstat', sa.String(length=40), nullable=False),
        sa.Column('reason', sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_unapplied_replies_meeting_id_meetings'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_unapplied_replies')),
    )
    op.create_index('ix_unapplied_replies_meeting', 'unapplied_replies', ['meeting_id', 'received_at'], unique=False)


def downgrade():
    op.drop_index('ix_unapplied_replies_meeting', table_name='unapplied_replies')
    op.drop_table('unapplied_replies')
