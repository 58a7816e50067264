"""Client registration: a client_id belongs to the user and device that first used it."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from server.errors import Forbidden
from server.extensions import db
from server.types import utcnow

from .models import SyncClient


def claim(principal, client_id: str, lock: bool = False) -> SyncClient:
    """The caller's client row (created on first use); someone else's is 403."""
    stmt = select(SyncClient).where(SyncClient.client_id == client_id)
    if lock:
        stmt = stmt.with_for_update()
    client = db.session.execute(stmt).scalar_one_or_none()
    if client is None:
        try:
            with db.session.begin_nested():
                client = SyncClient(client_id=client_id, user_id=principal.user_id, device_id=principal.device_id,
                                    last_mutation_id=0, created_at=utcnow())
                db.session.add(client)
        except IntegrityError:
            client = db.session.execute(stmt).scalar_one()
    return check_owner(principal, client)


def check_owner(principal, client: SyncClient) -> SyncClient:
    """`client` if it is the caller's (user and device); someone else's is 403."""
    if client.user_id != principal.user_id or client.device_id != principal.device_id:
        raise Forbidden("该客户端标识属于其他用户或设备。", code="client_not_yours")
    return client
