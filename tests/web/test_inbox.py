"""The inbox: tabs and counts, claim, filters, sorts, keyset pages, due marks, the indexes behind it."""
import re
from datetime import timedelta
from functools import partial

import pytest
from sqlalchemy import select, text, update

from engine.models import HumanTask, Party, User
from engine.services import inbox, tasks
from engine.services.inbox import Filters
from tests.engine.services.helpers import open_case, open_task

ROWS = re.compile(r'data-task="(\d+)"')


def _ids(response) -> list[int]:
    assert response.status_code == 200, response.get_data(as_text=True)[:400]
    return [int(i) for i in ROWS.findall(response.get_data(as_text=True))]


def _count(page: str, tab: str) -> int:
    return int(re.search(rf'data-tab="{tab}">\s*[^<]*<span class="count">(\d+)</span>', page).group(1))


def test_tabs_show_my_tasks_group_tasks_and_counts(browser, case_at, ctx):
    mine = case_at()  # register_lead, held by daiyue.officer1
    group = case_at("verify_lead")  # verification: unclaimed officer task
    b = browser("daiyue.officer1")
    page = b.get("/inbox").get_data(as_text=True)
    assert _count(page, "mine") == 1 and _count(page, "group") == 1
    assert mine in page and group not in page
    assert group in b.get("/inbox?tab=group").get_data(as_text=True)
    assert "认领" in b.get("/inbox?tab=group").get_data(as_text=True)


def test_claim_moves_a_task_to_my_tab_and_a_second_claim_changes_nothing(browser, case_at, ctx):
    number = case_at("verify_lead")
    task = open_task(ctx, number, "verify_lead")
    first, second = browser("daiyue.officer1"), browser("daiyue.officer2")
    second.get("/inbox?tab=group")
    response = first.post(f"/tasks/{task['id']}/claim", {"next": "/inbox?tab=group"})
    assert response.status_code == 302
    assert task["id"] in _ids(first.get("/inbox"))
    response = second.post(f"/tasks/{task['id']}/claim", follow_redirects=True)
    assert "已被他人认领" in response.get_data(as_text=True)
    assert open_task(ctx, number, "verify_lead")["assignee"] == "daiyue.officer1"


def test_claim_needs_a_csrf_token(browser, case_at, ctx):
    task = open_task(ctx, case_at("verify_lead"), "verify_lead")
    b = browser("daiyue.officer1")
    assert b.post(f"/tasks/{task['id']}/claim", csrf=False).status_code == 400
    assert open_task(ctx, task["case"], "verify_lead")["assignee"] is None


def test_another_units_tasks_never_show(browser, case_at):
    case_at("verify_lead", unit="daiyue")
    b = browser("taishan.officer1")
    for tab in ("mine", "group", "involved"):
        assert _ids(b.get(f"/inbox?tab={tab}")) == []


def test_involved_tab_lists_open_tasks_of_cases_i_worked_on(browser, case_at, ctx):
    number = case_at("decide_filing")  # daiyue.officer1 registered and verified it
    b = browser("daiyue.officer1")
    task = open_task(ctx, number, "decide_filing")
    assert _ids(b.get("/inbox?tab=involved")) == [task["id"]]
    assert _ids(browser("daiyue.officer2").get("/inbox?tab=involved")) == []


def _set_due(ctx, task_id, due):
    with ctx.uow() as uow:
        uow.session.execute(update(HumanTask).where(HumanTask.id == task_id).values(due_at=due))
        uow.commit()


def _group_tasks(ctx, case_at, n):
    """n unclaimed verification tasks in daiyue."""
    return [open_task(ctx, case_at("verify_lead"), "verify_lead")["id"] for _ in range(n)]


def test_sort_by_due_date_puts_tasks_without_one_last_and_marks_overdue_and_due_soon(browser, case_at, ctx, clock):
    a, b_, c = _group_tasks(ctx, case_at, 3)
    now = clock.now()
    _set_due(ctx, a, now + timedelta(days=10))
    _set_due(ctx, c, now - timedelta(hours=1))
    _set_due(ctx, b_, now + timedelta(days=1))
    b = browser("daiyue.officer1")
    response = b.get("/inbox?tab=group&sort=due")
    assert _ids(response) == [c, b_, a] + [i for i in _ids(response) if i not in (a, b_, c)]
    page = response.get_data(as_text=True)
    assert re.search(rf'class="overdue\s*" data-task="{c}"', page)
    assert re.search(rf'class="\s*due-soon" data-task="{b_}"', page)
    assert "已超期" in page and "即将到期" in page
    assert _ids(b.get("/inbox?tab=group&overdue=1")) == [c]


def test_sort_by_created_and_by_priority(browser, case_at, ctx, clock):
    first = _group_tasks(ctx, case_at, 1)[0]
    clock.advance(timedelta(minutes=5))
    second = _group_tasks(ctx, case_at, 1)[0]
    with ctx.uow() as uow:
        uow.session.execute(update(HumanTask).where(HumanTask.id == first).values(priority=5))
        uow.commit()
    b = browser("daiyue.officer1")
    assert _ids(b.get("/inbox?tab=group&sort=created")) == [second, first]
    assert _ids(b.get("/inbox?tab=group&sort=priority")) == [first, second]


@pytest.mark.parametrize("sort", ["due", "created", "priority"])
def test_keyset_pages_cover_every_row_once(ctx, case_at, clock, sort):
    ids = _group_tasks(ctx, case_at, 7)
    for n, task_id in enumerate(ids):
        _set_due(ctx, task_id, None if n % 3 == 0 else clock.now() + timedelta(days=n % 2))
        with ctx.uow() as uow:
            uow.session.execute(update(HumanTask).where(HumanTask.id == task_id).values(priority=n % 2))
            uow.commit()
    seen, after = [], None
    for _ in range(10):
        page = inbox.list_inbox(ctx, username="daiyue.officer1", tab="group", sort=sort, after=after, limit=3)
        seen += [r["id"] for r in page.rows]
        after = page.next_cursor
        if after is None:
            break
    assert sorted(seen) == sorted(ids) and len(seen) == len(ids)
    whole = inbox.list_inbox(ctx, username="daiyue.officer1", tab="group", sort=sort, limit=50)
    assert [r["id"] for r in whole.rows] == seen


def test_next_page_link_and_a_broken_cursor(browser, case_at, ctx):
    ids = _group_tasks(ctx, case_at, 3)
    b = browser("daiyue.officer1")
    page = inbox.list_inbox(ctx, username="daiyue.officer1", tab="group", limit=2)
    assert page.next_cursor
    response = b.get(f"/inbox?tab=group&after={page.next_cursor}")
    assert set(_ids(response)) <= set(ids)
    broken = b.get("/inbox?tab=group&after=not-a-cursor")
    assert broken.status_code == 422 and "分页链接已失效" in broken.get_data(as_text=True)


def test_filters(browser, case_at, ctx, clock):
    plain = _group_tasks(ctx, case_at, 1)[0]
    patent_number = open_case(ctx, ip_type="patent", respondent={"name": "泰安市某某机械厂", "kind": "enterprise"})[
        "number"]
    from engine.services.demo import drive
    drive(ctx, patent_number, {}, until="verify_lead")
    patent = open_task(ctx, patent_number, "verify_lead")["id"]
    _set_due(ctx, plain, clock.now() + timedelta(days=3))
    b = browser("daiyue.officer1")
    assert _ids(b.get("/inbox?tab=group&ip_type=patent")) == [patent]
    assert _ids(b.get("/inbox?tab=group&party=机械厂")) == [patent]
    assert _ids(b.get(f"/inbox?tab=group&number={patent_number[-4:]}")) == [patent]
    assert _ids(b.get("/inbox?tab=group&step=verify_lead&pipeline=enforcement")) == [plain, patent]
    assert _ids(b.get("/inbox?tab=group&step=investigate")) == []
    assert _ids(b.get("/inbox?tab=group&pipeline=mediation")) == []
    day = (clock.now() + timedelta(days=3)).date().isoformat()
    assert _ids(b.get(f"/inbox?tab=group&due_from={day}&due_to={day}")) == [plain]
    page = b.get("/inbox?tab=group&ip_type=patent").get_data(as_text=True)
    assert _count(page, "group") == 1  # counts follow the filters


def test_the_ip_type_filter_finds_a_case_by_each_of_its_rights(ctx, case_at):
    trademark_only = _group_tasks(ctx, case_at, 1)[0]
    number = open_case(ctx, ip_type="trademark", extra_rights=[{"ip_type": "geographic_indication",
                                                                "number": "AGI00123"}])["number"]
    from engine.services.demo import drive
    drive(ctx, number, {}, until="verify_lead")
    both = open_task(ctx, number, "verify_lead")["id"]
    found = partial(_group_search, ctx)
    assert found(ip_type="trademark") == sorted([trademark_only, both])
    assert found(ip_type="geographic_indication") == [both]
    assert found(ip_type="patent") == found(ip_type="copyright") == []


def _group_search(ctx, **search) -> list[int]:
    page = inbox.list_inbox(ctx, username="daiyue.officer1", tab="group", filters=Filters(**search))
    return sorted(row["id"] for row in page.rows)


def _group_task_of_party(ctx, name: str) -> int:
    from engine.services.demo import drive
    number = open_case(ctx, respondent={"name": name, "kind": "enterprise"})["number"]
    drive(ctx, number, {}, until="verify_lead")
    return open_task(ctx, number, "verify_lead")["id"]


def test_party_and_number_searches_take_percent_and_underscore_literally(ctx, case_at):
    _group_tasks(ctx, case_at, 1)
    task = _group_task_of_party(ctx, "泰安市100%_机械厂")
    found = partial(_group_search, ctx)
    assert found(party="100%_机") == found(party="%") == found(party="_") == found(party="%_") == [task]
    assert found(party="0_机") == found(party="泰安%机械厂") == found(party="_%") == []
    assert found(number="%") == found(number="_") == []


def test_one_and_two_character_party_searches(ctx, case_at):
    plain = _group_tasks(ctx, case_at, 1)[0]  # 泰安市某某商贸有限公司
    task = _group_task_of_party(ctx, "泰安市华为机械厂")
    found = partial(_group_search, ctx)
    assert found(party="华为") == found(party="机") == [task]
    assert found(party="商贸") == [plain]
    assert found(party="泰安") == found(party="市") == sorted([plain, task])
    assert found(party="为华") == found(party="华机") == []


def test_bad_filter_values_are_reported(browser):
    response = browser("daiyue.officer1").get("/inbox?due_from=yesterday&ip_type=x")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "不是有效的日期" in page and "未知的知识产权类型" in page


def test_unknown_tab_is_a_clear_error(browser):
    response = browser("daiyue.officer1").get("/inbox?tab=nope")
    assert response.status_code == 422 and "未知的待办分类" in response.get_data(as_text=True)


def _plan(ctx, statement) -> str:
    with ctx.uow() as uow:
        s = uow.session
        dialect = s.bind.dialect.name
        compiled = statement.compile(s.bind, compile_kwargs={"literal_binds": True})
        if dialect == "sqlite":
            return "\n".join(str(r[-1]) for r in s.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))
        # Tiny test tables make a sequential scan cheapest; forbid it to see whether an index fits.
        s.execute(text("SET LOCAL enable_seqscan = off"))
        return "\n".join(r[0] for r in s.execute(text(f"EXPLAIN {compiled}")))


@pytest.mark.parametrize("name, index", [
    ("mine_due", "ix_human_tasks_my_due"), ("group_due", "ix_human_tasks_group_due"),
    ("group_created", "ix_human_tasks_group_created"), ("group_priority", "ix_human_tasks_group_"),
    ("group_due_page2", "ix_human_tasks_group_due"), ("group_overdue", "ix_human_tasks_group_due"),
    ("group_step", "ix_human_tasks_group_step"), ("group_ip_type", "ix_human_tasks_group_due_patent"),
])
def test_inbox_queries_use_their_index(ctx, case_at, clock, name, index):
    _group_tasks(ctx, case_at, 2)
    assert index in _benchmark_plan(ctx, clock, name)


@pytest.mark.postgresql_only
def test_number_and_party_searches_can_use_their_indexes_on_postgresql(ctx, case_at, clock):
    _group_tasks(ctx, case_at, 2)
    assert "ix_cases_number_trgm" in _benchmark_plan(ctx, clock, "group_number")
    # The party filter's condition, with escaped wildcards too (LIKE … ESCAPE '/').
    for text_, index in (("100%_商贸", "ix_parties_name_trgm"), ("华为", "ix_parties_name_bigrams")):
        search = select(Party.case_id).where(inbox._party_matches(text_, "postgresql"))
        assert index in _plan(ctx, search)


@pytest.mark.postgresql_only
@pytest.mark.parametrize("filters", [Filters(party="华为"), Filters(number="B-12")])
def test_a_search_is_planned_for_its_text_however_often_it_runs(ctx, case_at, filters):
    """psycopg prepares a statement from its fifth run on a connection, and PostgreSQL may then
    plan it once for every text: over 1M open tasks it did, and a two-character party search
    took 150 ms instead of 4. The connection here is told to do so on every prepared statement."""
    _group_tasks(ctx, case_at, 2)
    ctx.db.dispose()  # one pooled connection from here on: every search below runs on it
    with ctx.uow() as uow:
        uow.session.execute(text("SELECT set_config('plan_cache_mode', 'force_generic_plan', false)"))
    for _ in range(8):
        inbox.list_inbox(ctx, username="daiyue.officer1", tab="group", filters=filters)
    with ctx.uow() as uow:
        runs = uow.session.execute(text(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement LIKE '%LIKE%'")).all()
    ctx.db.dispose()
    assert runs and all(generic == 0 for generic, _ in runs), runs


def _benchmark_plan(ctx, clock, name) -> str:
    with ctx.uow() as uow:
        user_id = uow.session.scalar(select(User.id).where(User.username == "daiyue.officer1"))
    queries = inbox.benchmark_queries(user_id, clock.now())
    with ctx.uow() as uow:
        statement = queries[name](uow.session)
    plan = _plan(ctx, statement)
    print(plan)
    return plan


def test_filters_parse_values_from_the_query_string():
    f = Filters.parse({"overdue": "1", "due_from": "2026-03-01", "party": " 某某 ", "step": ""})
    assert f.overdue and f.due_from.isoformat() == "2026-03-01" and f.party == "某某" and f.step is None
