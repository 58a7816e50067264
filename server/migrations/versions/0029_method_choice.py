"""the method of a check chosen per visit: the plan task's default, the leader's choice

Art. 19/20(1): the plan task states the default method of its visits (``default_method``,
null = on-site); the team leader, or the plan's department, may choose another one for a
visit before it starts (``visits.planned_method``, null = the task's default). The phone and
the desk follow it.

Revision ID: 0029_method_choice
Revises: 0023_objections
Create Date: 2026-12-06 17:30:00.000000

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0029_method_choice'
down_revision = '0023_objections'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMN on both databases: no table is rebuilt, so triggers naming them stay.
    op.add_column('plan_tasks', sa.Column('default_method', sa.String(length=16), nullable=True))
    op.add_column('visits', sa.Column('planned_method', sa.String(length=16), nullable=True))
    op.add_column('visits', sa.Column('method_planned_by', sa.Integer(), nullable=True))


def downgrade():
    for table, column in (('visits', 'method_planned_by'), ('visits', 'planned_method'),
                          ('plan_tasks', 'default_method')):
        op.drop_column(table, column)
