"""Document numbers are unique and gap-free, even when many are issued at once."""
import re
from concurrent.futures import ThreadPoolExecutor

from engine.services import lookups, numbers


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
