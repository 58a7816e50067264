"""issue 19 rest: a published row's `kind` and `department_id` are fixed columns too; users may be
required to change their password

The published-result trigger is re-created by name (server/review/sealed_ddl.py) with `kind` and
`department_id` among the columns no revision changes, on SQLite and PostgreSQL.

Revision ID: 0027_security_rest
Revises: 0025_handoff
Create Date: 2026-12-06 17:20:00.000000

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0027_security_rest'
down_revision = '0025_handoff'
branch_labels = None
depends_on = None


def _rebuild_triggers():
    from server.review import sealed_ddl

    dialect = op.get_bind().dialect.name
    for stmt in sealed_ddl.drop_statements(dialect) + sealed_ddl.create_statements(dialect):
        op.execute(stmt)


def upgrade():
    # A plain ADD COLUMN with a constant default (no batch rebuild of `users`: see downgrade()).
    op.add_column('users', sa.Column('must_change_password', sa.Boolean(), server_default=sa.false(), nullable=False))
    _rebuild_triggers()


def downgrade():
    # The triggers stay (with the wider column list): they only refuse what no path does.
    # A plain DROP COLUMN (SQLite ≥ 3.35): a batch rebuild would drop and re-create `users`, which
    # every other table references, and SQLite refuses that with its foreign keys on.
    op.drop_column('users', 'must_change_password')
