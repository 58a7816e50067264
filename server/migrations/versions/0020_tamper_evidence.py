"""tamper evidence: sealed records and published results refuse UPDATE (revisions only)

Triggers by name (server/review/sealed_ddl.py): a sealed record's row keeps its sealed columns,
its answers, findings, media references and signatures are never updated, amendments never;
a published result changes only by a revision (result, result_codes and a later revised_at).
And audit_witnesses: auditors' public keys that countersign checkpoints.

Revision ID: 0020_tamper_evidence
Revises: 0016_task_departments
Create Date: 2026-12-06 14:30:00.000000

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0020_tamper_evidence'
down_revision = '0021_check_methods'
branch_labels = None
depends_on = None


def upgrade():
    from server.review import sealed_ddl

    op.create_table('audit_witnesses',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('public_key', sa.String(length=64), nullable=False),
    sa.Column('key_id', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_witnesses')),
    sa.UniqueConstraint('public_key', name=op.f('uq_audit_witnesses_public_key'))
    )
    dialect = op.get_bind().dialect.name
    for stmt in sealed_ddl.drop_statements(dialect) + sealed_ddl.create_statements(dialect):
        op.execute(stmt)


def downgrade():
    from server.review import sealed_ddl

    for stmt in sealed_ddl.drop_statements(op.get_bind().dialect.name):
        op.execute(stmt)
    op.drop_table('audit_witnesses')
