"""the lending department's consent to a borrowing agreement (dsr-team-v2, Art. 17)

Revision ID: 0024_team_v2
Revises: 0029_method_choice
Create Date: 2026-12-06 17:50:00.000000

Agreements recorded before stay without consent: the lending department's admin consents
(POST /api/v1/inspectors/borrowing/<id>/consent) before a draw may use them.
"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0024_team_v2'
down_revision = '0029_method_choice'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('inspector_borrowing', schema=None) as batch_op:
        batch_op.add_column(sa.Column('consented_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('consented_by', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('consent_note', sa.String(length=200), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_inspector_borrowing_consented_by_users'), 'users',
                                    ['consented_by'], ['id'])


def downgrade():
    with op.batch_alter_table('inspector_borrowing', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_inspector_borrowing_consented_by_users'), type_='foreignkey')
        batch_op.drop_column('consent_note')
        batch_op.drop_column('consented_by')
        batch_op.drop_column('consented_at')
