"""objects: room on each page for updates in place (fillfactor 85, PostgreSQL)

A directory feed rewrites tens of thousands of objects a night (status, lists, complaints,
credit class). With full pages (the default fillfactor 100, and a first load by COPY fills them)
every such update is a new row version on another page plus an entry in each of the table's seven
indexes; with room on the page, one that changes no indexed column stays on its page and touches
no index (a HOT update). Measured on a million objects: the 10,000-row UPDATE of a delta chunk
from ~0.55 s to ~0.17 s. Pages already written keep their fill until they are rewritten (VACUUM
FULL, or as rows move); SQLite has no such setting.

Revision ID: 0030_objects_fillfactor
Revises: 0027_security_rest
Create Date: 2026-12-06 20:40:00.000000

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0030_objects_fillfactor'
down_revision = '0027_security_rest'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE objects SET (fillfactor = 85)")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE objects RESET (fillfactor)")
