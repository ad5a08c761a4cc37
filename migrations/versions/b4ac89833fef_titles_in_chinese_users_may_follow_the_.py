"""titles in Chinese; users may follow the browser's language

Revision ID: b4ac89833fef
Revises: 86a8e164bdc9
Create Date: 2026-11-25 11:57:37.363643

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b4ac89833fef'
down_revision = '86a8e164bdc9'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('agenda_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('title_zh', sa.String(length=200), server_default='', nullable=False))

    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('title_zh', sa.String(length=200), server_default='', nullable=False))

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('language',
               existing_type=sa.VARCHAR(length=16),
               nullable=True)
    # Nobody could choose a language before this revision; "en" was only the column's default.
    op.execute("UPDATE users SET language = NULL")


def downgrade():
    op.execute("UPDATE users SET language = 'en' WHERE language IS NULL")
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('language',
               existing_type=sa.VARCHAR(length=16),
               nullable=False)

    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.drop_column('title_zh')

    with op.batch_alter_table('agenda_items', schema=None) as batch_op:
        batch_op.drop_column('title_zh')
