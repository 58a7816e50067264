"""object directory

Revision ID: 0002_registry
Revises: 0001
Create Date: 2026-11-28 16:05:01.355942

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy import Text  # noqa: F401  (JSONB astext_type)
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0002_registry'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    # Scratch rows of running imports (duplicate detection inside one file); no FK on purpose.
    op.create_table('import_seen_keys',
    sa.Column('job_id', sa.String(length=32), nullable=False),
    sa.Column('match_key', sa.String(length=64), nullable=False),
    sa.Column('row_number', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('job_id', 'match_key', name=op.f('pk_import_seen_keys'))
    )
    op.create_table('objects',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('object_type', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('credit_code', sa.String(length=18), nullable=True),
    sa.Column('credit_code_override', sa.String(length=500), nullable=True),
    sa.Column('match_key', sa.String(length=64), nullable=False),
    sa.Column('legal_rep_name', sa.String(length=64), nullable=True),
    sa.Column('legal_rep_id_protected', sa.Text(), nullable=True),
    sa.Column('legal_rep_id_hash', sa.String(length=64), nullable=True),
    sa.Column('legal_rep_id_masked', sa.String(length=18), nullable=True),
    sa.Column('phone', sa.String(length=32), nullable=True),
    sa.Column('registered_address', sa.String(length=300), nullable=True),
    sa.Column('business_address', sa.String(length=300), nullable=True),
    sa.Column('region_code', sa.String(length=6), nullable=True),
    sa.Column('industry', sa.String(length=100), nullable=True),
    sa.Column('registration_status', sa.String(length=16), nullable=False),
    sa.Column('online', sa.Boolean(), nullable=False),
    sa.Column('shop_url', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_objects')),
    sa.UniqueConstraint('credit_code', name=op.f('uq_objects_credit_code')),
    sa.UniqueConstraint('match_key', name=op.f('uq_objects_match_key'))
    )
    with op.batch_alter_table('objects', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_objects_legal_rep_id_hash'), ['legal_rep_id_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_objects_object_type'), ['object_type'], unique=False)
        batch_op.create_index(batch_op.f('ix_objects_region_code'), ['region_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_objects_registration_status'), ['registration_status'], unique=False)

    op.create_table('object_credit',
    sa.Column('object_id', sa.Integer(), nullable=False),
    sa.Column('risk_class', sa.String(length=1), nullable=True),
    sa.Column('abnormal_list', sa.Boolean(), nullable=False),
    sa.Column('serious_violation_list', sa.Boolean(), nullable=False),
    sa.Column('complaint_count', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['object_id'], ['objects.id'], name=op.f('fk_object_credit_object_id_objects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('object_id', name=op.f('pk_object_credit'))
    )
    op.create_table('object_dept_checks',
    sa.Column('object_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('last_checked_on', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_object_dept_checks_department_id_departments')),
    sa.ForeignKeyConstraint(['object_id'], ['objects.id'], name=op.f('fk_object_dept_checks_object_id_objects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('object_id', 'department_id', name=op.f('pk_object_dept_checks'))
    )
    op.create_table('sub_libraries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('description', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_sub_libraries_department_id_departments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sub_libraries')),
    sa.UniqueConstraint('code', name=op.f('uq_sub_libraries_code')),
    sa.UniqueConstraint('name', name=op.f('uq_sub_libraries_name'))
    )
    with op.batch_alter_table('sub_libraries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sub_libraries_department_id'), ['department_id'], unique=False)

    op.create_table('import_jobs',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('file_sha256', sa.String(length=64), nullable=False),
    sa.Column('file_size', sa.BigInteger(), nullable=False),
    sa.Column('format', sa.String(length=8), nullable=False),
    sa.Column('mode', sa.String(length=8), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('headers', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('ignored_columns', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('rows_total', sa.Integer(), nullable=True),
    sa.Column('rows_processed', sa.Integer(), nullable=False),
    sa.Column('created', sa.Integer(), nullable=False),
    sa.Column('updated', sa.Integer(), nullable=False),
    sa.Column('unchanged', sa.Integer(), nullable=False),
    sa.Column('rejected', sa.Integer(), nullable=False),
    sa.Column('error', sa.String(length=1000), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_import_jobs_created_by_users')),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_import_jobs_department_id_departments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_jobs'))
    )
    with op.batch_alter_table('import_jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_jobs_department_id'), ['department_id'], unique=False)

    op.create_table('object_sub_libraries',
    sa.Column('object_id', sa.Integer(), nullable=False),
    sa.Column('sub_library_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['object_id'], ['objects.id'], name=op.f('fk_object_sub_libraries_object_id_objects'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['sub_library_id'], ['sub_libraries.id'], name=op.f('fk_object_sub_libraries_sub_library_id_sub_libraries')),
    sa.PrimaryKeyConstraint('object_id', 'sub_library_id', name=op.f('pk_object_sub_libraries'))
    )
    with op.batch_alter_table('object_sub_libraries', schema=None) as batch_op:
        batch_op.create_index('ix_object_sub_libraries_sub', ['sub_library_id', 'object_id'], unique=False)

    op.create_table('import_row_errors',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('job_id', sa.String(length=32), nullable=False),
    sa.Column('row_number', sa.Integer(), nullable=False),
    sa.Column('column', sa.String(length=100), nullable=True),
    sa.Column('value', sa.String(length=500), nullable=True),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('message', sa.String(length=500), nullable=False),
    sa.Column('raw', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=True),
    sa.ForeignKeyConstraint(['job_id'], ['import_jobs.id'], name=op.f('fk_import_row_errors_job_id_import_jobs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_row_errors'))
    )
    with op.batch_alter_table('import_row_errors', schema=None) as batch_op:
        batch_op.create_index('ix_import_row_errors_job', ['job_id', 'id'], unique=False)



def downgrade():
    with op.batch_alter_table('import_row_errors', schema=None) as batch_op:
        batch_op.drop_index('ix_import_row_errors_job')

    op.drop_table('import_row_errors')
    with op.batch_alter_table('object_sub_libraries', schema=None) as batch_op:
        batch_op.drop_index('ix_object_sub_libraries_sub')

    op.drop_table('object_sub_libraries')
    with op.batch_alter_table('import_jobs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_import_jobs_department_id'))

    op.drop_table('import_jobs')
    with op.batch_alter_table('sub_libraries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sub_libraries_department_id'))

    op.drop_table('sub_libraries')
    op.drop_table('object_dept_checks')
    op.drop_table('object_credit')
    with op.batch_alter_table('objects', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_objects_registration_status'))
        batch_op.drop_index(batch_op.f('ix_objects_region_code'))
        batch_op.drop_index(batch_op.f('ix_objects_object_type'))
        batch_op.drop_index(batch_op.f('ix_objects_legal_rep_id_hash'))

    op.drop_table('objects')
    op.drop_table('import_seen_keys')
