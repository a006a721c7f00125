"""Build a marshmallow schema from a form definition.

Unknown keys are rejected (they would become workflow script globals); empty optional
inputs become None; money keeps exactly two decimals.
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation
from functools import lru_cache
from zoneinfo import ZoneInfo

from marshmallow import RAISE, Schema, ValidationError, fields, pre_load, validate
from stdnum.cn import uscc as uscc_number

from engine.forms.definitions import FieldDef, FormDef

LOCAL_TZ = ZoneInfo("Asia/Shanghai")
MONEY_MAX = Decimal("1000000000000")


class Money(fields.Decimal):
    """Yuan with at most two decimals, serialised as a string ("1234.50")."""

    def __init__(self, **kwargs):
        super().__init__(as_string=True, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        amount = super()._deserialize(value, attr, data, **kwargs)
        if amount.as_tuple().exponent < -2:
            raise ValidationError("At most two decimal places.")
        try:
            return amount.quantize(Decimal("0.01"))
        except InvalidOperation:  # too many digits to count in cents: beyond any range, which rejects it
            return amount


def validate_uscc(value: str) -> None:
    if value and not uscc_number.is_valid(value):
        raise ValidationError("Not a valid unified social credit code (check character mismatch).")


class PartySchema(Schema):
    class Meta:
        unknown = RAISE

    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    kind = fields.String(required=True, validate=validate.OneOf(["person", "enterprise"]))
    uscc = fields.String(load_default=None, allow_none=True, validate=validate_uscc)


class IPRightSchema(Schema):
    class Meta:
        unknown = RAISE

    ip_type = fields.String(required=True, validate=validate.OneOf(
        ["patent", "trademark", "copyright", "trade_secret", "geographic_indication"]))
    number = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=60))
    holder = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))


def _range(f: FieldDef):
    if f.min is None and f.max is None:
        return []
    return [validate.Range(min=f.min, max=f.max)]


def _field_for(f: FieldDef) -> fields.Field:
    common = {"required": f.required, "allow_none": not f.required,
              "metadata": {"label": f.label, "type": f.type}}
    if not f.required:
        common["load_default"] = None
    values = [o.value for o in f.options]
    if f.type in ("text", "textarea"):
        lengths = validate.Length(min=1 if f.required else 0, max=f.max_length)
        return fields.String(validate=[lengths], **common)
    if f.type == "number":
        return fields.Integer(validate=_range(f), **common)
    if f.type == "money":
        low = Decimal(str(f.min)) if f.min is not None else Decimal(0)
        high = Decimal(str(f.max)) if f.max is not None else MONEY_MAX
        return Money(validate=[validate.Range(min=low, max=high)], **common)
    if f.type == "date":
        return fields.Date(**common)
    if f.type == "datetime":
        return fields.AwareDateTime(default_timezone=LOCAL_TZ, **common)
    if f.type == "select":
        return fields.String(validate=validate.OneOf(values), **common)
    if f.type == "multiselect":
        length = [validate.Length(min=1)] if f.required else []
        return fields.List(fields.String(validate=validate.OneOf(values)), validate=length, **common)
    if f.type == "checkbox":
        common["load_default"] = False
        common["allow_none"] = False
        return fields.Boolean(**common)
    if f.type == "party":
        return fields.Nested(PartySchema, **common)
    if f.type == "ip_right":
        return fields.Nested(IPRightSchema, **common)
    if f.type == "evidence":
        return fields.List(fields.Integer(strict=True), **common)
    raise AssertionError(f"unhandled field type {f.type}")


class FormSchema(Schema):
    class Meta:
        unknown = RAISE

    @pre_load
    def _blank_is_missing(self, data, **kwargs):
        """HTML forms send "" for an untouched optional input: treat it as absent."""
        if not isinstance(data, dict):
            return data
        return {k: v for k, v in data.items() if not (v == "" or v is None)}


@lru_cache(maxsize=256)
def schema_class(form: FormDef) -> type[Schema]:
    attrs = {f.name: _field_for(f) for f in form.fields}
    return type(f"{form.id.title().replace('_', '')}Form", (FormSchema,), attrs)


@lru_cache(maxsize=256)
def schema_for(form: FormDef) -> Schema:
    """One instance per form, reused: marshmallow schemas keep no state between loads, and
    building one deep-copies every declared field (two thirds of validating a submission)."""
    return schema_class(form)()
