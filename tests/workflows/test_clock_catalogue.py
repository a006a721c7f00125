"""The clock catalogue (workflows/clocks.yaml, workflows/clocks/*.yaml) fits the diagrams."""
import os
from pathlib import Path

import pytest
import yaml

from engine.clocks.catalogue import Span, catalogue, parse
from engine.errors import Invalid
from engine.runtime.specs import human_steps
from tests.workflows.conftest import WORKFLOWS_DIR, load_specs

CATALOGUE = catalogue(WORKFLOWS_DIR)
DIAGRAM_PIPELINES = sorted({r.pipeline for r in CATALOGUE.rules.values()
                            if (WORKFLOWS_DIR / f"{r.pipeline}.bpmn").exists()})


@pytest.mark.parametrize("pipeline", DIAGRAM_PIPELINES)
def test_every_step_a_clock_names_is_a_human_step_of_its_pipeline(pipeline):
    steps = {s.bpmn_id for s in human_steps(load_specs(pipeline))}
    for rule in CATALOGUE.for_pipeline(pipeline):
        named = set(rule.stops) | set(rule.governs)
        if rule.start_kind in ("opened", "completed"):
            named |= set(rule.start_on)
        assert named <= steps, f"{rule.id}: unknown steps {sorted(named - steps)}"


def test_the_enforcement_limits_of_procedures_md():
    rules = {r.id: (r.length, r.unit, r.max_extension, r.approver) for r in CATALOGUE.for_pipeline("enforcement")}
    assert rules["filing_decision"] == (15, "working_days", 15, "unit_head")
    assert rules["decide_case"] == (90, "calendar_days", 30, "unit_head")
    assert rules["defence_request"] == (5, "working_days", 0, None)
    assert rules["serve_decision"][:2] == (7, "working_days")
    assert rules["publish_decision"][:2] == (20, "working_days")
    assert rules["pay_fine"][:2] == (15, "calendar_days")
    assert "appraisal" in CATALOGUE.get("filing_decision").pause_reasons


@pytest.mark.parametrize("raw, message", [
    ({"pipeline": "x", "length": 5, "unit": "weeks", "starts": {"opened": "a"}}, "unknown unit"),
    ({"pipeline": "x", "length": 0, "unit": "WD", "starts": {"opened": "a"}}, "positive whole number"),
    ({"pipeline": "x", "length": 5, "unit": "WD", "starts": {"when": "a"}}, "`starts` must be one of"),
    ({"pipeline": "x", "length": 5, "unit": "WD", "starts": {"opened": "a"}, "pause_reasons": ["nap"]},
     "unknown pause reason"),
    ({"pipeline": "x", "length": 5, "unit": "WD", "starts": {"opened": "a"},
      "extension": {"max": 5, "approver": "boss"}}, "is not a role"),
    ({"pipeline": "x", "length": 5, "unit": "WD", "starts": {"opened": "a"}, "warn_before": "soon"},
     "not a span"),
    ({"length": 5, "unit": "WD", "starts": {"opened": "a"}}, "`pipeline` is missing"),
])
def test_a_malformed_entry_is_refused_with_its_name(raw, message):
    with pytest.raises(Invalid, match=message) as err:
        parse([(Path("bad.yaml"), {"clocks": {"broken": raw}})])
    assert "bad.yaml: clock broken" in str(err.value)


def test_spans():
    assert Span.parse("3 WD", "x") == Span(3, "working_days")
    assert Span.parse("1 month", "x") == Span(1, "months")


def test_an_edited_catalogue_applies_once_the_recheck_interval_has_passed(tmp_path, monkeypatch):
    from engine.clocks import catalogue as module
    rule = {"pipeline": "p", "unit": "WD", "starts": {"opened": "a"}, "stops": ["a"]}
    path = tmp_path / "clocks.yaml"
    path.write_text(yaml.safe_dump({"clocks": {"r": {**rule, "length": 5}}}), encoding="utf-8")
    now = [1000.0]
    monkeypatch.setattr(module.time, "monotonic", lambda: now[0])
    assert catalogue(tmp_path).get("r").length == 5
    path.write_text(yaml.safe_dump({"clocks": {"r": {**rule, "length": 7}}}), encoding="utf-8")
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    now[0] += module.RECHECK_FILES_S / 2
    assert catalogue(tmp_path).get("r").length == 5  # files not looked at again yet
    now[0] += module.RECHECK_FILES_S
    assert catalogue(tmp_path).get("r").length == 7
