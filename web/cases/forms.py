"""The new-case form's posted fields as the engine's `cases.open_case` takes them."""
from __future__ import annotations

from engine.forms.definitions import FieldDef
from web.tasks.forms import composite

# Shown with the task forms' party input (templates/tasks/fields.html).
PARTIES = (FieldDef("respondent", "party", {"zh": "被投诉人 / 当事人", "en": "Respondent"}),
           FieldDef("complainant", "party", {"zh": "投诉人 / 申请人", "en": "Complainant / applicant"}))
MEDIATION_FIELDS = ("source", "court_name", "court_case_number", "referring_case", "dispute")


def parse_open_case(posted) -> tuple[str, str, dict]:
    """(pipeline, unit code, fields); blanks are left out for the engine to judge what is missing."""
    text = {key: (posted.get(key) or "").strip() for key in ("title", "ip_type", "right_number", "right_holder",
                                                            "priority")}
    fields: dict = {key: value for key, value in text.items() if value}
    for role in (f.name for f in PARTIES):
        party = composite(posted, role, "party")
        if party is not None:
            fields[role] = party
    if posted.get("is_major"):
        fields["is_major"] = True
    pipeline = (posted.get("pipeline") or "").strip()
    if pipeline == "mediation":
        intake = {key: (posted.get(f"mediation.{key}") or "").strip() for key in MEDIATION_FIELDS}
        fields["mediation"] = {key: value for key, value in intake.items() if value}
    return pipeline, (posted.get("unit") or "").strip(), fields
