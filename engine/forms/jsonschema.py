"""JSON Schema (draft 2020-12) generated from a form's marshmallow schema, for API clients."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from engine.forms.schema import Money


def _validators(field: fields.Field):
    v = field.validate
    return v if isinstance(v, list) else ([v] if v else [])


def _constraints(field: fields.Field) -> dict:
    out: dict = {}
    for v in _validators(field) + list(getattr(field, "validators", [])):
        if isinstance(v, validate.Length):
            key = "Items" if isinstance(field, fields.List) else "Length"
            if v.min:
                out[f"min{key}"] = v.min
            if v.max is not None:
                out[f"max{key}"] = v.max
        elif isinstance(v, validate.Range):
            if v.min is not None:
                out["minimum"] = float(v.min) if isinstance(field, Money) else v.min
            if v.max is not None:
                out["maximum"] = float(v.max) if isinstance(field, Money) else v.max
        elif isinstance(v, validate.OneOf):
            out["enum"] = list(v.choices)
    return out


def field_schema(field: fields.Field) -> dict:
    if isinstance(field, fields.Nested):
        out = schema_to_jsonschema(field.schema)
    elif isinstance(field, fields.List):
        out = {"type": "array", "items": field_schema(field.inner)}
    elif isinstance(field, Money):
        out = {"type": "string", "pattern": r"^-?\d+(\.\d{1,2})?$", "format": "decimal"}
    elif isinstance(field, fields.Integer):
        out = {"type": "integer"}
    elif isinstance(field, fields.Boolean):
        out = {"type": "boolean"}
    elif isinstance(field, fields.DateTime):
        out = {"type": "string", "format": "date-time"}
    elif isinstance(field, fields.Date):
        out = {"type": "string", "format": "date"}
    else:
        out = {"type": "string"}
    out.update(_constraints(field))
    meta = field.metadata or {}
    if meta.get("label"):
        out["title"] = meta["label"].get("zh") or meta["label"].get("en")
        out["x-label"] = meta["label"]
    if meta.get("type"):
        out["x-field-type"] = meta["type"]
    if field.allow_none and "type" in out:
        out["type"] = [out["type"], "null"]
    return out


def schema_to_jsonschema(schema: Schema, title: dict | None = None) -> dict:
    props = {name: field_schema(f) for name, f in schema.fields.items()}
    required = [name for name, f in schema.fields.items() if f.required]
    out = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": props,
        "required": required,
        "additionalProperties": False,
    }
    if title:
        out["title"] = title.get("zh") or title.get("en")
        out["x-title"] = title
    return out
