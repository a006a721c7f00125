"""Every workflows/forms/*.json follows the format in workflows/README.md."""
from __future__ import annotations

import json
import re

import pytest

from engine.forms.definitions import FIELD_TYPES, parse_form
from engine.forms.samples import sample_submission
from engine.forms.validation import validate_submission
from engine.runtime.script_engine import RESERVED_NAMES
from tests.workflows.conftest import FORMS_DIR

SNAKE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
FORM_KEYS = {"id", "title", "fields", "show"}
FIELD_KEYS = {"name", "type", "label", "required", "max_length", "min", "max", "options", "help", "show"}
PATHS = sorted(FORMS_DIR.glob("*.json"))
RAW = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in PATHS}


def is_bilingual(text) -> bool:
    return (isinstance(text, dict) and set(text) == {"zh", "en"}
            and all(isinstance(v, str) and v.strip() for v in text.values()))


def test_there_are_forms():
    assert PATHS


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.stem)
def test_form_file(path):
    raw = RAW[path.stem]
    assert set(raw) <= FORM_KEYS, f"unknown keys {set(raw) - FORM_KEYS}"
    assert raw["id"] == path.stem
    assert SNAKE.match(raw["id"]) and raw["id"] not in RESERVED_NAMES | {"case"}  # `case`: the initial data
    assert is_bilingual(raw["title"])
    assert raw["fields"], "a form without fields"
    names = [f.get("name") for f in raw["fields"]]
    assert len(names) == len(set(names)), "repeated field names"
    for field in raw["fields"]:
        where = f"{raw['id']}.{field.get('name')}"
        assert set(field) <= FIELD_KEYS, f"{where}: unknown keys {set(field) - FIELD_KEYS}"
        assert SNAKE.match(field["name"]) and field["name"] not in RESERVED_NAMES, where
        assert field["type"] in FIELD_TYPES, where
        assert is_bilingual(field["label"]), f"{where}: label needs zh and en"
        if "help" in field:
            assert is_bilingual(field["help"]), f"{where}: help needs zh and en"
        if "required" in field:
            assert isinstance(field["required"], bool), where
        if "max_length" in field:
            assert field["type"] in ("text", "textarea") and isinstance(field["max_length"], int), where
            assert field["max_length"] > 0, where
        for bound in ("min", "max"):
            if bound in field:
                assert field["type"] in ("number", "money") and isinstance(field[bound], (int, float)), where
        if field["type"] in ("select", "multiselect"):
            values = [o["value"] for o in field.get("options", [])]
            assert values, f"{where}: no options"
            assert len(values) == len(set(values)), f"{where}: repeated option values"
            for option in field["options"]:
                assert set(option) == {"value", "label"} and isinstance(option["value"], str), where
                assert option["value"] and is_bilingual(option["label"]), where
        else:
            assert "options" not in field, f"{where}: options on a {field['type']} field"
    # what the engine itself checks, and a sample submission passes the schema built from it
    form = parse_form(raw, expected_id=path.stem)
    validate_submission(form, sample_submission(form))
    validate_submission(form, sample_submission(form, required_only=True))


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.stem)
def test_shown_fields_exist(path):
    """`show` names fields of other forms as "form.field"."""
    for ref in RAW[path.stem].get("show", []):
        form_id, _, field_name = ref.partition(".")
        assert form_id in RAW and form_id != path.stem, f"{path.stem} shows {ref}: no such form"
        assert field_name in {f["name"] for f in RAW[form_id]["fields"]}, f"{path.stem} shows {ref}: no such field"
