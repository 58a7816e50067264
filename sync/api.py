"""`/api/v1/sync/push` and `/api/v1/sync/pull`: thin handlers over the core."""
from __future__ import annotations

import time

from flask import current_app

from server.accounts.auth import current_principal, requires
from server.errors import PayloadTooLarge
from server.http import Blueprint, SafeParser, mark_unsafe
from server.observability import metrics

from . import gate
from . import pull as pull_mod
from . import push as push_mod
from .schemas import (MAX_MUTATIONS, PullArgsSchema, PullResultSchema, PushResultSchema, PushSchema, RejectionArgs,
                      RejectionSchema)



class PushParser(SafeParser):
    """A refused number inside one mutation's args rejects that mutation, not the batch (push.py)."""

    def quarantine(self, parsed):
        if isinstance(parsed, dict) and isinstance(parsed.get("mutations"), list):
            parsed = {**parsed, "mutations": [{**m, "args": mark_unsafe(m["args"])}
                                              if isinstance(m, dict) and "args" in m else m
                                              for m in parsed["mutations"]]}
        return parsed


class SyncBlueprint(Blueprint):
    ARGUMENTS_PARSER = PushParser()


blp = SyncBlueprint("sync", __name__, url_prefix="/api/v1/sync", description="现场数据同步（推送与拉取）")
gate.install(blp)


@blp.route("/push", methods=["POST"])
@requires()
@blp.arguments(PushSchema)
@blp.response(200, PushResultSchema)
def push(args):
    """推送本机的操作队列：逐条只执行一次，返回每条的结果"""
    if len(args["mutations"]) > MAX_MUTATIONS:
        raise PayloadTooLarge(f"一次最多推送 {MAX_MUTATIONS} 条操作，本次为 {len(args['mutations'])} 条。",
                              code="too_many_mutations", extra={"limit": MAX_MUTATIONS, "limit_name": "max_mutations"})
    t0 = time.perf_counter()
    result = push_mod.push(current_principal(), str(args["client_id"]), args["schema_version"], args["mutations"])
    metrics.observe_sync("push", time.perf_counter() - t0, result["results"])
    return result


@blp.route("/pull", methods=["GET"])
@requires()
@blp.arguments(PullArgsSchema, location="query")
@blp.response(200, PullResultSchema)
def pull(args):
    """拉取自上次游标以来与本人相关的变更；游标未知或过旧时返回完整快照"""
    with metrics.timed(metrics.SYNC_SECONDS, "pull"):
        return pull_mod.pull(current_principal(), str(args["client_id"]), args["cursor"], args["limit"],
                             current_app.config)


@blp.route("/rejections", methods=["GET"])
@requires()
@blp.arguments(RejectionArgs, location="query")
@blp.response(200, RejectionSchema(many=True))
def rejections(args):
    """本人被拒绝的操作（含服务器的中文说明），供“待处理”列表使用"""
    cid = str(args["client_id"]) if args["client_id"] else None
    return push_mod.rejections(current_principal(), cid)
