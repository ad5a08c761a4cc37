"""confirmations owed on the invitation, due when the scheduler queues them (an answer is one UPDATE)

The answer's UPDATE also says when its confirmation email is due; the scheduler queues the ones
that have come due.

Revision ID: e8b0d2f4a6c1
Revises: d5f7b9c1e3a2
Create Date: 2026-12-07 12:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e8b0d2f4a6c1'
down_revision = 'd5f7b9c1e3a2'
branch_labels = None
depends_on = None

OWED = "confirmation_due_at IS NOT NULL"


def upgrade():
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('confirmation_due_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_invitations_confirmation_due', ['confirmation_due_at'], unique=False,
                              sqlite_where=sa.text(OWED), postgresql_where=sa.text(OWED))


def downgrade():
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.drop_index('ix_invitations_confirmation_due')
        batch_op.drop_column('confirmation_due_at')
