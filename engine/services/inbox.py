"""The web inbox: tabs, filters, sorts and keyset pages over task rows, plus what a user may do with a task.

Every tab is one SQL query on human_tasks whose leading columns match an index
(state + assignee, or state + unit + role; see HumanTask.__table_args__).
"""
from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Boolean, and_, exists, false, func, or_, select
from sqlalchemy.orm import Session

from engine import assignment
from engine.context import Context
from engine.errors import Invalid
from engine.models import Case, CaseNumber, HumanTask, IPType, Party, Role, User
from engine.models.workflow import OPEN, has_ip_type
from engine.services import access, lookups, views

LOCAL_TZ = ZoneInfo("Asia/Shanghai")
TABS = ("mine", "group", "involved")
SORTS = ("due", "created", "priority")
DUE_SOON = timedelta(days=2)
PAGE_SIZE = 25


@dataclass(frozen=True)
class Filters:
    pipeline: str | None = None
    step: str | None = None
    due_from: date | None = None
    due_to: date | None = None
    overdue: bool = False
    ip_type: str | None = None
    party: str | None = None
    number: str | None = None

    @classmethod
    def parse(cls, raw: dict) -> "Filters":
        """From query-string values (strings, blanks ignored); bad values raise Invalid per field."""
        errors: dict[str, list[str]] = {}
        values: dict = {}
        for key in ("pipeline", "step", "party", "number"):
            text = (raw.get(key) or "").strip()
            if text:
                values[key] = text[:200]
        ip_type = (raw.get("ip_type") or "").strip()
        if ip_type:
            if ip_type not in {t.value for t in IPType}:
                errors["ip_type"] = ["Unknown IP type."]
            values["ip_type"] = ip_type
        for key in ("due_from", "due_to"):
            text = (raw.get(key) or "").strip()
            if text:
                try:
                    values[key] = date.fromisoformat(text)
                except ValueError:
                    errors[key] = ["Not a valid date."]
        values["overdue"] = str(raw.get("overdue") or "").lower() in ("1", "on", "true", "y", "yes")
        if errors:
            raise Invalid("The filters have errors: {fields}.", errors=errors, fields=", ".join(sorted(errors)))
        return cls(**values)


@dataclass
class Page:
    tab: str
    sort: str
    rows: list[dict]
    counts: dict[str, int]
    next_cursor: str | None = None
    filters: Filters = field(default_factory=Filters)


def tab_condition(user: User, tab: str):
    if tab == "mine":
        return HumanTask.assignee_id == user.id
    if tab == "group":
        roles = [r.value for r in user.roles]
        return and_(HumanTask.assignee_id.is_(None), HumanTask.unit_id == user.unit_id,
                    HumanTask.role.in_(roles) if roles else false())
    # Involved: open tasks of cases the user opened or worked on, in the user's scope.
    worked = select(HumanTask.case_id).where(HumanTask.completed_by_id == user.id)
    opened = select(Case.id).where(Case.opened_by_id == user.id)
    return HumanTask.case_id.in_(worked.union(opened))


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=LOCAL_TZ)


def _party_matches(text: str, dialect: str):
    """Party names containing the text; on PostgreSQL, two characters (华为, 张三) hold no trigram
    for the pg_trgm index, so they also ask the bigram index (migration 0007), which LIKE implies."""
    contains = Party.name.contains(text, autoescape=True)
    if dialect != "postgresql" or len(text) != 2:
        return contains
    bigrams = func.ipcase_bigrams(Party.name).op("@>", return_type=Boolean)(func.ipcase_bigrams(text))
    return and_(contains, bigrams)


def _filter_conditions(f: Filters, now: datetime, dialect: str) -> list:
    conds = []
    if f.pipeline:
        conds.append(HumanTask.case_id.in_(select(Case.id).where(Case.pipeline == f.pipeline)))
    if f.step:
        conds.append(HumanTask.bpmn_id == f.step)
    if f.due_from:
        conds.append(HumanTask.due_at >= _local_midnight(f.due_from))
    if f.due_to:
        conds.append(HumanTask.due_at < _local_midnight(f.due_to + timedelta(days=1)))
    if f.overdue:
        conds.append(HumanTask.due_at < now)
    if f.ip_type:
        conds.append(has_ip_type(IPType(f.ip_type)))
    if f.party:
        conds.append(exists().where(Party.case_id == HumanTask.case_id, _party_matches(f.party, dialect)))
    if f.number:
        conds.append(or_(
            HumanTask.case_id.in_(select(Case.id).where(Case.number.contains(f.number, autoescape=True))),
            HumanTask.case_id.in_(select(CaseNumber.case_id).where(
                CaseNumber.number.contains(f.number, autoescape=True)))))
    return conds


def sort_order(sort: str) -> list:
    if sort == "created":
        return [HumanTask.created_at.desc(), HumanTask.id.desc()]
    if sort == "priority":
        return [HumanTask.priority.desc(), HumanTask.due_at.asc().nulls_last(), HumanTask.id]
    return [HumanTask.due_at.asc().nulls_last(), HumanTask.id]


def _after(sort: str, cursor: dict) -> object:
    """Rows strictly after the cursor in the sort's order (keyset pagination)."""
    cid = cursor["id"]
    due = datetime.fromisoformat(cursor["due"]) if cursor.get("due") else None
    if sort == "created":
        at = datetime.fromisoformat(cursor["created"])
        return or_(HumanTask.created_at < at, and_(HumanTask.created_at == at, HumanTask.id < cid))

    def due_after():
        if due is None:
            return and_(HumanTask.due_at.is_(None), HumanTask.id > cid)
        return or_(HumanTask.due_at > due, HumanTask.due_at.is_(None),
                   and_(HumanTask.due_at == due, HumanTask.id > cid))

    if sort == "priority":
        p = cursor["priority"]
        return or_(HumanTask.priority < p, and_(HumanTask.priority == p, due_after()))
    return due_after()


def _encode(sort: str, task: HumanTask) -> str:
    key = {"id": task.id, "due": views.iso(task.due_at), "created": views.iso(task.created_at),
           "priority": task.priority, "sort": sort}
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode()


def _decode(sort: str, cursor: str) -> dict:
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        if key.get("sort") != sort or not isinstance(key.get("id"), int):
            raise ValueError
        return key
    except (ValueError, TypeError, UnicodeDecodeError):
        raise Invalid("The page link is no longer valid.", errors={"after": ["invalid"]}) from None


_PLAN_EACH_RUN = select(func.set_config("plan_cache_mode", "force_custom_plan", True))


def plan_for_the_text(session: Session, filters: Filters) -> None:
    """A text search's best plan depends on the text (how many parties' names hold 某某), so on
    PostgreSQL the rest of the transaction plans each query for its values. Otherwise a query
    run often on one connection is prepared (psycopg, from its fifth run) and PostgreSQL may
    settle on one generic plan for every text: 150 ms instead of 4 for a two-character party
    name over 1M open tasks (bench/README.md, section 4)."""
    if (filters.party or filters.number) and session.get_bind().dialect.name == "postgresql":
        session.execute(_PLAN_EACH_RUN)


def tab_query(session: Session, user: User, tab: str, filters: Filters, now: datetime):
    """The tab's rows in scope and matching the filters (unsorted)."""
    query = select(HumanTask).where(HumanTask.state == OPEN, tab_condition(user, tab),
                                    *_filter_conditions(filters, now, session.get_bind().dialect.name))
    if tab == "involved":
        query = query.where(HumanTask.unit_id.in_(access.visible_unit_ids(session, user)))
    return query.where(*assignment.task_scope(user))  # e.g. a mediator: only their disputes


def list_inbox(ctx: Context, *, username: str, tab: str = "mine", filters: Filters | None = None,
               sort: str = "due", after: str | None = None, limit: int = PAGE_SIZE) -> Page:
    """One page of a tab, the counts of every tab under the same filters, and the next page's cursor."""
    if tab not in TABS:
        raise Invalid("Unknown inbox tab {tab}; choose one of {choices}.", errors={"tab": ["unknown"]},
                      tab=tab, choices=", ".join(TABS))
    if sort not in SORTS:
        raise Invalid("Unknown sort {sort}; choose one of {choices}.", errors={"sort": ["unknown"]},
                      sort=sort, choices=", ".join(SORTS))
    filters = filters or Filters()
    with ctx.uow() as uow:
        s = uow.session
        now = ctx.clock.now()
        user = lookups.user(s, username)
        plan_for_the_text(s, filters)
        query = tab_query(s, user, tab, filters, now)
        if after:
            query = query.where(_after(sort, _decode(sort, after)))
        found = list(s.scalars(query.order_by(*sort_order(sort)).limit(limit + 1)))
        more = len(found) > limit
        found = found[:limit]
        rows = views.task_rows_view(s, found)
        for row, task in zip(rows, found):
            row.update(_due_marks(task, now))
        counts = {t: s.scalar(select(func.count()).select_from(tab_query(s, user, t, filters, now).subquery()))
                  for t in TABS}
        return Page(tab=tab, sort=sort, rows=rows, counts=counts, filters=filters,
                    next_cursor=_encode(sort, found[-1]) if more else None)


def _due_marks(task: HumanTask, now: datetime) -> dict:
    overdue = task.due_at is not None and task.due_at < now
    soon = task.due_at is not None and not overdue and task.due_at < now + DUE_SOON
    return {"overdue": overdue, "due_soon": soon}


def task_page(ctx: Context, *, username: str, task_id: int) -> dict:
    """A task with what the user may do with it; out of scope it does not exist (audited)."""
    from engine.services import tasks

    view = tasks.show_task(ctx, task_id, username)
    with ctx.uow() as uow:
        s = uow.session
        now = ctx.clock.now()
        user = lookups.user(s, username)
        task = lookups.task(s, task_id)
        is_open = task.state == "open"
        may_take = access.can_take(user, task)
        view.update(_due_marks(task, now))
        view["may"] = {
            "claim": is_open and task.assignee_id is None and may_take,
            "unclaim": is_open and task.assignee_id == user.id,
            "complete": is_open and task.assignee_id in (None, user.id) and may_take,
            "reassign": is_open and may_reassign(user, task),
        }
        view["candidates"] = _candidates(s, task) if view["may"]["reassign"] else []
    return view


def may_reassign(user: User, task: HumanTask) -> bool:
    """The unit head of the task's unit, or a supervisor (their scope is checked by visibility)."""
    return (user.has_role(Role.UNIT_HEAD) and user.unit_id == task.unit_id) or user.has_role(Role.SUPERVISOR)


def _candidates(session: Session, task: HumanTask) -> list[dict]:
    """Active users who could take the task (its role in its unit)."""
    found = session.scalars(select(User).where(User.unit_id == task.unit_id, User.active.is_(True),
                                               User.role_rows.any(role=Role(task.role)))
                            .order_by(User.username))
    return [{"username": u.username, "full_name": u.full_name} for u in found if u.id != task.assignee_id]


def benchmark_queries(user_id: int, now: datetime) -> dict:
    """The inbox's queries for bench/inbox.py: name -> build(session) -> statement."""
    def build(tab: str, sort: str = "due", filters: Filters = Filters(), page2: bool = False):
        cursor: dict = {}  # page 2 starts after page 1's last row, as the web's "next" link does

        def make(session: Session):
            user = session.get(User, user_id)
            plan_for_the_text(session, filters)
            query = tab_query(session, user, tab, filters, now).order_by(*sort_order(sort))
            if page2:
                if not cursor:
                    last = session.scalars(query.limit(PAGE_SIZE)).all()[-1]
                    cursor.update(_decode(sort, _encode(sort, last)))
                query = query.where(_after(sort, cursor))
            return query.limit(PAGE_SIZE + 1)
        return make

    return {
        "mine_due": build("mine"), "group_due": build("group"), "group_created": build("group", "created"),
        "group_priority": build("group", "priority"), "group_due_page2": build("group", page2=True),
        "group_overdue": build("group", filters=Filters(overdue=True)),
        "group_step": build("group", filters=Filters(step="investigate")),
        "group_ip_type": build("group", filters=Filters(ip_type="patent")),
        "group_party": build("group", filters=Filters(party="某某")),
        "group_party_long": build("group", filters=Filters(party="第12号商贸")),  # 3+ characters: trigrams
        "group_number": build("group", filters=Filters(number="B-12")),
        "involved": build("involved"),
    }


def step_choices(ctx: Context) -> list[dict]:
    """The human steps of every deployed process's latest version, for the step filter."""
    from engine.runtime.specs import human_steps
    from engine.services import definitions

    with ctx.uow() as uow:
        s = uow.session
        out, seen = [], set()
        for process_id, definition_id in sorted(definitions.latest_ids(s).items()):
            for step in human_steps(definitions.specs_by_id(s, definition_id)):
                if step.bpmn_id not in seen:
                    seen.add(step.bpmn_id)
                    out.append({"step": step.bpmn_id, "name": step.name, "pipeline": process_id})
        return out
