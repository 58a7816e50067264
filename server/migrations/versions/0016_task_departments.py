"""task departments: one row per department of a task, for the task-scoped read rule in SQL

"Staff of the task's departments may read" was checked in Python against the task's JSON list of
participating departments, after a LIMIT: a department's older tasks vanished from its list once
there were more. The rows here let every feature filter in SQL (`server/draws/access.py`).
Backfilled from the tasks' initiating department and participating_department_ids.

Revision ID: 0016_task_departments
Revises: 0015_published_revised
Create Date: 2026-12-06 10:00:00.000000

"""
import json

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0016_task_departments'
down_revision = '0015_published_revised'
branch_labels = None
depends_on = None


def upgrade():
    table = op.create_table(
        'task_departments',
        sa.Column('task_id', sa.Integer(), nullable=False),
        sa.Column('department_id', sa.Integer(), nullable=False),
        sa.Column('initiating', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_task_departments_department_id_departments')),
        sa.ForeignKeyConstraint(['task_id'], ['tasks.id'], name=op.f('fk_task_departments_task_id_tasks'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('task_id', 'department_id', name=op.f('pk_task_departments')),
    )
    with op.batch_alter_table('task_departments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_task_departments_department_id'), ['department_id'], unique=False)
    conn = op.get_bind()
    rows = []
    for task_id, initiating, participating in conn.execute(sa.text(
            "SELECT id, initiating_department_id, participating_department_ids FROM tasks")):
        if isinstance(participating, str):
            participating = json.loads(participating)
        depts = dict.fromkeys([initiating, *(participating or [])])
        rows += [{"task_id": task_id, "department_id": d, "initiating": d == initiating} for d in depts]
    if rows:
        op.bulk_insert(table, rows)


def downgrade():
    with op.batch_alter_table('task_departments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_task_departments_department_id'))
    op.drop_table('task_departments')
