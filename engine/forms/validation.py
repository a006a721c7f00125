"""Validate a submission against its form: typed data for the workflow, JSON for the rows."""
from __future__ import annotations

from dataclasses import dataclass

from marshmallow import ValidationError

from engine.errors import Invalid
from engine.forms.definitions import FormDef
from engine.forms.schema import schema_for


@dataclass(frozen=True)
class Submission:
    typed: dict   # Decimal, date, datetime: what workflow conditions see
    json: dict    # the same, JSON-serialisable: what task rows and the audit log keep


def validate_submission(form: FormDef, raw: dict) -> Submission:
    if not isinstance(raw, dict):
        raise Invalid("Form data must be an object of field values.", errors={"_schema": ["not an object"]})
    schema = schema_for(form)
    try:
        typed = schema.load(raw)
    except ValidationError as err:
        raise Invalid("The form has errors: {fields}.", errors=err.normalized_messages(),
                      fields=", ".join(sorted(err.normalized_messages()))) from None
    return Submission(typed=typed, json=schema.dump(typed))
