"""Form definitions become marshmallow schemas that validate submissions and describe them."""
from decimal import Decimal

import pytest

from engine.errors import Invalid, WorkflowDefinitionError
from engine.forms.definitions import parse_form
from engine.forms.jsonschema import schema_to_jsonschema
from engine.forms.samples import sample_submission
from engine.forms.schema import schema_for
from engine.forms.validation import validate_submission

L = {"zh": "字段", "en": "Field"}
FORM = parse_form({"id": "penalty", "title": {"zh": "处罚决定", "en": "Decision"}, "fields": [
    {"name": "decision", "type": "select", "required": True, "label": L,
     "options": [{"value": "fine", "label": L}, {"value": "warning", "label": L}]},
    {"name": "amount", "type": "money", "label": L, "max": 5000000},
    {"name": "facts", "type": "textarea", "required": True, "max_length": 20, "label": L},
    {"name": "served_on", "type": "date", "label": L},
    {"name": "kinds", "type": "multiselect", "label": L, "options": [{"value": "a", "label": L}]},
    {"name": "respondent", "type": "party", "label": L},
    {"name": "hearing", "type": "checkbox", "label": L},
]})


def test_valid_submission_is_typed_for_the_workflow_and_json_for_the_rows():
    sub = validate_submission(FORM, {"decision": "fine", "amount": "12000.5", "facts": "售假",
                                     "served_on": "2026-10-09"})
    assert sub.typed["amount"] == Decimal("12000.50")
    assert sub.json["amount"] == "12000.50" and sub.json["served_on"] == "2026-10-09"
    assert sub.typed["hearing"] is False


def test_every_bad_field_is_named_and_nothing_is_guessed():
    with pytest.raises(Invalid) as err:
        validate_submission(FORM, {"decision": "jail", "amount": "1.234", "facts": "x" * 21,
                                   "served_on": "2026-02-30", "exec": "__import__('os')",
                                   "respondent": {"name": "某公司", "kind": "enterprise",
                                                  "uscc": "91370900MA3C0000X0"}})
    assert set(err.value.errors) == {"decision", "amount", "facts", "served_on", "exec", "respondent"}
    assert "uscc" in err.value.errors["respondent"]


@pytest.mark.parametrize("amount", ["9" * 30, "1e40", "-" + "9" * 30])
def test_an_amount_with_more_digits_than_any_range_is_out_of_range_not_a_crash(amount):
    """Thirty digits are more than Decimal's precision can round to cents: the field's range
    rejects them like any other amount above its maximum (a web form answered 500 before)."""
    with pytest.raises(Invalid) as err:
        validate_submission(FORM, {"decision": "fine", "amount": amount, "facts": "售假"})
    assert set(err.value.errors) == {"amount"}


def test_required_fields_left_blank_are_reported():
    with pytest.raises(Invalid) as err:
        validate_submission(FORM, {"decision": "", "facts": ""})
    assert set(err.value.errors) == {"decision", "facts"}


def test_form_values_are_never_evaluated():
    sub = validate_submission(FORM, {"decision": "fine", "facts": "__import__('os')"})
    assert sub.typed["facts"] == "__import__('os')"


def test_json_schema_describes_the_form():
    schema = schema_to_jsonschema(schema_for(FORM), FORM.title)
    assert schema["required"] == ["decision", "facts"]
    assert schema["properties"]["decision"]["enum"] == ["fine", "warning"]
    assert schema["properties"]["facts"]["maxLength"] == 20
    assert schema["properties"]["served_on"]["format"] == "date"
    assert schema["additionalProperties"] is False


def test_samples_pass_validation():
    validate_submission(FORM, sample_submission(FORM))


@pytest.mark.parametrize("raw, problem", [
    ({"id": "len", "fields": []}, "reserved"),
    ({"id": "x", "fields": [{"name": "a", "type": "colour"}]}, "unknown type"),
    ({"id": "x", "fields": [{"name": "a", "type": "select"}]}, "needs options"),
    ({"id": "x", "fields": [{"name": "A b", "type": "text"}]}, "snake_case"),
])
def test_broken_form_definitions_are_refused(raw, problem):
    with pytest.raises(WorkflowDefinitionError, match=problem):
        parse_form(raw)
