"""workflows/transfer.bpmn: every branch driven in memory, and the diagram's structure.

Each branch starts on its message (as the engine's message bus delivers it) and ends at
an end event named for the outcome; criminal transfers answer the enforcement instance
with a `criminal_transfer_result` message, the mediation branch hands the civil part over
with `mediation_referral` and waits for `mediation_result`.
"""
from __future__ import annotations

from collections import defaultdict

import pytest
import yaml
from lxml import etree

from engine.models import Role
from engine.runtime.script_engine import HELPERS, SAFE_BUILTINS
from engine.runtime.specs import human_steps, message_starts
from engine.runtime.stepper import WorkflowRun
from engine.services.definitions import check_definition

from tests.workflows.conftest import RecordingOperator, bpmn_path, drive, load_specs, outcome, start
from tests.workflows.test_enforcement_diagram import NS, bounds, form_tests, taken_flows

ROLE_CODES = {r.value for r in Role}
CASE = {"number": "泰岱市监知线〔2026〕1号", "unit": "daiyue", "pipeline": "enforcement",
        "ip_type": "trademark", "is_major": False}
POLICE = {"police_body": "泰安市公安局岱岳分局", "receipt_number": "岱公受案字〔2026〕118号"}

CRIMINAL = ["propose_criminal_transfer", "approve_criminal_transfer"]
SENT = CRIMINAL + ["record_police_receipt", "record_police_decision"]
NOT_FILED = {"record_police_receipt": POLICE, "record_police_decision": {"decision": "not_filed"}}
# name: (start message, answers, user tasks done, end event, result message payload's outcome)
SCENARIOS = {
    "approved and filed by the police": (
        "criminal_transfer", {"record_police_receipt": POLICE}, SENT, "filed_by_police", "filed"),
    "refused by the principal head": (
        "criminal_transfer", {"approve_criminal_transfer": {"decision": "refuse", "opinion": "证据不足"}},
        CRIMINAL, "transfer_refused", "refused"),
    "not filed, no reconsideration": (
        "criminal_transfer", {**NOT_FILED, "consider_reconsideration": {"request": "no"}},
        SENT + ["consider_reconsideration"], "not_filed_by_police", "not_filed"),
    "filed after reconsideration": (
        "criminal_transfer", {**NOT_FILED, "record_reconsideration": {"result": "filed"}},
        SENT + ["consider_reconsideration", "record_reconsideration"], "filed_by_police", "filed"),
    "reconsideration upheld": (
        "criminal_transfer", {**NOT_FILED, "record_reconsideration": {"result": "upheld"}},
        SENT + ["consider_reconsideration", "record_reconsideration"], "not_filed_by_police", "not_filed"),
    "filed under the procuratorate's supervision": (
        "criminal_transfer", {**NOT_FILED, "record_reconsideration": {"result": "upheld_supervision"}},
        SENT + ["consider_reconsideration", "record_reconsideration", "record_supervision"],
        "filed_by_police", "filed"),
    "still not filed after supervision": (
        "criminal_transfer", {**NOT_FILED, "record_reconsideration": {"result": "upheld_supervision"},
                              "record_supervision": {"result": "not_filed"}},
        SENT + ["consider_reconsideration", "record_reconsideration", "record_supervision"],
        "not_filed_by_police", "not_filed"),
    "jurisdiction transfer accepted": (
        "jurisdiction_transfer", {"propose_jurisdiction_transfer": {"receiving_unit": "taishan"}},
        ["propose_jurisdiction_transfer", "approve_jurisdiction_transfer", "accept_jurisdiction_transfer"],
        "jurisdiction_transferred", None),
    "jurisdiction transfer refused, the superior designates": (
        "jurisdiction_transfer", {"propose_jurisdiction_transfer": {"receiving_unit": "taishan"},
                                  "accept_jurisdiction_transfer": {"decision": "refuse"},
                                  "designate_unit": {"designated_unit": "xintai"}},
        ["propose_jurisdiction_transfer", "approve_jurisdiction_transfer", "accept_jurisdiction_transfer",
         "designate_unit"], "jurisdiction_designated", None),
    "jurisdiction transfer stopped by the sending head": (
        "jurisdiction_transfer", {"propose_jurisdiction_transfer": {"receiving_unit": "taishan"},
                                  "approve_jurisdiction_transfer": {"decision": "refuse"}},
        ["propose_jurisdiction_transfer", "approve_jurisdiction_transfer"], "jurisdiction_transfer_withdrawn", None),
    "civil part referred to mediation": (
        "civil_referral", {}, ["refer_to_mediation"], "mediation_concluded", None),
}


@pytest.fixture(scope="module")
def specs():
    return load_specs("transfer")


@pytest.fixture(scope="module")
def xml_doc():
    return etree.parse(str(bpmn_path("transfer")))


def fake_operators() -> dict[str, RecordingOperator]:
    return {"build_transfer_package": RecordingOperator(lambda n: {"package_id": n, "files": 3}),
            "record_case_number": RecordingOperator(lambda n: POLICE["receipt_number"]),
            "check_receiving_unit": RecordingOperator(lambda n: "泰山区市场监督管理局"),
            "transfer_jurisdiction": RecordingOperator(lambda n: "moved")}


def run_scenario(specs, forms, name):
    message, answers, _, _, _ = SCENARIOS[name]
    operators = fake_operators()
    wf = start(specs, operators, CASE)
    run = WorkflowRun(wf)
    assert {m for m in ("criminal_transfer", "jurisdiction_transfer", "civil_referral") if run.waits_for(m)} == \
        {"criminal_transfer", "jurisdiction_transfer", "civil_referral"}
    run.deliver(message, {"case": CASE, "stage": "before_notice"} if message == "criminal_transfer" else {})
    visited = drive(wf, answers, forms=forms)
    thrown = run.drain_messages()
    if message == "civil_referral":
        assert [m.name for m in thrown] == ["mediation_referral"] and thrown[0].payload["case"] == CASE
        assert run.waits_for("mediation_result") and not wf.is_completed()
        run.deliver("mediation_result", {"outcome": "agreement", "case": CASE["number"]})
        thrown = run.drain_messages()
    return wf, visited, thrown, operators


@pytest.mark.parametrize("name", SCENARIOS)
def test_scenario(name, specs, workflow_forms):
    message, _, expected_path, expected_end, result = SCENARIOS[name]
    wf, visited, thrown, operators = run_scenario(specs, workflow_forms, name)
    assert visited == expected_path
    assert wf.is_completed() and outcome(wf) == expected_end
    if result is None:
        assert thrown == []
    else:
        [answer] = thrown
        assert answer.name == "criminal_transfer_result" and answer.payload["outcome"] == result
    if "record_police_receipt" in visited:
        assert operators["build_transfer_package"].calls == [{"task": "generate_transfer_package", "kind": "criminal"}]
        [number] = operators["record_case_number"].calls
        assert number["kind"] == "公安" and number["issued_by"] == POLICE["police_body"]
    else:
        assert operators["build_transfer_package"].calls == []
    moves = [c["unit"] for c in operators["transfer_jurisdiction"].calls]
    assert moves == {"jurisdiction_transferred": ["taishan"], "jurisdiction_designated": ["xintai"]}.get(expected_end, [])


def test_the_scenarios_take_every_sequence_flow(specs, workflow_forms, xml_doc):
    flows = {(f.get("sourceRef"), f.get("targetRef")) for f in xml_doc.iterfind(".//bpmn:sequenceFlow", NS)}
    taken = set()
    for name in SCENARIOS:
        wf, _, _, _ = run_scenario(specs, workflow_forms, name)
        taken |= taken_flows(wf)
    assert flows - taken == set()


# ------------------------------------------------------------------ structure
def test_the_engine_accepts_the_definition(specs, workflow_forms):
    check_definition(specs, workflow_forms)


def test_each_kind_of_transfer_starts_on_its_own_message(specs):
    assert message_starts(specs) == {"criminal_transfer", "jurisdiction_transfer", "civil_referral"}


def test_lanes_are_role_codes_and_user_tasks_name_forms(specs, workflow_forms, xml_doc):
    lanes = [lane.get("name") for lane in xml_doc.iterfind(".//bpmn:lane", NS)]
    assert lanes == ["officer", "unit_head"]
    assert len(xml_doc.findall(".//bpmn:userTask", NS)) == len(human_steps(specs))
    for step in human_steps(specs):
        assert step.form_id in workflow_forms and step.role in ROLE_CODES, step
        assert step.name != step.bpmn_id, f"{step.bpmn_id} needs a Chinese name"


def test_unit_overrides_name_the_superior_or_a_unit_field_filled_earlier(specs, workflow_forms):
    units = {s.bpmn_id: s.unit for s in human_steps(specs) if s.unit}
    assert units == {"accept_jurisdiction_transfer": "jurisdiction_proposal.receiving_unit",
                     "designate_unit": "superior"}
    form_id, _, field = units["accept_jurisdiction_transfer"].partition(".")
    assert workflow_forms.get(form_id).field(field).required


def test_end_events_are_the_outcomes_and_criminal_ones_answer_the_enforcement_case(xml_doc):
    ends = {e.get("id"): e for e in xml_doc.iterfind(".//bpmn:endEvent", NS)}
    assert set(ends) == {"transfer_refused", "filed_by_police", "not_filed_by_police", "jurisdiction_transferred",
                         "jurisdiction_designated", "jurisdiction_transfer_withdrawn", "mediation_concluded"}
    answering = {i for i, e in ends.items() if e.find("bpmn:messageEventDefinition", NS) is not None}
    assert answering == {"transfer_refused", "filed_by_police", "not_filed_by_police"}
    messages = {m.get("id"): m.get("name") for m in xml_doc.iterfind("bpmn:message", NS)}
    for end_id in answering:
        [definition] = ends[end_id].findall("bpmn:messageEventDefinition", NS)
        assert messages[definition.get("messageRef")] == "criminal_transfer_result"


def test_gateways_test_required_selects_and_cover_every_option(xml_doc, workflow_forms):
    forms_in_diagram = {p.get("value") for p in xml_doc.iterfind(".//spiff:property[@name='form']", NS)}
    allowed = forms_in_diagram | {"case"} | set(SAFE_BUILTINS) | set(HELPERS)
    flows_by_source = defaultdict(list)
    for f in xml_doc.iterfind(".//bpmn:sequenceFlow", NS):
        flows_by_source[f.get("sourceRef")].append(f)
    for gw in xml_doc.findall(".//bpmn:exclusiveGateway", NS):
        tested = defaultdict(set)
        for f in flows_by_source[gw.get("id")]:
            condition = f.findtext("bpmn:conditionExpression", namespaces=NS)
            assert condition, f"{f.get('id')}: every flow out of {gw.get('id')} has a condition"
            tests, names = form_tests(condition)
            assert names <= allowed, names - allowed
            for key, values in tests.items():
                assert not tested[key] & values, f"{gw.get('id')}: overlapping conditions"
                tested[key] |= values
        [(form_id, field_name)] = tested  # one select decides each gateway
        field = workflow_forms.get(form_id).field(field_name)
        assert field.type == "select" and field.required
        assert tested[(form_id, field_name)] == {o.value for o in field.options}, gw.get("id")


def test_the_clock_catalogue_times_steps_of_this_diagram(specs):
    """workflows/clocks/transfer.yaml (the clock catalogue's format) names steps that exist."""
    steps = {s.bpmn_id for s in human_steps(specs)}
    raw = yaml.safe_load((bpmn_path("transfer").parent / "clocks" / "transfer.yaml").read_text(encoding="utf-8"))
    rules = raw["clocks"]
    assert {"criminal_transfer_approval", "police_filing_decision"} <= set(rules)
    for rule_id, rule in rules.items():
        assert rule["pipeline"] == "transfer" and rule["unit"] in ("CD", "WD") and rule["length"] > 0, rule_id
        [(kind, start_step)] = rule["starts"].items()
        assert kind == "opened" and {start_step, *rule["stops"], *rule["governs"]} <= steps, rule_id
        assert rule["warn_before"], f"{rule_id} warns before it is due"


# ------------------------------------------------------------------ diagram interchange
def test_every_element_has_a_shape_and_edges_dock_on_their_shapes(xml_doc):
    shapes = {s.get("bpmnElement"): bounds(s) for s in xml_doc.iterfind(".//bpmndi:BPMNShape", NS)}
    [process] = xml_doc.findall("bpmn:process", NS)
    nodes = [el.get("id") for el in process if el.get("id")
             and etree.QName(el).localname not in ("sequenceFlow", "laneSet", "documentation")]
    for node_id in nodes + [lane.get("id") for lane in xml_doc.iterfind(".//bpmn:lane", NS)]:
        assert node_id in shapes, f"{node_id} has no BPMNShape"
    flows = {f.get("id"): f for f in xml_doc.iterfind(".//bpmn:sequenceFlow", NS)}
    edges = {e.get("bpmnElement"): e for e in xml_doc.iterfind(".//bpmndi:BPMNEdge", NS)}
    assert set(edges) == set(flows)

    def on_border(point, box):
        (px, py), (x, y, w, h) = point, box
        inside = x - 1 <= px <= x + w + 1 and y - 1 <= py <= y + h + 1
        return inside and min(abs(px - x), abs(px - x - w), abs(py - y), abs(py - y - h)) <= 1

    for flow_id, edge in edges.items():
        points = [(float(p.get("x")), float(p.get("y"))) for p in edge.findall("di:waypoint", NS)]
        assert on_border(points[0], shapes[flows[flow_id].get("sourceRef")]), flow_id
        assert on_border(points[-1], shapes[flows[flow_id].get("targetRef")]), flow_id
        assert all(a[0] == b[0] or a[1] == b[1] for a, b in zip(points, points[1:])), f"{flow_id} is diagonal"


def test_the_layout_has_no_overlaps_and_keeps_nodes_in_their_lanes(xml_doc):
    shapes = {s.get("bpmnElement"): bounds(s) for s in xml_doc.iterfind(".//bpmndi:BPMNShape", NS)}
    lane_of = {ref.text: lane.get("id") for lane in xml_doc.iterfind(".//bpmn:lane", NS)
               for ref in lane.findall("bpmn:flowNodeRef", NS)}
    nodes = {k: shapes[k] for k in lane_of}
    for node_id, (x, y, w, h) in nodes.items():
        lx, ly, lw, lh = shapes[lane_of[node_id]]
        assert lx < x and x + w < lx + lw and ly < y and y + h < ly + lh, f"{node_id} leaves its lane"
    ids = sorted(nodes)
    for i, a in enumerate(ids):
        ax, ay, aw, ah = nodes[a]
        for b in ids[i + 1:]:
            bx, by, bw, bh = nodes[b]
            assert not (ax < bx + bw and bx < ax + aw and ay < by + bh and by < ay + ah), f"{a} overlaps {b}"
