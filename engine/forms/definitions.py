"""Load and check form definitions."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from engine.errors import WorkflowDefinitionError
from engine.runtime.script_engine import RESERVED_NAMES

FIELD_TYPES = frozenset({
    "text", "textarea", "number", "money", "date", "datetime", "select", "multiselect",
    "checkbox", "party", "ip_right", "evidence",
})
NAME = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Option:
    value: str
    label: dict[str, str]


@dataclass(frozen=True)
class FieldDef:
    name: str
    type: str
    label: dict[str, str]
    required: bool = False
    max_length: int | None = None
    min: float | None = None
    max: float | None = None
    options: tuple[Option, ...] = ()
    help: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, eq=False)  # hashed by identity: schemas are cached per object
class FormDef:
    id: str
    title: dict[str, str]
    fields: tuple[FieldDef, ...]
    show: tuple[str, ...] = ()

    def field(self, name: str) -> FieldDef:
        return next(f for f in self.fields if f.name == name)


def _bad(form_id: str, detail: str) -> WorkflowDefinitionError:
    return WorkflowDefinitionError("form {form}: {detail}", form=form_id, detail=detail)


def parse_form(raw: dict, expected_id: str | None = None) -> FormDef:
    form_id = raw.get("id", "")
    if not NAME.match(form_id) or form_id in RESERVED_NAMES:
        raise _bad(form_id or "?", "id must be snake_case and not a reserved name")
    if expected_id and form_id != expected_id:
        raise _bad(form_id, f"id differs from its file name {expected_id}")
    fields, seen = [], set()
    for item in raw.get("fields", []):
        name, ftype = item.get("name", ""), item.get("type")
        if not NAME.match(name) or name in seen:
            raise _bad(form_id, f"field name {name!r} is not snake_case or is repeated")
        if ftype not in FIELD_TYPES:
            raise _bad(form_id, f"field {name} has unknown type {ftype!r}")
        options = tuple(Option(str(o["value"]), o["label"]) for o in item.get("options", []))
        if ftype in ("select", "multiselect") and not options:
            raise _bad(form_id, f"field {name} needs options")
        seen.add(name)
        fields.append(FieldDef(
            name=name, type=ftype, label=item.get("label", {}), required=bool(item.get("required")),
            max_length=item.get("max_length"), min=item.get("min"), max=item.get("max"),
            options=options, help=item.get("help", {}),
        ))
    return FormDef(id=form_id, title=raw.get("title", {}), fields=tuple(fields),
                   show=tuple(raw.get("show", ())))


class FormRegistry:
    """Every form of a workflows directory, loaded once."""

    def __init__(self, forms: dict[str, FormDef]):
        self._forms = forms

    @classmethod
    def load(cls, forms_dir: Path) -> "FormRegistry":
        forms = {}
        for path in sorted(forms_dir.glob("*.json")):
            try:
                raw = json.loads(path.read_text(encoding="utf-8"))
            except json.JSONDecodeError as err:
                raise _bad(path.stem, f"not valid JSON: {err}") from err
            forms[path.stem] = parse_form(raw, expected_id=path.stem)
        return cls(forms)

    def get(self, form_id: str) -> FormDef:
        try:
            return self._forms[form_id]
        except KeyError:
            raise _bad(form_id, "no such form") from None

    def __contains__(self, form_id: str) -> bool:
        return form_id in self._forms

    def ids(self) -> list[str]:
        return sorted(self._forms)
