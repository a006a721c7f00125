"""The zh catalog: compiled as a whole (not fuzzy), engine errors and marshmallow messages translated."""
import re
from pathlib import Path

from babel.messages.pofile import read_po

from engine.errors import NotFound
from web.i18n import field_errors, translate_error

PO = Path(__file__).resolve().parents[2] / "web" / "translations" / "zh" / "LC_MESSAGES" / "messages.po"


def test_catalog_is_not_fuzzy_so_pybabel_compiles_it():
    with PO.open("rb") as f:
        catalog = read_po(f)
    assert not catalog.fuzzy and not any("fuzzy" in m.flags for m in catalog if m.id)


def test_every_message_has_a_chinese_translation_naming_only_its_placeholders():
    with PO.open("rb") as f:
        catalog = read_po(f)
    untranslated = [m.id for m in catalog if m.id and not m.string]
    assert untranslated == []
    # A translation may leave a detail out, never name one the message does not give.
    placeholders = lambda text: set(re.findall(r"\{[^{}]*\}|%\(\w+\)s", text))  # noqa: E731
    assert [m.id for m in catalog if m.id and not placeholders(m.string) <= placeholders(m.id)] == []


def test_engine_errors_and_field_messages_are_translated(app):
    with app.test_request_context("/"):
        assert translate_error(NotFound("No task {task_id}.", task_id=7)) == "没有编号为 7 的任务。"
        errors = field_errors({"a": ["Missing data for required field."], "b": ["Longer than maximum length 5."],
                               "p": {"uscc": ["Not a valid unified social credit code (check character mismatch)."]}})
        assert errors == {"a": ["此项为必填项。"], "b": ["最多 5 个字符。"],
                          "p": ["统一社会信用代码：统一社会信用代码无效（校验码不符）。"]}


def test_a_parts_message_names_the_part_in_the_users_language(app):
    from flask import session
    from flask_babel import refresh
    nested = {"respondent": {"name": ["Missing data for required field."], "extra": ["Unknown field."]}}
    with app.test_request_context("/"):
        assert field_errors(nested) == {"respondent": ["名称：此项为必填项。", "extra：未知字段。"]}
        session["lang"] = "en"
        refresh()
        assert field_errors(nested) == {"respondent": ["Name: Missing data for required field.",
                                                       "extra: Unknown field."]}
