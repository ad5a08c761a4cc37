"""meeting materials: files, their versions and bytes, the access log, and when they are due

Revision ID: f6da736fcfcb
Revises: e7a1c3d5f9b2
Create Date: 2026-12-07 00:16:06.599884

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f6da736fcfcb'
down_revision = 'e7a1c3d5f9b2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('material_blobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('size >= 0', name=op.f('ck_material_blobs_size_not_negative')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_material_blobs'))
    )
    op.create_table('materials',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('agenda_item_id', sa.Integer(), nullable=True),
    sa.Column('speaker_person_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('audience', sa.Enum('all', 'chosen', 'organizers', name='material_audience', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('audience_roles', sa.JSON(), nullable=False),
    sa.Column('audience_site_ids', sa.JSON(), nullable=False),
    sa.Column('confidential', sa.Boolean(), nullable=False),
    sa.Column('current_version', sa.Integer(), nullable=False),
    sa.Column('notice_pending', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('current_version >= 1', name=op.f('ck_materials_has_a_version')),
    sa.ForeignKeyConstraint(['agenda_item_id'], ['agenda_items.id'], name=op.f('fk_materials_agenda_item_id_agenda_items'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_materials_meeting_id_meetings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['speaker_person_id'], ['people.id'], name=op.f('fk_materials_speaker_person_id_people'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_materials'))
    )
    with op.batch_alter_table('materials', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_materials_agenda_item_id'), ['agenda_item_id'], unique=False)
        batch_op.create_index('ix_materials_meeting', ['meeting_id', 'id'], unique=False)
        batch_op.create_index('uq_materials_one_per_speaker_item', ['agenda_item_id', 'speaker_person_id'], unique=True, sqlite_where=sa.text('speaker_person_id IS NOT NULL'), postgresql_where=sa.text('speaker_person_id IS NOT NULL'))

    op.create_table('material_accesses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('material_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('action', sa.Enum('view', 'download', name='material_access_action', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('via', sa.String(length=20), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('invitation_id', sa.Integer(), nullable=True),
    sa.Column('site_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('user_id IS NOT NULL OR invitation_id IS NOT NULL OR site_id IS NOT NULL', name=op.f('ck_material_accesses_has_someone')),
    sa.ForeignKeyConstraint(['invitation_id'], ['invitations.id'], name=op.f('fk_material_accesses_invitation_id_invitations'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['material_id'], ['materials.id'], name=op.f('fk_material_accesses_material_id_materials'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_material_accesses_site_id_sites'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_material_accesses_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_material_accesses'))
    )
    with op.batch_alter_table('material_accesses', schema=None) as batch_op:
        batch_op.create_index('ix_material_accesses_material_at', ['material_id', 'at'], unique=False)

    op.create_table('material_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('material_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('storage_ref', sa.String(length=200), nullable=False),
    sa.Column('uploader_user_id', sa.Integer(), nullable=True),
    sa.Column('uploader_invitation_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('number >= 1', name=op.f('ck_material_versions_number_positive')),
    sa.CheckConstraint('size > 0', name=op.f('ck_material_versions_not_empty')),
    sa.CheckConstraint('uploader_user_id IS NULL OR uploader_invitation_id IS NULL', name=op.f('ck_material_versions_one_uploader')),
    sa.ForeignKeyConstraint(['material_id'], ['materials.id'], name=op.f('fk_material_versions_material_id_materials'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploader_invitation_id'], ['invitations.id'], name=op.f('fk_material_versions_uploader_invitation_id_invitations'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['uploader_user_id'], ['users.id'], name=op.f('fk_material_versions_uploader_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_material_versions')),
    sa.UniqueConstraint('material_id', 'number', name='uq_material_versions_number')
    )
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('materials_due', sa.DateTime(timezone=True), nullable=True))



def downgrade():
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.drop_column('materials_due')

    op.drop_table('material_versions')
    with op.batch_alter_table('material_accesses', schema=None) as batch_op:
        batch_op.drop_index('ix_material_accesses_material_at')

    op.drop_table('material_accesses')
    with op.batch_alter_table('materials', schema=None) as batch_op:
        batch_op.drop_index('uq_materials_one_per_speaker_item', sqlite_where=sa.text('speaker_person_id IS NOT NULL'), postgresql_where=sa.text('speaker_person_id IS NOT NULL'))
        batch_op.drop_index('ix_materials_meeting')
        batch_op.drop_index(batch_op.f('ix_materials_agenda_item_id'))

    op.drop_table('materials')
    op.drop_table('material_blobs')
