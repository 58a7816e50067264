"""per-department results of a joint check, and the check history per object

"谁检查、谁录入、谁负责" (Art. 20(3)) and Art. 6: each department that checked a joint record
enters and publishes the result of its own items. Reviews are keyed by (visit, department);
existing reviews become the initiating department's entry; comments and withholding requests
name the department whose entry they concern; published results name the publishing department
and their kind ("department", or the initiating department's "joint" summary).

`object_checks` keeps every entered check per object, department and item (the day the check
ended on site and the result codes), backfilled from the entered results; `object_dept_checks`
(the draw's "last checked" per department) is brought up to date from the same rows.

The archive retention triggers are dropped and created again around the table rebuilds
(SQLite rebuilds a table to change its key, which drops its triggers).

Revision ID: 0018_per_department_results
Revises: 0016_task_departments
Create Date: 2026-12-06 14:30:00.000000

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0018_per_department_results'
down_revision = '0016_task_departments'
branch_labels = None
depends_on = None

def _triggers(create: bool) -> None:
    from server.review import archive_ddl

    dialect = op.get_bind().dialect.name
    for stmt in (archive_ddl.create_statements(dialect) if create else archive_ddl.drop_statements(dialect)):
        op.execute(stmt)


def _initiating(table: str) -> str:
    return (f"UPDATE {table} SET department_id = (SELECT t.initiating_department_id FROM visits v "
            f"JOIN tasks t ON t.id = v.task_id WHERE v.id = {table}.visit_id)")


def upgrade():
    _triggers(create=False)
    op.create_table(
        'object_checks',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('object_id', sa.Integer(), nullable=False),
        sa.Column('department_id', sa.Integer(), nullable=False),
        sa.Column('item_code', sa.String(length=32), nullable=False),
        sa.Column('checked_on', sa.Date(), nullable=False),
        sa.Column('result_codes', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
        sa.Column('visit_id', sa.String(length=36), nullable=False),
        sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_object_checks_department_id_departments')),
        sa.ForeignKeyConstraint(['object_id'], ['objects.id'], name=op.f('fk_object_checks_object_id_objects'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_object_checks')),
        sa.UniqueConstraint('visit_id', 'department_id', 'item_code', name=op.f('uq_object_checks_visit_id_department_id_item_code')),
    )
    with op.batch_alter_table('object_checks', schema=None) as batch_op:
        batch_op.create_index('ix_object_checks_object', ['object_id', 'department_id', 'item_code', 'checked_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_object_checks_visit_id'), ['visit_id'], unique=False)

    # Reviews: one per (visit, department); the existing ones are the initiating department's.
    op.execute(_initiating('reviews'))
    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.drop_constraint('pk_reviews', type_='primary')
        batch_op.create_primary_key('pk_reviews', ['visit_id', 'department_id'])

    for table in ('review_comments', 'disclosure_requests'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('department_id', sa.Integer(), nullable=True))
        op.execute(_initiating(table))
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('department_id', existing_type=sa.Integer(), nullable=False)
            batch_op.create_foreign_key(f'fk_{table}_department_id_departments', 'departments', ['department_id'], ['id'])

    with op.batch_alter_table('published_results', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('department_id', sa.Integer(), nullable=True))
    op.execute("UPDATE published_results SET kind = 'department', department_id = initiating_department_id")
    with op.batch_alter_table('published_results', schema=None) as batch_op:
        batch_op.alter_column('kind', existing_type=sa.String(length=16), nullable=False)
        batch_op.alter_column('department_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key('fk_published_results_department_id_departments', 'departments', ['department_id'], ['id'])
        batch_op.drop_constraint('uq_published_results_visit_id', type_='unique')
        batch_op.create_unique_constraint('uq_published_results_visit_id_department_id_kind',
                                          ['visit_id', 'department_id', 'kind'])

    _backfill()
    _triggers(create=True)


def _backfill() -> None:
    """History rows from every entered result: the joint record was checked by every department
    whose item it covers, on the day the check ended, with the result entered for it."""
    op.execute(
        "INSERT INTO object_checks (object_id, department_id, item_code, checked_on, result_codes, visit_id, recorded_at) "
        "SELECT v.object_id, COALESCE(ci.department_id, t.initiating_department_id), ci.code, r.check_ended_on, "
        "r.result_codes, r.visit_id, COALESCE(r.entered_at, r.updated_at) "
        "FROM reviews r JOIN visits v ON v.id = r.visit_id JOIN tasks t ON t.id = r.task_id "
        "JOIN plan_task_items pti ON pti.task_id = t.plan_task_id JOIN check_items ci ON ci.id = pti.item_id "
        "WHERE r.status IN ('approved', 'published', 'withheld')")
    latest = ("SELECT object_id, department_id, MAX(checked_on) AS day FROM object_checks "
              "GROUP BY object_id, department_id")
    op.execute(
        f"UPDATE object_dept_checks SET last_checked_on = (SELECT l.day FROM ({latest}) l "
        "WHERE l.object_id = object_dept_checks.object_id AND l.department_id = object_dept_checks.department_id) "
        f"WHERE EXISTS (SELECT 1 FROM ({latest}) l WHERE l.object_id = object_dept_checks.object_id "
        "AND l.department_id = object_dept_checks.department_id AND l.day > object_dept_checks.last_checked_on)")
    op.execute(
        f"INSERT INTO object_dept_checks (object_id, department_id, last_checked_on) SELECT l.object_id, "
        f"l.department_id, l.day FROM ({latest}) l WHERE NOT EXISTS (SELECT 1 FROM object_dept_checks d "
        "WHERE d.object_id = l.object_id AND d.department_id = l.department_id)")


def downgrade():
    _triggers(create=False)
    # Only the initiating department's entry and row survive (the schema before held one per record).
    op.execute("DELETE FROM published_results WHERE kind <> 'department' OR department_id <> initiating_department_id")
    with op.batch_alter_table('published_results', schema=None) as batch_op:
        batch_op.drop_constraint('uq_published_results_visit_id_department_id_kind', type_='unique')
        batch_op.create_unique_constraint('uq_published_results_visit_id', ['visit_id'])
        batch_op.drop_constraint('fk_published_results_department_id_departments', type_='foreignkey')
        batch_op.drop_column('department_id')
        batch_op.drop_column('kind')
    for table in ('disclosure_requests', 'review_comments'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(f'fk_{table}_department_id_departments', type_='foreignkey')
            batch_op.drop_column('department_id')
    op.execute("DELETE FROM reviews WHERE department_id <> (SELECT t.initiating_department_id FROM tasks t "
               "WHERE t.id = reviews.task_id)")
    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.drop_constraint('pk_reviews', type_='primary')
        batch_op.create_primary_key('pk_reviews', ['visit_id'])
    with op.batch_alter_table('object_checks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_object_checks_visit_id'))
        batch_op.drop_index('ix_object_checks_object')
    op.drop_table('object_checks')
    _triggers(create=True)
