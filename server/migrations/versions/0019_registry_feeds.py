"""registry feeds: batches and their refusals, list stays, complaint months, status changes; visits
flagged when a feed closes their object (issue 22)

Revision ID: 0019_registry_feeds
Revises: 0016_task_departments
Create Date: 2026-12-06 14:17:52.787836

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy import Text  # noqa: F401  (JSONB astext_type)
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0019_registry_feeds'
down_revision = '0020_tamper_evidence'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('feed_sources',
    sa.Column('source', sa.String(length=64), nullable=False),
    sa.Column('last_sequence', sa.Integer(), nullable=False),
    sa.Column('last_batch_id', sa.String(length=64), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('source', name=op.f('pk_feed_sources'))
    )
    op.create_table('object_complaint_months',
    sa.Column('object_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['object_id'], ['objects.id'], name=op.f('fk_object_complaint_months_object_id_objects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('object_id', 'period', name=op.f('pk_object_complaint_months'))
    )
    op.create_table('object_list_entries',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('object_id', sa.Integer(), nullable=False),
    sa.Column('list', sa.String(length=24), nullable=False),
    sa.Column('entered_on', sa.Date(), nullable=False),
    sa.Column('entry_reason', sa.String(length=500), nullable=True),
    sa.Column('entry_batch', sa.String(length=64), nullable=True),
    sa.Column('removed_on', sa.Date(), nullable=True),
    sa.Column('removal_reason', sa.String(length=500), nullable=True),
    sa.Column('removal_batch', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['object_id'], ['objects.id'], name=op.f('fk_object_list_entries_object_id_objects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_object_list_entries'))
    )
    with op.batch_alter_table('object_list_entries', schema=None) as batch_op:
        batch_op.create_index('ix_object_list_entries_object', ['object_id', 'list'], unique=False)

    op.create_table('object_status_changes',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('object_id', sa.Integer(), nullable=False),
    sa.Column('from_status', sa.String(length=16), nullable=True),
    sa.Column('to_status', sa.String(length=16), nullable=False),
    sa.Column('changed_on', sa.Date(), nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.Column('batch_id', sa.String(length=64), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['object_id'], ['objects.id'], name=op.f('fk_object_status_changes_object_id_objects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_object_status_changes'))
    )
    with op.batch_alter_table('object_status_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_object_status_changes_object_id'), ['object_id'], unique=False)

    op.create_table('feed_batches',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('source', sa.String(length=64), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('file_sha256', sa.String(length=64), nullable=False),
    sa.Column('format', sa.String(length=8), nullable=False),
    sa.Column('encoding', sa.String(length=16), nullable=False),
    sa.Column('records', sa.Integer(), nullable=False),
    sa.Column('applied', sa.Integer(), nullable=False),
    sa.Column('unchanged', sa.Integer(), nullable=False),
    sa.Column('refused', sa.Integer(), nullable=False),
    sa.Column('counts', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('closed_objects', sa.Integer(), nullable=False),
    sa.Column('flagged_visits', sa.Integer(), nullable=False),
    sa.Column('received_by', sa.Integer(), nullable=True),
    sa.Column('received_via', sa.String(length=8), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('seconds', sa.Float(), nullable=True),
    sa.ForeignKeyConstraint(['received_by'], ['users.id'], name=op.f('fk_feed_batches_received_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feed_batches')),
    sa.UniqueConstraint('source', 'sequence', name=op.f('uq_feed_batches_source_sequence'))
    )
    op.create_table('feed_refusals',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('batch_id', sa.String(length=64), nullable=False),
    sa.Column('line', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=True),
    sa.Column('credit_code', sa.String(length=64), nullable=True),
    sa.Column('field', sa.String(length=64), nullable=True),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('message', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['feed_batches.id'], name=op.f('fk_feed_refusals_batch_id_feed_batches'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feed_refusals'))
    )
    with op.batch_alter_table('feed_refusals', schema=None) as batch_op:
        batch_op.create_index('ix_feed_refusals_batch', ['batch_id', 'line'], unique=False)

    # Plain ALTER TABLE (SQLite ≥ 3.35 adds and drops columns in place): a batch copy of `visits` would
    # drop the table and, with foreign keys on, cascade to its members.
    op.add_column('visits', sa.Column('object_closed_status', sa.String(length=16), nullable=True))
    op.add_column('visits', sa.Column('object_closed_on', sa.Date(), nullable=True))
    op.add_column('visits', sa.Column('object_closed_batch', sa.String(length=64), nullable=True))



def downgrade():
    op.drop_column('visits', 'object_closed_batch')
    op.drop_column('visits', 'object_closed_on')
    op.drop_column('visits', 'object_closed_status')

    with op.batch_alter_table('feed_refusals', schema=None) as batch_op:
        batch_op.drop_index('ix_feed_refusals_batch')

    op.drop_table('feed_refusals')
    op.drop_table('feed_batches')
    with op.batch_alter_table('object_status_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_object_status_changes_object_id'))

    op.drop_table('object_status_changes')
    with op.batch_alter_table('object_list_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_object_list_entries_object')

    op.drop_table('object_list_entries')
    op.drop_table('object_complaint_months')
    op.drop_table('feed_sources')
