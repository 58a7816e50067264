"""joint-team handoff by QR code: handed-over sections, their mutations, content mismatches

Revision ID: 0025_handoff
Revises: 0024_team_v2
Create Date: 2026-12-06 17:30:00.000000

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0025_handoff'
down_revision = '0024_team_v2'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BIGPK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade():
    op.create_table(
        'visit_handoffs',
        sa.Column('id', BIGPK, nullable=False),
        sa.Column('visit_id', sa.String(length=36), nullable=False),
        sa.Column('member_user_id', sa.Integer(), nullable=False),
        sa.Column('client_id', sa.String(length=36), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('section_sha256', sa.String(length=64), nullable=False),
        sa.Column('handed_at', sa.String(length=40), nullable=False),
        sa.Column('mutation_count', sa.Integer(), nullable=False),
        sa.Column('received_by', sa.Integer(), nullable=False),
        sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_visit_handoffs_visit_id_visits')),
        sa.ForeignKeyConstraint(['member_user_id'], ['users.id'], name=op.f('fk_visit_handoffs_member_user_id_users')),
        sa.ForeignKeyConstraint(['received_by'], ['users.id'], name=op.f('fk_visit_handoffs_received_by_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_visit_handoffs')),
        sa.UniqueConstraint('visit_id', 'section_sha256', name=op.f('uq_visit_handoffs_visit_id_section_sha256')),
    )
    with op.batch_alter_table('visit_handoffs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visit_handoffs_visit_id'), ['visit_id'], unique=False)
    op.create_table(
        'visit_handoff_mutations',
        sa.Column('client_id', sa.String(length=36), nullable=False),
        sa.Column('mutation_id', sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column('visit_id', sa.String(length=36), nullable=False),
        sa.Column('handoff_id', BIGPK, nullable=False),
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('args', JSON, nullable=False),
        sa.Column('args_sha256', sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_visit_handoff_mutations_visit_id_visits')),
        sa.ForeignKeyConstraint(['handoff_id'], ['visit_handoffs.id'], name=op.f('fk_visit_handoff_mutations_handoff_id_visit_handoffs')),
        sa.PrimaryKeyConstraint('client_id', 'mutation_id', name=op.f('pk_visit_handoff_mutations')),
    )
    with op.batch_alter_table('visit_handoff_mutations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visit_handoff_mutations_visit_id'), ['visit_id'], unique=False)
    op.create_table(
        'visit_content_mismatches',
        sa.Column('id', BIGPK, nullable=False),
        sa.Column('visit_id', sa.String(length=36), nullable=False),
        sa.Column('member_user_id', sa.Integer(), nullable=False),
        sa.Column('client_id', sa.String(length=36), nullable=False),
        sa.Column('mutation_id', sa.BigInteger(), nullable=True),
        sa.Column('field', sa.String(length=120), nullable=False),
        sa.Column('signed', JSON, nullable=True),
        sa.Column('arrived', JSON, nullable=True),
        sa.Column('source', sa.String(length=16), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_visit_content_mismatches_visit_id_visits')),
        sa.ForeignKeyConstraint(['member_user_id'], ['users.id'], name=op.f('fk_visit_content_mismatches_member_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_visit_content_mismatches')),
    )
    with op.batch_alter_table('visit_content_mismatches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visit_content_mismatches_visit_id'), ['visit_id'], unique=False)


def downgrade():
    op.drop_table('visit_content_mismatches')
    op.drop_table('visit_handoff_mutations')
    op.drop_table('visit_handoffs')
