"""What a user gives when opening a case, validated before anything is written."""
from __future__ import annotations

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from engine.errors import Invalid
from engine.forms.schema import IPRightSchema, PartySchema
from engine.models import IPType
from engine.services.mediation_input import MediationOpenSchema


class OpenCaseSchema(Schema):
    class Meta:
        unknown = RAISE

    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    ip_type = fields.String(required=True, validate=validate.OneOf([t.value for t in IPType]))
    right_number = fields.String(load_default=None, validate=validate.Length(max=60))
    right_holder = fields.String(load_default=None, validate=validate.Length(max=200))
    right_title = fields.String(load_default=None, validate=validate.Length(max=200))
    respondent = fields.Nested(PartySchema, load_default=None)
    complainant = fields.Nested(PartySchema, load_default=None)
    extra_rights = fields.List(fields.Nested(IPRightSchema), load_default=list)
    is_major = fields.Boolean(load_default=False)
    priority = fields.Integer(load_default=0, validate=validate.Range(min=0, max=9))
    # Mediation cases: source and court details (engine/services/mediation_input.py).
    mediation = fields.Nested(MediationOpenSchema, load_default=None)


def validate_open_case(raw: dict) -> dict:
    try:
        return OpenCaseSchema().load(raw)
    except ValidationError as err:
        messages = err.normalized_messages()
        raise Invalid("The case details have errors: {fields}.", errors=messages,
                      fields=", ".join(sorted(messages))) from None
