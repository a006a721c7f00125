"""Turn posted HTML form fields into the raw data the engine validates (and back, for redisplay)."""
from __future__ import annotations

from engine.forms.definitions import FormDef

COMPOSITE = {"party": ("name", "kind", "uscc"), "ip_right": ("ip_type", "number", "holder")}
ALWAYS_CHOSEN = frozenset({"kind"})  # a party's kind is a select without a blank option (templates/tasks/fields.html)


def composite(posted, name: str, type_: str) -> dict | None:
    """A party's or IP right's posted parts, or None if the user entered none (a select that
    always holds a value counts as no entry; the required ones stay, blank, for the engine
    to name as missing)."""
    parts = {k: (posted.get(f"{name}.{k}") or "").strip() for k in COMPOSITE[type_]}
    if not any(value for k, value in parts.items() if k not in ALWAYS_CHOSEN):
        return None
    return {k: value for k, value in parts.items() if value or k in ("name", "ip_type", "kind")}


def parse(form: FormDef, posted) -> dict:
    """`posted` is a MultiDict (request.form); blanks are left for the engine to judge."""
    data: dict = {}
    for f in form.fields:
        if f.type in COMPOSITE:
            value = composite(posted, f.name, f.type)
            if value is not None:
                data[f.name] = value
        elif f.type == "multiselect":
            values = posted.getlist(f.name)
            if values:
                data[f.name] = values
        elif f.type == "evidence":
            values = [_int_or_text(v) for v in posted.getlist(f.name) if v]
            if values:
                data[f.name] = values
        elif f.type == "checkbox":
            if posted.get(f.name):
                data[f.name] = True
        else:
            value = posted.get(f.name, "")
            if f.type == "datetime" and len(value) == 16:  # datetime-local without seconds
                value += ":00"
            data[f.name] = value.strip() if f.type not in ("textarea",) else value
    return data


def _int_or_text(value: str):
    return int(value) if value.isdigit() else value


def display_values(form: FormDef, data: dict | None) -> dict:
    """Stored or posted data as the inputs show it."""
    out = {}
    for f in form.fields:
        value = (data or {}).get(f.name)
        if value is None:
            continue
        if f.type == "datetime" and isinstance(value, str):
            value = value[:16]
        out[f.name] = value
    return out
