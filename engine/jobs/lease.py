"""The leader lease: one row per lease name, held by one process until it expires.

The leader renews it well before expiry; a process that finds the lease free or expired
takes it with one conditional UPDATE, so of two contenders exactly one wins (the row is
the arbiter, on PostgreSQL and on SQLite alike). A leader that fails to renew stops acting.
"""
from __future__ import annotations

import os
import socket
import uuid
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from engine.context import Context
from engine.models import SchedulerLease

LEASE = "supervision"


def holder_id() -> str:
    """Unique per process (host, pid, random), so a restarted process never inherits a lease by name."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _ensure_row(ctx: Context, name: str) -> None:
    with ctx.uow() as uow:
        if uow.session.get(SchedulerLease, name) is None:
            uow.session.add(SchedulerLease(name=name))
            try:
                uow.commit()
            except IntegrityError:
                pass  # another process created it meanwhile


def acquire(ctx: Context, holder: str, ttl: timedelta, name: str = LEASE, now: datetime | None = None) -> bool:
    """Take or renew the lease; True if `holder` holds it until now + ttl."""
    _ensure_row(ctx, name)
    now = now or ctx.clock.now()
    with ctx.uow() as uow:
        taken = uow.session.execute(
            update(SchedulerLease)
            .where(SchedulerLease.name == name,
                   or_(SchedulerLease.holder == holder, SchedulerLease.holder.is_(None),
                       SchedulerLease.expires_at < now))
            .values(holder=holder, expires_at=now + ttl, acquired_at=now)
        ).rowcount
        uow.commit()
    return taken == 1


def release(ctx: Context, holder: str, name: str = LEASE) -> None:
    with ctx.uow() as uow:
        uow.session.execute(update(SchedulerLease).where(SchedulerLease.name == name,
                                                         SchedulerLease.holder == holder)
                            .values(holder=None, expires_at=None))
        uow.commit()


def current(ctx: Context, name: str = LEASE) -> dict | None:
    with ctx.uow() as uow:
        row = uow.session.scalar(select(SchedulerLease).where(SchedulerLease.name == name))
        if row is None or row.holder is None:
            return None
        return {"holder": row.holder, "acquired_at": row.acquired_at.isoformat(),
                "expires_at": row.expires_at.isoformat()}
