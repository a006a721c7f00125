"""The mediation part of opening a case (`fields["mediation"]`): source and court details.

They pre-fill the intake form (register_dispute), where the centre completes and confirms them.
"""
from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

SOURCES = ["party", "enforcement", "court_assigned", "court_entrusted"]


class MediationOpenSchema(Schema):
    class Meta:
        unknown = RAISE

    source = fields.String(load_default="party", validate=validate.OneOf(SOURCES))
    court_name = fields.String(load_default=None, validate=validate.Length(max=100))
    court_case_number = fields.String(load_default=None, validate=validate.Length(max=80))
    court_deadline = fields.Date(load_default=None)
    court_procedure = fields.String(load_default=None, validate=validate.OneOf(["ordinary", "simplified"]))
    referring_case = fields.String(load_default=None, validate=validate.Length(max=60))
    dispute = fields.String(load_default=None, validate=validate.Length(max=5000))
    technical_field = fields.String(load_default=None, validate=validate.Length(max=100))
    languages = fields.String(load_default=None, validate=validate.Length(max=100))
