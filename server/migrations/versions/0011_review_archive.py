"""archive retention: the policy row and triggers that keep sealed records for its period

Revision ID: 0011_review_archive
Revises: 0010_draws_visits_review
Create Date: 2026-11-29 02:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0011_review_archive'
down_revision = '0010_draws_visits_review'
branch_labels = None
depends_on = None


def upgrade():
    from server.review import archive_ddl

    op.create_table('archive_policy',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('retention_years', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('retention_years >= 2', name=op.f('ck_archive_policy_retention_at_least_2_years')),
    sa.CheckConstraint('id = 1', name=op.f('ck_archive_policy_single_row')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_archive_policy'))
    )
    op.execute(sa.text("INSERT INTO archive_policy (id, retention_years, updated_at) VALUES (1, 2, CURRENT_TIMESTAMP)"))
    for stmt in archive_ddl.create_statements(op.get_bind().dialect.name):
        op.execute(stmt)


def downgrade():
    from server.review import archive_ddl

    for stmt in archive_ddl.drop_statements(op.get_bind().dialect.name):
        op.execute(stmt)
    op.drop_table('archive_policy')
