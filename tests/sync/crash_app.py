"""WSGI app for the crash-safety test: the real app plus one test-only mutator, `test.stall`.

`test.stall` writes its worker's pid to $CRASH_MARKER and then sleeps, so the test can
SIGKILL the worker while the batch's earlier mutations are applied but not committed.
Once the marker exists it does nothing (the replay after the crash goes through).
"""
from __future__ import annotations

import os
import time

from marshmallow import fields

from server import create_app
from server.schemas import BaseSchema
from sync.registry import mutator

app = create_app()


class StallArgs(BaseSchema):
    key = fields.String(required=True)


@mutator("test.stall", StallArgs())
def _stall(ctx, args):
    marker = os.environ.get("CRASH_MARKER")
    if not marker or os.path.exists(marker):
        return None
    with open(marker + ".tmp", "w") as f:
        f.write(str(os.getpid()))
    os.replace(marker + ".tmp", marker)
    time.sleep(120)
    return None
