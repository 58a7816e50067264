"""inspector directory: inspectors, unavailable periods, conflict declarations, borrowing

Revision ID: 0003_inspectors
Revises: 0001
Create Date: 2026-11-28 16:34:46.091370

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy import Text  # noqa: F401  (JSONB astext_type)
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0003_inspectors'
down_revision = '0002_registry'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('inspector_borrowing',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('lender_department_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_by', sa.Integer(), nullable=True),
    sa.Column('revoke_reason', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_inspector_borrowing_created_by_users')),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_inspector_borrowing_department_id_departments')),
    sa.ForeignKeyConstraint(['lender_department_id'], ['departments.id'], name=op.f('fk_inspector_borrowing_lender_department_id_departments')),
    sa.ForeignKeyConstraint(['revoked_by'], ['users.id'], name=op.f('fk_inspector_borrowing_revoked_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspector_borrowing'))
    )
    with op.batch_alter_table('inspector_borrowing', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inspector_borrowing_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inspector_borrowing_lender_department_id'), ['lender_department_id'], unique=False)

    op.create_table('inspectors',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=True),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('cert_no', sa.String(length=32), nullable=True),
    sa.Column('cert_valid_from', sa.Date(), nullable=True),
    sa.Column('cert_valid_until', sa.Date(), nullable=True),
    sa.Column('post', sa.String(length=64), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('is_expert', sa.Boolean(), nullable=False),
    sa.Column('expert_org', sa.String(length=100), nullable=True),
    sa.Column('expert_org_type', sa.String(length=16), nullable=True),
    sa.Column('qualification_tags', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('expertise_tags', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_inspectors_department_id_departments')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_inspectors_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspectors')),
    sa.UniqueConstraint('cert_no', name=op.f('uq_inspectors_cert_no')),
    sa.UniqueConstraint('user_id', name=op.f('uq_inspectors_user_id'))
    )
    with op.batch_alter_table('inspectors', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inspectors_department_id'), ['department_id'], unique=False)

    # object_id has no foreign key yet: the object directory arrives with another migration.
    op.create_table('inspector_conflicts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('inspector_id', sa.Integer(), nullable=False),
    sa.Column('object_id', sa.Integer(), nullable=True),
    sa.Column('credit_code', sa.String(length=18), nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=True),
    sa.Column('declared_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('withdrawn_by', sa.Integer(), nullable=True),
    sa.Column('withdraw_reason', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['declared_by'], ['users.id'], name=op.f('fk_inspector_conflicts_declared_by_users')),
    sa.ForeignKeyConstraint(['inspector_id'], ['inspectors.id'], name=op.f('fk_inspector_conflicts_inspector_id_inspectors')),
    sa.ForeignKeyConstraint(['withdrawn_by'], ['users.id'], name=op.f('fk_inspector_conflicts_withdrawn_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspector_conflicts'))
    )
    with op.batch_alter_table('inspector_conflicts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inspector_conflicts_credit_code'), ['credit_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_inspector_conflicts_inspector_id'), ['inspector_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inspector_conflicts_object_id'), ['object_id'], unique=False)

    op.create_table('inspector_unavailability',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('inspector_id', sa.Integer(), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=False),
    sa.Column('reason', sa.String(length=16), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_inspector_unavailability_created_by_users')),
    sa.ForeignKeyConstraint(['inspector_id'], ['inspectors.id'], name=op.f('fk_inspector_unavailability_inspector_id_inspectors')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspector_unavailability'))
    )
    with op.batch_alter_table('inspector_unavailability', schema=None) as batch_op:
        batch_op.create_index('ix_inspector_unavailability_period', ['inspector_id', 'start_date', 'end_date'], unique=False)



def downgrade():
    with op.batch_alter_table('inspector_unavailability', schema=None) as batch_op:
        batch_op.drop_index('ix_inspector_unavailability_period')

    op.drop_table('inspector_unavailability')
    with op.batch_alter_table('inspector_conflicts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inspector_conflicts_object_id'))
        batch_op.drop_index(batch_op.f('ix_inspector_conflicts_inspector_id'))
        batch_op.drop_index(batch_op.f('ix_inspector_conflicts_credit_code'))

    op.drop_table('inspector_conflicts')
    with op.batch_alter_table('inspectors', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inspectors_department_id'))

    op.drop_table('inspectors')
    with op.batch_alter_table('inspector_borrowing', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inspector_borrowing_lender_department_id'))
        batch_op.drop_index(batch_op.f('ix_inspector_borrowing_department_id'))

    op.drop_table('inspector_borrowing')
