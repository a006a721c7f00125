"""Document numbers are unique and gap-free, even when many are issued at once."""
import re
from concurrent.futures import ThreadPoolExecutor

from engine.services import cases, lookups, numbers
from engine.services.demo import drive
from engine.services.operators import operators_for

from tests.statements import sql_sent

from .helpers import complete_task, open_case, open_task


def issue(ctx, unit_code="daiyue", kind="立", year=2026, commit=True) -> str:
    with ctx.uow() as uow:
        number = numbers.next_number(uow.session, lookups.unit(uow.session, unit_code), year, kind)
        if commit:
            uow.commit()
    return number


def seq(number: str) -> int:
    return int(re.search(r"〕(\d+)号$", number).group(1))


def test_format_follows_the_bureau_style(ctx):
    assert issue(ctx) == "泰岱市监知立〔2026〕1号"
    assert issue(ctx) == "泰岱市监知立〔2026〕2号"


def test_counters_are_per_unit_year_and_kind(ctx):
    issue(ctx)
    assert issue(ctx, unit_code="taishan") == "泰山市监知立〔2026〕1号"
    assert issue(ctx, year=2027) == "泰岱市监知立〔2027〕1号"
    assert issue(ctx, kind="线") == "泰岱市监知线〔2026〕1号"


def test_a_rolled_back_case_gives_its_number_back(ctx):
    issue(ctx, commit=False)
    assert seq(issue(ctx)) == 1


def test_concurrent_issuing_is_unique_and_gap_free(ctx):
    with ThreadPoolExecutor(max_workers=8) as pool:
        issued = list(pool.map(lambda _: issue(ctx), range(40)))
    assert sorted(seq(n) for n in issued) == list(range(1, 41))


def test_a_case_gets_one_number_of_a_kind_however_often_its_step_issues_one(ctx):
    case_number = open_case(ctx)["number"]

    def issue_for_case() -> str:
        with ctx.uow() as uow:
            case = lookups.case(uow.session, case_number)
            issued = operators_for(uow.session, case, ctx.clock.now(), None)["issue_case_number"](None, kind="立")
            uow.commit()
        return issued

    first = issue_for_case()
    assert first == "泰岱市监知立〔2026〕1号"
    assert issue_for_case() == first  # a re-run step: the case's number, and no counter moved
    assert issue(ctx) == "泰岱市监知立〔2026〕2号"
    view = cases.show_case(ctx, case_number)
    assert [n["number"] for n in view["numbers"] if n["kind"] == "立"] == [first]
    assert [e["after"] for e in view["timeline"] if e["action"] == "case.number_issued"] == [
        {"kind": "立", "number": first}]


def test_the_filing_step_issues_its_number_in_one_statement(ctx):
    case_number = open_case(ctx)["number"]
    drive(ctx, case_number, {}, until="decide_filing")
    task = open_task(ctx, case_number, "decide_filing")
    with sql_sent(ctx) as sent:
        complete_task(ctx, task, "daiyue.head")
    numbering = [stmt for stmt, _ in sent if "number_counters" in stmt]
    assert len(numbering) == 1 and "case_numbers" in numbering[0] and "units" in numbering[0], numbering
    assert not [stmt for stmt, _ in sent if re.match(r"SELECT .* FROM (units|case_numbers)\b", stmt, re.S)]
    if ctx.db.dialect.name == "postgresql":
        # the locking read; the completed task, sent before the operator runs; the number; the
        # once-only case clock's check; then the step's rows with the number's and its audit event
        assert [stmt.split()[0] for stmt, _ in sent] == ["SELECT", "WITH", "INSERT", "SELECT", "WITH"]
    assert any(n["kind"] == "立" for n in cases.show_case(ctx, case_number)["numbers"])
