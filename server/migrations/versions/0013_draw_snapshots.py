"""draw snapshots as one compressed document per task instead of a row per candidate

Revision ID: 0013_draw_snapshots
Revises: 0012_leads
Create Date: 2026-11-29 07:10:00

Existing draws keep their snapshots: each task's draw_candidates rows are written out as the
canonical lines they were hashed as (sorted by row id) and compressed; the downgrade reads them
back into rows.
"""
import json
import zlib

import sqlalchemy as sa
from alembic import op

revision = '0013_draw_snapshots'
down_revision = '0012_leads'
branch_labels = None
depends_on = None

ENCODING = "jsonl+zlib"

snapshots = sa.table("draw_snapshots", sa.column("task_id", sa.Integer), sa.column("encoding", sa.String),
                     sa.column("row_count", sa.Integer), sa.column("byte_count", sa.BigInteger),
                     sa.column("content", sa.LargeBinary))
candidates = sa.table("draw_candidates", sa.column("task_id", sa.Integer), sa.column("row_id", sa.String),
                      sa.column("object_id", sa.Integer), sa.column("stratum", sa.String),
                      sa.column("weight", sa.Integer), sa.column("excluded", sa.String))


def _line(row_id, stratum, weight, excluded) -> str:
    # RFC 8785 of {"excluded", "id", "stratum", "weight"}: keys sorted, no spaces, non-ASCII kept.
    return json.dumps({"excluded": excluded, "id": row_id, "stratum": stratum, "weight": weight},
                      sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n"


def upgrade():
    op.create_table('draw_snapshots',
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('encoding', sa.String(length=16), nullable=False),
    sa.Column('row_count', sa.Integer(), nullable=False),
    sa.Column('byte_count', sa.BigInteger(), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['task_id'], ['tasks.id'], name=op.f('fk_draw_snapshots_task_id_tasks')),
    sa.PrimaryKeyConstraint('task_id', name=op.f('pk_draw_snapshots'))
    )
    conn = op.get_bind()
    task_ids = conn.execute(sa.select(candidates.c.task_id).distinct().order_by(candidates.c.task_id)).scalars().all()
    for task_id in task_ids:
        rows = conn.execute(sa.select(candidates.c.row_id, candidates.c.stratum, candidates.c.weight,
                                      candidates.c.excluded)
                            .where(candidates.c.task_id == task_id).order_by(candidates.c.row_id)).all()
        data = "".join(_line(*r) for r in rows).encode("utf-8")
        conn.execute(snapshots.insert().values(task_id=task_id, encoding=ENCODING, row_count=len(rows),
                                               byte_count=len(data), content=zlib.compress(data, 3)))
    op.drop_table('draw_candidates')


def downgrade():
    conn = op.get_bind()
    # Snapshots frozen since the weight rule is part of the draw plan carry the rule's columns
    # (status, last check, risk lists, complaints): a row per candidate here cannot hold them, and
    # dropping them would break those draws' snapshot_hash. Refuse rather than lose them.
    for task_id, content in conn.execute(sa.select(snapshots.c.task_id, snapshots.c.content)).all():
        if zlib.decompress(content).startswith(b'{"abnormal_list"'):
            raise RuntimeError(f"task {task_id}: its draw snapshot carries the weight rule's columns, which "
                               "draw_candidates cannot hold; downgrading below 0013 would break its snapshot_hash")
    op.create_table('draw_candidates',
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('row_id', sa.String(length=16), nullable=False),
    sa.Column('object_id', sa.Integer(), nullable=False),
    sa.Column('stratum', sa.String(length=8), nullable=False),
    sa.Column('weight', sa.Integer(), nullable=False),
    sa.Column('excluded', sa.String(length=40), nullable=True),
    sa.ForeignKeyConstraint(['task_id'], ['tasks.id'], name=op.f('fk_draw_candidates_task_id_tasks')),
    sa.PrimaryKeyConstraint('task_id', 'row_id', name=op.f('pk_draw_candidates'))
    )
    for task_id, content in conn.execute(sa.select(snapshots.c.task_id, snapshots.c.content)).all():
        rows = [json.loads(line) for line in zlib.decompress(content).decode("utf-8").splitlines()]
        if rows:
            conn.execute(candidates.insert(), [
                {"task_id": task_id, "row_id": r["id"], "object_id": int(r["id"]), "stratum": r["stratum"],
                 "weight": r["weight"], "excluded": r["excluded"]} for r in rows])
    op.drop_table('draw_snapshots')
