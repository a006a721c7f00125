"""Supervision (督办): the supervisor's dashboard (overdue and at-risk clocks by unit, pipeline,
step and age), drill-down and export (CSV, Excel), supervision orders and their replies.

Counts are SQL aggregates over open clocks in the viewer's units; drill-down lists only
the matching cases. Orders and replies are audited on the case, so they are on its timeline.
"""
from __future__ import annotations

import csv
import io
from datetime import date, datetime

from sqlalchemy import and_, case as sql_case, func, select
from sqlalchemy.orm import Session

from engine.clocks.catalogue import catalogue
from engine.clocks.deadlines import end_of_day, local_date
from engine.context import Context
from engine.errors import Conflict, Forbidden, Invalid, NotFound
from engine.models import Case, CaseClock, Role, SupervisionOrder, SupervisionReply, Unit, User
from engine.services import access, audit, lookups, notifications

AGE_BUCKETS = (("1-3", 1, 3), ("4-7", 4, 7), ("8-30", 8, 30), (">30", 31, None))
STATUSES = ("overdue", "at_risk")


def _open():
    return and_(CaseClock.stopped_at.is_(None), CaseClock.state != "paused")


def _overdue(now: datetime):
    return and_(_open(), CaseClock.due_at <= now)


def _at_risk(now: datetime):
    return and_(_open(), CaseClock.due_at > now, CaseClock.warn_at <= now)


def _scope(session: Session, user: User) -> set[int]:
    if not (user.roles & {Role.SUPERVISOR, Role.UNIT_HEAD, Role.ADMIN}):
        raise Forbidden("The supervision dashboard is for supervisors and unit heads.")
    return access.visible_unit_ids(session, user)


def totals_for(session: Session, user: User, now: datetime) -> dict:
    units = access.visible_unit_ids(session, user)
    overdue, at_risk = session.execute(
        select(func.coalesce(func.sum(sql_case((_overdue(now), 1), else_=0)), 0),
               func.coalesce(func.sum(sql_case((_at_risk(now), 1), else_=0)), 0))
        .where(CaseClock.stopped_at.is_(None), CaseClock.unit_id.in_(units))).one()
    orders_open = session.scalar(select(func.count(SupervisionOrder.id)).where(
        SupervisionOrder.unit_id.in_(units), SupervisionOrder.status == "open"))
    return {"overdue": int(overdue), "at_risk": int(at_risk), "orders_open": int(orders_open or 0)}


def _bucket(days: int) -> str:
    for name, low, high in AGE_BUCKETS:
        if days >= low and (high is None or days <= high):
            return name
    return AGE_BUCKETS[0][0]


def dashboard(ctx: Context, *, username: str, unit: str | None = None, pipeline: str | None = None) -> dict:
    """Overdue and at-risk counts by unit, pipeline, step (the case's current step) and age bucket."""
    with ctx.uow() as uow:
        s = uow.session
        now = ctx.clock.now()
        user = lookups.user(s, username)
        units = _scope(s, user)
        if unit:
            units &= {lookups.unit(s, unit).id}
        base = [CaseClock.stopped_at.is_(None), CaseClock.unit_id.in_(units)]
        if pipeline:
            base.append(CaseClock.pipeline == pipeline)
        over = func.coalesce(func.sum(sql_case((_overdue(now), 1), else_=0)), 0)
        risk = func.coalesce(func.sum(sql_case((_at_risk(now), 1), else_=0)), 0)

        def grouped(*cols, join_case=False):
            query = select(*cols, over, risk).where(*base)
            if join_case:
                query = query.join(Case, Case.id == CaseClock.case_id)
            return s.execute(query.group_by(*cols).order_by(*cols)).all()

        by_unit = s.execute(select(Unit.code, Unit.name, over, risk).join(Unit, Unit.id == CaseClock.unit_id)
                            .where(*base).group_by(Unit.code, Unit.name).order_by(Unit.code)).all()
        by_pipeline = grouped(CaseClock.pipeline)
        by_step = grouped(Case.stage, join_case=True)
        by_rule = grouped(CaseClock.rule)
        overdue_due = s.scalars(select(CaseClock.due_date).where(*base, _overdue(now))).all()
        today = local_date(now)
        ages = {name: 0 for name, _, _ in AGE_BUCKETS}
        for due in overdue_due:
            ages[_bucket((today - due).days)] += 1
        order_rows = s.execute(select(SupervisionOrder.status, func.count(SupervisionOrder.id))
                               .where(SupervisionOrder.unit_id.in_(units)).group_by(SupervisionOrder.status)).all()
        orders_overdue = s.scalar(select(func.count(SupervisionOrder.id)).where(
            SupervisionOrder.unit_id.in_(units), SupervisionOrder.status == "open",
            SupervisionOrder.reply_due_at <= now))
        gaps = s.scalar(select(func.count(CaseClock.id)).where(*base, CaseClock.calendar_gap.is_(True)))
        cat = catalogue()
        from engine.services.holidays import gap_warning, load_calendar
        cal = load_calendar(s)
        missing = [y for y in (today.year, today.year + 1) if y not in set(cal.covered_years())]

        def rows(items, keys):
            return [{**dict(zip(keys, r[:len(keys)])), "overdue": int(r[-2]), "at_risk": int(r[-1])}
                    for r in items if r[-2] or r[-1]]

        return {
            "generated_at": now.isoformat(),
            "totals": {"overdue": sum(ages.values()), "at_risk": sum(int(r[-1]) for r in by_unit),
                       "orders": dict((k, int(v)) for k, v in order_rows), "orders_overdue": int(orders_overdue or 0),
                       "clocks_without_holiday_data": int(gaps or 0)},
            "by_unit": rows(by_unit, ["unit", "unit_name"]),
            "by_pipeline": rows(by_pipeline, ["pipeline"]),
            "by_step": rows(by_step, ["step"]),
            "by_rule": [{**r, "label": cat.rules[r["rule"]].label if r["rule"] in cat.rules else None}
                        for r in rows(by_rule, ["rule"])],
            "by_age": [{"bucket": name, "overdue": ages[name]} for name, _, _ in AGE_BUCKETS],
            "calendar_warnings": [gap_warning(y) for y in missing],
        }


def drill_down(ctx: Context, *, username: str, status: str = "overdue", unit: str | None = None,
               pipeline: str | None = None, step: str | None = None, bucket: str | None = None,
               rule: str | None = None, limit: int = 500) -> list[dict]:
    """The clocks behind one dashboard count, most overdue first."""
    if status not in STATUSES:
        raise Invalid("Status must be one of {choices}.", errors={"status": ["unknown"]}, choices=", ".join(STATUSES))
    if bucket is not None and bucket not in {b for b, _, _ in AGE_BUCKETS}:
        raise Invalid("Unknown age bucket {bucket}.", errors={"bucket": ["unknown"]}, bucket=bucket)
    with ctx.uow() as uow:
        s = uow.session
        now = ctx.clock.now()
        user = lookups.user(s, username)
        units = _scope(s, user)
        if unit:
            units &= {lookups.unit(s, unit).id}
        query = (select(CaseClock, Case, Unit).join(Case, Case.id == CaseClock.case_id)
                 .join(Unit, Unit.id == CaseClock.unit_id)
                 .where(CaseClock.stopped_at.is_(None), CaseClock.unit_id.in_(units),
                        _overdue(now) if status == "overdue" else _at_risk(now)))
        if pipeline:
            query = query.where(CaseClock.pipeline == pipeline)
        if step:
            query = query.where(Case.stage == step)
        if rule:
            query = query.where(CaseClock.rule == rule)
        today = local_date(now)
        cat = catalogue()
        out = []
        for clock, case, u in s.execute(query.order_by(CaseClock.due_at, CaseClock.id).limit(limit)):
            days = (today - clock.due_date).days
            if bucket and (status != "overdue" or _bucket(days) != bucket):
                continue
            label = cat.rules[clock.rule].label if clock.rule in cat.rules else {"zh": clock.rule, "en": clock.rule}
            out.append({"case": case.number, "title": case.title, "unit": u.code, "unit_name": u.name,
                        "pipeline": clock.pipeline, "step": case.stage, "rule": clock.rule,
                        "rule_zh": label.get("zh"), "rule_en": label.get("en"), "state": clock.state,
                        "due_date": clock.due_date.isoformat(), "days_overdue": max(days, 0),
                        "days_left": max(-days, 0), "calendar_gap": clock.calendar_gap})
        return out


EXPORT_COLUMNS = [("case", "案件编号"), ("title", "案由"), ("unit_name", "办案单位"), ("pipeline", "流程"),
                  ("step", "当前环节"), ("rule_zh", "期限"), ("state", "状态"), ("due_date", "到期日"),
                  ("days_overdue", "超期天数"), ("days_left", "剩余天数")]


def export_csv(rows: list[dict]) -> bytes:
    """UTF-8 with a byte-order mark, so Excel opens the Chinese text correctly."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow([title for _, title in EXPORT_COLUMNS])
    for r in rows:
        writer.writerow([r.get(k) for k, _ in EXPORT_COLUMNS])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def export_xlsx(rows: list[dict], title: str = "督办") -> bytes:
    from openpyxl import Workbook
    wb = Workbook()
    ws = wb.active
    ws.title = title[:31]
    ws.append([t for _, t in EXPORT_COLUMNS])
    for r in rows:
        ws.append([r.get(k) for k, _ in EXPORT_COLUMNS])
    ws.freeze_panes = "A2"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# --- orders -------------------------------------------------------------------------------------------

def _order_view(order: SupervisionOrder, case: Case, names: dict[int, str]) -> dict:
    return {"id": order.id, "case": case.number, "case_title": case.title, "unit": order.unit_id,
            "issued_by": names.get(order.issued_by_id), "issued_at": order.issued_at.isoformat(),
            "instruction": order.instruction, "reply_due": order.reply_due.isoformat(), "status": order.status,
            "overdue": order.status == "open" and order.escalated_at is not None,
            "replies": [{"by": names.get(r.replied_by_id), "at": r.replied_at.isoformat(), "progress": r.progress,
                         "planned_date": r.planned_date.isoformat() if r.planned_date else None}
                        for r in order.replies]}


def _names(session: Session, orders: list[SupervisionOrder]) -> dict[int, str]:
    ids = {o.issued_by_id for o in orders} | {r.replied_by_id for o in orders for r in o.replies}
    return dict(session.execute(select(User.id, User.full_name).where(User.id.in_(ids))).all()) if ids else {}


def issue_order(ctx: Context, *, username: str, number: str, instruction: str,
                reply_due: date | None = None) -> dict:
    """A supervisor orders the handling unit to act on a case and report by `reply_due`."""
    if not instruction or not instruction.strip():
        raise Invalid("An instruction is required.", errors={"instruction": ["required"]})
    with ctx.uow() as uow:
        s = uow.session
        now = ctx.clock.now()
        user = lookups.user(s, username)
        if not user.has_role(Role.SUPERVISOR):
            raise Forbidden("Only supervisors issue supervision orders.")
        case = lookups.case(s, number)
        from engine.services.cases import ensure_visible
        ensure_visible(ctx, s, user, case)
        today = local_date(now)
        if reply_due is None:
            from engine.clocks.calendar import compute_due
            from engine.services.holidays import load_calendar
            rule = catalogue().get("supervision_reply")
            reply_due = compute_due(load_calendar(s), today, rule.length, rule.unit).due
        if reply_due < today:
            raise Invalid("The reply deadline cannot be in the past.", errors={"reply_due": ["past"]})
        order = SupervisionOrder(case_id=case.id, unit_id=case.unit_id, issued_by_id=user.id, issued_at=now,
                                 instruction=instruction.strip(), reply_due=reply_due,
                                 reply_due_at=end_of_day(reply_due), status="open",
                                 next_check_at=end_of_day(reply_due))
        s.add(order)
        s.flush()
        audit.record(s, at=now, action="supervision.order_issued", actor=user, case=case,
                     details={"order": order.id, "instruction": order.instruction,
                              "reply_due": reply_due.isoformat()})
        heads = notifications.users_with_role(s, case.unit_id, Role.UNIT_HEAD)
        notifications.notify(s, heads, "order", case, now, f"order:{order.id}",
                             subject=f"督办通知：{case.number}",
                             body=f"{order.instruction}（请于{reply_due.isoformat()}前回复）")
        view = _order_view(order, case, _names(s, [order]))
        uow.commit()
        return view


def _order(session: Session, order_id: int) -> SupervisionOrder:
    order = session.get(SupervisionOrder, order_id, with_for_update=True)
    if order is None:
        raise NotFound("No supervision order {id}.", id=order_id)
    return order


def reply_order(ctx: Context, *, username: str, order_id: int, progress: str,
                planned_date: date | None = None) -> dict:
    """The handling unit's head reports progress and the planned completion date."""
    if not progress or not progress.strip():
        raise Invalid("Progress is required.", errors={"progress": ["required"]})
    with ctx.uow() as uow:
        s = uow.session
        now = ctx.clock.now()
        user = lookups.user(s, username)
        order = _order(s, order_id)
        if not (user.has_role(Role.UNIT_HEAD) and user.unit_id == order.unit_id):
            raise Forbidden("Only the head of the handling unit replies to order {id}.", id=order_id)
        if order.status == "closed":
            raise Conflict("Supervision order {id} is closed.", id=order_id)
        if planned_date is not None and planned_date < local_date(now):
            raise Invalid("The planned date cannot be in the past.", errors={"planned_date": ["past"]})
        s.add(SupervisionReply(order_id=order.id, replied_by_id=user.id, replied_at=now, progress=progress.strip(),
                               planned_date=planned_date))
        order.status, order.next_check_at = "replied", None
        case = s.get(Case, order.case_id)
        audit.record(s, at=now, action="supervision.order_replied", actor=user, case=case,
                     details={"order": order.id, "progress": progress.strip(),
                              "planned_date": planned_date.isoformat() if planned_date else None})
        n = len(order.replies) + 1
        notifications.notify(s, [order.issued_by_id], "reply", case, now, f"reply:{order.id}:{n}",
                             subject=f"督办回复：{case.number}", body=progress.strip())
        s.flush()
        s.refresh(order)
        view = _order_view(order, case, _names(s, [order]))
        uow.commit()
        return view


def close_order(ctx: Context, *, username: str, order_id: int, note: str = "") -> dict:
    with ctx.uow() as uow:
        s = uow.session
        now = ctx.clock.now()
        user = lookups.user(s, username)
        order = _order(s, order_id)
        if not user.has_role(Role.SUPERVISOR):
            raise Forbidden("Only supervisors close supervision orders.")
        if order.status == "closed":
            raise Conflict("Supervision order {id} is already closed.", id=order_id)
        order.status, order.closed_at, order.next_check_at = "closed", now, None
        case = s.get(Case, order.case_id)
        audit.record(s, at=now, action="supervision.order_closed", actor=user, case=case,
                     details={"order": order.id, "note": note})
        view = _order_view(order, case, _names(s, [order]))
        uow.commit()
        return view


def list_orders(ctx: Context, *, username: str, status: str | None = None) -> list[dict]:
    with ctx.uow() as uow:
        s = uow.session
        user = lookups.user(s, username)
        units = access.visible_unit_ids(s, user)
        query = select(SupervisionOrder).where(SupervisionOrder.unit_id.in_(units))
        if status:
            query = query.where(SupervisionOrder.status == status)
        orders = s.scalars(query.order_by(SupervisionOrder.reply_due, SupervisionOrder.id)).all()
        cases = {c.id: c for c in s.scalars(select(Case).where(Case.id.in_({o.case_id for o in orders})))}
        names = _names(s, list(orders))
        return [_order_view(o, cases[o.case_id], names) for o in orders]


def case_orders(session: Session, case: Case) -> list[dict]:
    orders = session.scalars(select(SupervisionOrder).where(SupervisionOrder.case_id == case.id)
                             .order_by(SupervisionOrder.id)).all()
    names = _names(session, list(orders))
    return [_order_view(o, case, names) for o in orders]
