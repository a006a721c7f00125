"""Small helpers for service tests."""
from engine.services import cases, tasks
from engine.services.demo import drive

CASE_FIELDS = {
    "title": "涉嫌销售侵犯注册商标专用权的商品", "ip_type": "trademark", "right_number": "第1234567号",
    "right_holder": "泰山酒业集团", "respondent": {"name": "泰安市某某商贸有限公司", "kind": "enterprise",
                                                 "uscc": "91370900MA3C0000XH"},
}


def open_case(ctx, unit="daiyue", user=None, **fields) -> dict:
    return cases.open_case(ctx, username=user or f"{unit}.officer1", pipeline="enforcement",
                           unit_code=unit, fields={**CASE_FIELDS, **fields})


def open_task(ctx, number: str, step: str | None = None) -> dict:
    view = cases.show_case(ctx, number)
    found = [t for t in view["open_tasks"] if step is None or t["step"] == step]
    assert found, f"no open task {step} on {number}: {[t['step'] for t in view['open_tasks']]}"
    return found[0]


def complete(ctx, number: str, step: str, user: str, **data) -> dict:
    return complete_task(ctx, open_task(ctx, number, step), user, **data)


def complete_task(ctx, task: dict, user: str, **data) -> dict:
    """Complete an open task (as `open_task` lists it) with sample data overridden by `data`."""
    from engine.forms.samples import sample_submission
    payload = sample_submission(ctx.forms.get(task["form"]), data)
    return tasks.complete(ctx, username=user, task_id=task["id"], data=payload)


POLICE = "泰安市公安局岱岳分局"
PROPOSAL = {"suspected_offence": "销售假冒注册商标的商品罪", "reasons": "销售金额逾五万元，涉嫌犯罪",
            "police_body": POLICE, "officer_1": "张三 37090001", "officer_2": "李四 37090002"}


def transfer_at_proposal(ctx) -> str:
    """A case whose unit head has just decided to transfer it to the police."""
    number = open_case(ctx)["number"]
    drive(ctx, number, {}, until="approve_proposal")
    complete(ctx, number, "approve_proposal", "daiyue.head", decision="transfer")
    return number
