"""In-app notifications, and e-mail when SMTP is configured (IPCASE_SMTP_HOST and friends).

`notify` is idempotent per (dedup key, recipient): a warning or breach recorded twice, by a
retried sweep or a second scheduler, still reaches each person once.
"""
from __future__ import annotations

import os
import smtplib
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from typing import Iterable, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.context import Context
from engine.errors import NotFound
from engine.models import Case, Notification, Role, Unit, User, UserRole
from engine.services import lookups
from engine.store.insert_new import insert_new

EMAIL_DOMAIN_ENV = "IPCASE_MAIL_DOMAIN"


def users_with_role(session: Session, unit_id: int, role: str | Role | None, upwards: bool = False) -> list[int]:
    """Active users of `role` in the unit (and, with `upwards`, in every unit above it)."""
    return users_with_role_by_unit(session, [unit_id], role, upwards=upwards)[unit_id]


def users_with_role_by_unit(session: Session, unit_ids: Iterable[int], role: str | Role | None,
                            upwards: bool = False) -> dict[int, list[int]]:
    """`users_with_role` for many units in two queries: unit id -> user ids (by id)."""
    unit_ids = set(unit_ids)
    if role is None or not unit_ids:
        return {unit_id: [] for unit_id in unit_ids}
    chains = _chains_upwards(session, unit_ids) if upwards else {unit_id: {unit_id} for unit_id in unit_ids}
    wanted = set().union(*chains.values())
    rows = session.execute(select(User.unit_id, User.id).join(UserRole, UserRole.user_id == User.id).where(
        User.unit_id.in_(wanted), User.active.is_(True), UserRole.role == Role(role)).order_by(User.id)).all()
    return {unit_id: [uid for unit, uid in rows if unit in chain] for unit_id, chain in chains.items()}


def _chains_upwards(session: Session, unit_ids: set[int]) -> dict[int, set[int]]:
    """Each unit with every unit above it (the unit tree is small: read whole)."""
    parents = dict(session.execute(select(Unit.id, Unit.parent_id)).all())
    chains = {}
    for unit_id in unit_ids:
        chain, current = {unit_id}, parents.get(unit_id)
        while current is not None and current not in chain:
            chain.add(current)
            current = parents.get(current)
        chains[unit_id] = chain
    return chains


@dataclass(frozen=True)
class Notice:
    """One message to several people, sent once per (dedup, recipient)."""

    user_ids: tuple[int, ...]
    kind: str
    case_id: int | None
    dedup: str
    subject: str
    body: str


def notify(session: Session, user_ids: Iterable[int | None], kind: str, case: Case | None, now: datetime,
           dedup: str, *, subject: str, body: str) -> list[Notification]:
    """One notification per recipient, skipping those already sent under `dedup`."""
    notice = Notice(tuple(uid for uid in user_ids if uid is not None), kind, case.id if case else None, dedup,
                    subject, body)
    rows = _rows([notice], now)
    if not rows:
        return []
    have = set(session.scalars(select(Notification.dedup).where(Notification.dedup.in_([r["dedup"] for r in rows]))))
    made = [Notification(**row) for row in rows if row["dedup"] not in have]
    session.add_all(made)
    return made


def notify_many(session: Session, notices: Iterable[Notice], now: datetime) -> None:
    """`notify` for a batch: one INSERT sent for all, skipping what was sent before."""
    insert_new(session, Notification.__table__, _rows(list(notices), now), key=("dedup",))


def _rows(notices: list[Notice], now: datetime) -> list[dict]:
    """The notification rows of `notices`, one per (dedup, recipient), in order."""
    wanted: dict[str, tuple[Notice, int]] = {}
    for n in notices:
        for uid in n.user_ids:
            wanted.setdefault(f"{n.dedup}:u{uid}", (n, uid))
    return [{"user_id": uid, "case_id": n.case_id, "kind": n.kind, "subject": n.subject[:200], "body": n.body,
             "dedup": key, "created_at": now, "read_at": None, "emailed_at": None}
            for key, (n, uid) in wanted.items()]


def _view(n: Notification, numbers: dict[int, str]) -> dict:
    return {"id": n.id, "kind": n.kind, "subject": n.subject, "body": n.body, "case": numbers.get(n.case_id),
            "created_at": n.created_at.isoformat(), "read": n.read_at is not None}


def list_for(ctx: Context, *, username: str, unread_only: bool = False, limit: int = 100) -> list[dict]:
    with ctx.uow() as uow:
        s = uow.session
        user = lookups.user(s, username)
        query = select(Notification).where(Notification.user_id == user.id)
        if unread_only:
            query = query.where(Notification.read_at.is_(None))
        rows = s.scalars(query.order_by(Notification.id.desc()).limit(limit)).all()
        ids = {n.case_id for n in rows if n.case_id}
        numbers = dict(s.execute(select(Case.id, Case.number).where(Case.id.in_(ids))).all()) if ids else {}
        return [_view(n, numbers) for n in rows]


def unread_count(ctx: Context, *, username: str) -> int:
    with ctx.uow() as uow:
        user = lookups.user(uow.session, username)
        return len(uow.session.scalars(select(Notification.id).where(
            Notification.user_id == user.id, Notification.read_at.is_(None)).limit(1000)).all())


def mark_read(ctx: Context, *, username: str, notification_id: int | None = None) -> int:
    """Mark one (or, without an id, every) notification of the user read; returns how many."""
    with ctx.uow() as uow:
        s = uow.session
        user = lookups.user(s, username)
        query = select(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
        if notification_id is not None:
            query = query.where(Notification.id == notification_id)
        rows = s.scalars(query).all()
        if notification_id is not None and not rows:
            exists = s.scalar(select(Notification.id).where(Notification.id == notification_id,
                                                           Notification.user_id == user.id))
            if exists is None:
                raise NotFound("No notification {id}.", id=notification_id)
        for n in rows:
            n.read_at = ctx.clock.now()
        uow.commit()
        return len(rows)


# --- e-mail ------------------------------------------------------------------------------------

class Sender(Protocol):
    def send(self, to: str, subject: str, body: str) -> None: ...


@dataclass
class SmtpSender:
    host: str
    port: int = 25
    user: str | None = None
    password: str | None = None
    sender: str = "ipcase@localhost"
    starttls: bool = False

    @classmethod
    def from_env(cls) -> "SmtpSender | None":
        host = os.environ.get("IPCASE_SMTP_HOST")
        if not host:
            return None
        return cls(host=host, port=int(os.environ.get("IPCASE_SMTP_PORT", "25")),
                   user=os.environ.get("IPCASE_SMTP_USER"), password=os.environ.get("IPCASE_SMTP_PASSWORD"),
                   sender=os.environ.get("IPCASE_SMTP_FROM", "ipcase@localhost"),
                   starttls=os.environ.get("IPCASE_SMTP_STARTTLS", "") in ("1", "true", "yes"))

    def send(self, to: str, subject: str, body: str) -> None:
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = self.sender, to, subject
        msg.set_content(body)
        with smtplib.SMTP(self.host, self.port, timeout=30) as smtp:
            if self.starttls:
                smtp.starttls()
            if self.user:
                smtp.login(self.user, self.password or "")
            smtp.send_message(msg)


def address_of(user: User) -> str | None:
    """Users have no e-mail column yet: IPCASE_MAIL_DOMAIN maps `zhang.san` to zhang.san@domain."""
    domain = os.environ.get(EMAIL_DOMAIN_ENV)
    return f"{user.username}@{domain}" if domain else None


def send_pending(ctx: Context, sender: Sender | None, limit: int = 200, address=address_of) -> int:
    """Mail notifications not mailed yet (oldest first); without a sender, nothing happens.

    Each one is marked in its own transaction right after it is sent, so a failing server
    stops the run without mailing anyone twice; the rest go out on the next run.
    """
    if sender is None:
        return 0
    sent = 0
    for _ in range(limit):
        with ctx.uow() as uow:
            s = uow.session
            n = s.scalar(select(Notification).where(Notification.emailed_at.is_(None))
                         .order_by(Notification.id).limit(1).with_for_update(skip_locked=True))
            if n is None:
                break
            to = address(s.get(User, n.user_id))
            if to:
                sender.send(to, n.subject, n.body)
                sent += 1
            n.emailed_at = ctx.clock.now()  # also when there is no address: never retried forever
            uow.commit()
    return sent
