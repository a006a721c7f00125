"""Valid example submissions built from a form definition (demo data, tests, benchmarks)."""
from __future__ import annotations

from engine.forms.definitions import FieldDef, FormDef

SAMPLE_VALUES = {
    "text": "示例", "textarea": "示例说明", "number": 1, "money": "1000.00", "date": "2026-03-02",
    "datetime": "2026-03-02T10:00:00+08:00", "checkbox": False, "evidence": [],
    "party": {"name": "泰安市某某商贸有限公司", "kind": "enterprise", "uscc": "91370900MA3C0000XH"},
    "ip_right": {"ip_type": "trademark", "number": "第12345678号", "holder": "某某集团有限公司"},
}


def _sample(field: FieldDef):
    if field.type == "select":
        return field.options[0].value
    if field.type == "multiselect":
        return [field.options[0].value]
    value = SAMPLE_VALUES[field.type]
    if field.type in ("text", "textarea") and field.max_length:
        return value[: field.max_length]
    if field.type == "number" and field.min is not None:
        return max(value, int(field.min))
    return value


def sample_submission(form: FormDef, overrides: dict | None = None, required_only: bool = False) -> dict:
    """Raw (as a user would send it) data that passes the form's validation, with overrides."""
    data = {f.name: _sample(f) for f in form.fields if f.required or not required_only}
    data.update(overrides or {})
    return data
