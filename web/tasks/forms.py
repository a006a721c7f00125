"""Turn posted HTML form fields into the raw data the engine validates (and back, for redisplay)."""
from __future__ import annotations

from engine.forms.definitions import FormDef

COMPOSITE = {"party": ("name", "kind", "uscc"), "ip_right": ("ip_type", "number", "holder")}


def parse(form: FormDef, posted) -> dict:
    """`posted` is a MultiDict (request.form); blanks are left for the engine to judge."""
    data: dict = {}
    for f in form.fields:
        if f.type in COMPOSITE:
            parts = {k: posted.get(f"{f.name}.{k}", "").strip() for k in COMPOSITE[f.type]}
            if any(parts.values()):
                data[f.name] = {k: v for k, v in parts.items() if v or k in ("name", "ip_type", "kind")}
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
