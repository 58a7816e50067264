"""published results: when a published result was last revised

A result published with "A" (problem found, follow-up pending) becomes "E" (rectified on order)
when the department decides the rectification succeeded. The published row is revised in place
and the public sees the date of the revision next to the result.

Revision ID: 0015_published_revised
Revises: 0014_leads_indexes
Create Date: 2026-11-29 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0015_published_revised'
down_revision = '0014_leads_indexes'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('published_results', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revised_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('published_results', schema=None) as batch_op:
        batch_op.drop_column('revised_at')
