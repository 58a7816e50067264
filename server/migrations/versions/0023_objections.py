"""objections (异议) to published results, and when a published result was corrected on one

Revision ID: 0023_objections
Revises: 0021_check_methods
Create Date: 2026-12-06 15:00:00.000000

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0023_objections'
down_revision = '0019_registry_feeds'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade():
    with op.batch_alter_table('published_results', schema=None) as batch_op:
        batch_op.add_column(sa.Column('corrected_at', sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        'result_objections',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('reference', sa.String(length=24), nullable=False),
        sa.Column('result_id', sa.Integer(), nullable=False),
        sa.Column('visit_id', sa.String(length=36), nullable=False),
        sa.Column('department_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('contact', sa.String(length=100), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('filed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('decision_reason', sa.Text(), nullable=True),
        sa.Column('decided_by', sa.Integer(), nullable=True),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('result_before', JSON, nullable=True),
        sa.Column('result_after', JSON, nullable=True),
        sa.ForeignKeyConstraint(['result_id'], ['published_results.id'], name=op.f('fk_result_objections_result_id_published_results')),
        sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_result_objections_visit_id_visits')),
        sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_result_objections_department_id_departments')),
        sa.ForeignKeyConstraint(['decided_by'], ['users.id'], name=op.f('fk_result_objections_decided_by_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_result_objections')),
        sa.UniqueConstraint('reference', name=op.f('uq_result_objections_reference')),
    )
    with op.batch_alter_table('result_objections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_result_objections_result_id'), ['result_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_result_objections_visit_id'), ['visit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_result_objections_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_result_objections_status'), ['status'], unique=False)


def downgrade():
    op.drop_table('result_objections')
    with op.batch_alter_table('published_results', schema=None) as batch_op:
        batch_op.drop_column('corrected_at')
