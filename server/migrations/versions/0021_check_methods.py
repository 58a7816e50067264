"""check methods, stamps, identity documents, the on-site end of the check

Art. 19/20(1): a record states its method's own evidence (``method_details``); the day the
check ended on site comes from the phone (``check_ended_at``, bound into the content).
Art. 20(3): the party confirms by signature or by the company stamp (``kind``), with an
identity document of its own type (``id_type``); a refusal without a witness states why
none was necessary (``no_witness_reason``).

Revision ID: 0021_check_methods
Revises: 0016_task_departments
Create Date: 2026-12-06 14:30:00.000000

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0021_check_methods'
down_revision = '0018_per_department_results'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMN on both databases: no table is rebuilt, so the archive's triggers stay.
    op.add_column('visit_records', sa.Column('check_ended_at', sa.String(length=40), nullable=True))
    op.add_column('visit_records', sa.Column(
        'method_details', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=True))
    op.add_column('visit_signatures', sa.Column('kind', sa.String(length=16), nullable=False, server_default='signature'))
    op.add_column('visit_signatures', sa.Column('id_type', sa.String(length=24), nullable=True))
    op.add_column('visit_signatures', sa.Column('no_witness_reason', sa.Text(), nullable=True))


def downgrade():
    # Plain DROP COLUMN (SQLite >= 3.35): rebuilding visit_records in batch mode would break the
    # archive's triggers that name it (visit_answers_retention and the others).
    for table, column in (('visit_signatures', 'no_witness_reason'), ('visit_signatures', 'id_type'),
                          ('visit_signatures', 'kind'), ('visit_records', 'method_details'),
                          ('visit_records', 'check_ended_at')):
        op.drop_column(table, column)
