"""Building feed files and posting them (issue 22)."""
from __future__ import annotations

import csv
import io
import json

from tests.server.registry.helpers import P, code

FEEDS = f"{P}/feeds"


def jsonl(batch_id: str, source: str, sequence: int, records: list, encoding: str = "utf-8") -> bytes:
    lines = [json.dumps({"batch": {"id": batch_id, "source": source, "sequence": sequence}}, ensure_ascii=False)]
    lines += [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in records]
    return ("\n".join(lines) + "\n").encode(encoding)


def feed_csv(batch_id: str, source: str, sequence: int, records: list[dict], encoding: str = "utf-8") -> bytes:
    columns = ["batch_id", "source", "sequence"] + sorted({k for r in records for k in r})
    out = io.StringIO()
    w = csv.DictWriter(out, columns)
    w.writeheader()
    for r in records:
        w.writerow({"batch_id": batch_id, "source": source, "sequence": sequence, **r})
    return out.getvalue().encode(encoding)


def post(client, headers, body: bytes, name: str = "batch.jsonl", dry_run: bool = False):
    data = {"file": (io.BytesIO(body), name)}
    if dry_run:
        data["dry_run"] = "true"
    return client.post(FEEDS, headers=headers, data=data, content_type="multipart/form-data")


def entity(name: str, credit_code: str | None = None, **extra) -> dict:
    return {"kind": "object", "name": name, "credit_code": credit_code or code(), **extra}


__all__ = ["FEEDS", "jsonl", "feed_csv", "post", "entity", "code"]
