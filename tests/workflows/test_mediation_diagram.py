"""workflows/mediation.bpmn: every branch driven in memory, and the diagram's structure.

Operators are fakes except `close_mediation`, which uses the engine's own outcome rule
(`mediation_steps.outcome_of`), so the diagram's branches and the recorded outcome agree.
"""
from __future__ import annotations

import ast

import pytest
from lxml import etree
from SpiffWorkflow.bpmn.util import BpmnEvent
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser, VALIDATOR
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.util.task import TaskState

from engine.models import Role
from engine.runtime.script_engine import HELPERS, SAFE_BUILTINS
from engine.runtime.specs import human_steps
from engine.services.definitions import check_definition
from engine.services.mediation import COURT_SOURCES
from engine.services.mediation_steps import outcome_of

from tests.workflows.conftest import (
    RecordingOperator, bpmn_path, drive, load_specs, outcome, ready_user_tasks, start,
)

NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
      "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
      "dc": "http://www.omg.org/spec/DD/20100524/DC",
      "di": "http://www.omg.org/spec/DD/20100524/DI",
      "spiff": "http://spiffworkflow.org/bpmn/schema/1.0/core"}
CASE = {"number": "泰市监知调〔2026〕1号", "unit": "taian", "pipeline": "mediation", "ip_type": "trademark",
        "is_major": False}
OUTCOMES = {"consent_refused", "returned_to_court", "returned_to_enforcement", "agreement_performed",
            "agreement_not_performed", "partial_agreement", "agreement_reported_to_court",
            "confirmation_rejected", "mediation_failed"}
COURT = {"court_name": "泰安市中级人民法院", "court_case_number": "（2026）鲁09民初1号", "court_procedure": "ordinary"}

BASE = {
    "record_consent": {"reply": "agreed"},
    "accept_dispute": {"decision": "accept"},
    "record_session": {"result": "concluded"},
    "record_outcome": {"result": "agreement", "terms": "赔偿五万元", "amount": "50000.00"},
    "apply_confirmation": {"applied": "not_applied"},
    "follow_up_performance": {"performance": "full"},
}
INTAKE = ["register_dispute", "record_consent"]
ASSIGN = ["assign_mediator", "accept_dispute"]
MEDIATE = ["give_opening_notice", "schedule_session", "record_session", "record_outcome"]
AGREED = INTAKE + ASSIGN + MEDIATE + ["sign_agreement"]


def answers(source="party", **changes) -> dict:
    intake = {"source": source, **(COURT if source in COURT_SOURCES else {})}
    if source == "enforcement":
        intake["referring_case"] = "泰岱市监知线〔2026〕1号"
    return {**BASE, "register_dispute": intake, **changes}


SCENARIOS = {
    "agreement, performed": (answers(), AGREED + ["apply_confirmation", "follow_up_performance"],
                             "agreement_performed"),
    "agreement, not fully performed": (answers(follow_up_performance={"performance": "partial"}),
                                       AGREED + ["apply_confirmation", "follow_up_performance"],
                                       "agreement_not_performed"),
    "partial agreement": (answers(record_outcome={"result": "partial_agreement"}),
                          AGREED + ["apply_confirmation", "follow_up_performance"], "partial_agreement"),
    "judicially confirmed": (answers(apply_confirmation={"applied": "applied"}, record_ruling={"ruling": "confirmed"}),
                             AGREED + ["apply_confirmation", "record_ruling", "follow_up_performance"],
                             "agreement_performed"),
    "confirmation rejected": (answers(apply_confirmation={"applied": "applied"}, record_ruling={"ruling": "rejected"}),
                              AGREED + ["apply_confirmation", "record_ruling"], "confirmation_rejected"),
    "other party refuses": (answers(record_consent={"reply": "refused"}), INTAKE, "consent_refused"),
    "other party silent, court pre-filing": (answers("court_assigned", record_consent={"reply": "no_reply"}),
                                             INTAKE + ["return_to_court"], "returned_to_court"),
    "no agreement, litigation advised": (answers(record_outcome={"result": "failure"}),
                                         INTAKE + ASSIGN + MEDIATE, "mediation_failed"),
    "no agreement, back to the enforcement case": (answers("enforcement", record_outcome={"result": "failure"}),
                                                   INTAKE + ASSIGN + MEDIATE, "returned_to_enforcement"),
    "no agreement, court post-filing": (answers("court_entrusted", record_outcome={"result": "failure"}),
                                        INTAKE + ASSIGN + MEDIATE + ["return_to_court"], "returned_to_court"),
    "agreement reported to the court": (answers("court_assigned"), AGREED + ["report_to_court"],
                                        "agreement_reported_to_court"),
    "declined once, reassigned, accepted": (
        answers(accept_dispute=[{"decision": "decline", "reason": "出差"}, {"decision": "accept"}]),
        INTAKE + ASSIGN + ["accept_dispute"] + MEDIATE + ["sign_agreement", "apply_confirmation",
                                                          "follow_up_performance"],
        "agreement_performed"),
    "every mediator declines: the head assigns again": (
        answers(accept_dispute=[{"decision": "decline", "reason": "不便"}, {"decision": "decline", "reason": "不便"},
                                {"decision": "accept"}]),
        INTAKE + ASSIGN + ["accept_dispute"] + ASSIGN + MEDIATE + ["sign_agreement", "apply_confirmation",
                                                                   "follow_up_performance"],
        "agreement_performed"),
    "three sessions": (answers(record_session=[{"result": "next_session"}, {"result": "next_session"},
                                               {"result": "concluded"}]),
                       INTAKE + ASSIGN + ["give_opening_notice"] + ["schedule_session", "record_session"] * 3
                       + ["record_outcome", "sign_agreement", "apply_confirmation", "follow_up_performance"],
                       "agreement_performed"),
}


def operators(report=False):
    """Fakes; the reassignment finds someone on the first decline only (then nobody is left)."""
    def close(task):
        return {"outcome": outcome_of(task.data), "report": report, "mediation": 1, "amount": None}

    return {
        "open_mediation_record": RecordingOperator(lambda n: {"mediation": 1, "source": "party"}),
        "record_mediation_intake": RecordingOperator(lambda n: {"consent_due_at": "2026-03-09"}),
        "designate_mediator": RecordingOperator(lambda n: {"mediator": "mediator1"}),
        "reassign_mediator": RecordingOperator(lambda n: {"found": n == 1, "mediator": "mediator2" if n == 1 else None}),
        "accept_assignment": RecordingOperator(lambda n: {"clock": "mediation_peoples"}),
        "generate_agreement": RecordingOperator(lambda n: {"partial": False, "length": 100}),
        "record_agreement_signed": RecordingOperator(lambda n: {"confirmation_due_at": "2026-04-07"}),
        "close_mediation": close,
    }


@pytest.fixture(scope="module")
def specs():
    return load_specs("mediation")


@pytest.fixture(scope="module")
def xml_doc():
    return etree.parse(str(bpmn_path("mediation")))


def start_mediation(specs, ops, payload=None):
    """Started as the engine starts it: the initial data, then the `mediation_referral` message."""
    wf = start(specs, ops, CASE)
    wf.send_event(BpmnEvent(MessageEventDefinition("mediation_referral"),
                            payload=payload or {"source": "party", "mediation": 1}))
    wf.do_engine_steps()
    return wf


def run_scenario(specs, forms, scenario, report=False):
    scenario_answers, _, _ = scenario
    ops = operators(report)
    wf = start_mediation(specs, ops)
    visited = drive(wf, scenario_answers, forms=forms)
    return wf, visited, ops


@pytest.mark.parametrize("name", SCENARIOS)
def test_scenario(name, specs, workflow_forms):
    _, expected_path, expected_end = SCENARIOS[name]
    wf, visited, ops = run_scenario(specs, workflow_forms, SCENARIOS[name])
    assert visited == expected_path
    assert wf.is_completed() and outcome(wf) == expected_end
    assert wf.data["closing"]["outcome"] == expected_end
    assert wf.get_events() == []  # nobody to tell: no message thrown


def test_it_starts_on_the_mediation_referral_message_only(specs, workflow_forms):
    wf = start(specs, operators(), CASE)
    assert ready_user_tasks(wf) == [] and not wf.is_completed()
    referral = {"case": CASE, "referral": {"requested_by": "right_holder"}}
    ops = operators()
    wf = start_mediation(specs, ops, referral)
    assert [t.task_spec.name for t in ready_user_tasks(wf)] == ["register_dispute"]
    assert ops["open_mediation_record"].calls == [{"task": "open_dispute", "referral": referral}]


def test_the_operators_run_at_their_steps(specs, workflow_forms):
    wf, _, ops = run_scenario(specs, workflow_forms, SCENARIOS["declined once, reassigned, accepted"])
    assert [c["task"] for c in ops["record_mediation_intake"].calls] == ["record_intake"]
    assert ops["record_mediation_intake"].calls[0]["intake"]["source"] == "party"
    assert [c["task"] for c in ops["designate_mediator"].calls] == ["apply_assignment"]
    assert [c["reply"]["decision"] for c in ops["reassign_mediator"].calls] == ["decline"]
    assert [c["task"] for c in ops["accept_assignment"].calls] == ["record_acceptance"]
    assert ops["generate_agreement"].calls[0]["outcome"]["result"] == "agreement"
    assert ops["record_agreement_signed"].calls[0]["task"] == "record_signing"


def test_the_result_is_thrown_to_a_waiting_enforcement_case(specs, workflow_forms):
    wf, _, _ = run_scenario(specs, workflow_forms, SCENARIOS["no agreement, back to the enforcement case"],
                            report=True)
    assert outcome(wf) == "returned_to_enforcement"
    [event] = wf.get_events()
    assert event.event_definition.name == "mediation_result"
    assert event.payload == {"outcome": "returned_to_enforcement", "case": CASE["number"], "mediation": 1,
                             "amount": None}


def taken_flows(wf) -> set[tuple[str, str]]:
    """(source, target) of every sequence flow the instance went along; SpiffWorkflow's own
    tasks without a BPMN id (the split in front of a task with a boundary event) are skipped."""
    flows = set()
    for t in wf.tasks.values():
        if not t.task_spec.bpmn_id or t.state != TaskState.COMPLETED:
            continue
        parent = t.parent
        while parent is not None and not parent.task_spec.bpmn_id:
            parent = parent.parent
        if parent is not None and parent.state == TaskState.COMPLETED:
            flows.add((parent.task_spec.bpmn_id, t.task_spec.bpmn_id))
    return flows


def test_the_scenarios_take_every_sequence_flow(specs, workflow_forms, xml_doc):
    flows = {(f.get("sourceRef"), f.get("targetRef")) for f in xml_doc.iterfind(".//bpmn:sequenceFlow", NS)}
    taken = set()
    for scenario in SCENARIOS.values():
        wf, _, _ = run_scenario(specs, workflow_forms, scenario)
        taken |= taken_flows(wf)
    wf, _, _ = run_scenario(specs, workflow_forms, SCENARIOS["agreement, performed"], report=True)
    taken |= taken_flows(wf)
    wf, _ = silent_mediator_run(specs, workflow_forms)
    taken |= taken_flows(wf)
    for source in ("party", "court_assigned"):
        taken |= taken_flows(silent_party_run(specs, workflow_forms, source)[0])
    assert flows - taken == set()


def fire_timeout(wf, name="acceptance_timeout") -> None:
    """The limit runs out (as the scheduler's fire_timers job does when it is due)."""
    [waiting] = [t for t in wf.get_tasks(state=TaskState.WAITING) if t.task_spec.name == name]
    wf.send_event(BpmnEvent(waiting.task_spec.event_definition))
    wf.do_engine_steps()


def silent_party_run(specs, forms, source):
    wf = start_mediation(specs, operators())
    scenario = answers(source)
    visited = drive(wf, scenario, forms=forms, stop_at={"record_consent"})
    fire_timeout(wf, "consent_timeout")
    visited += drive(wf, scenario, forms=forms)
    return wf, visited


@pytest.mark.parametrize("source, path, end", [
    ("party", ["register_dispute"], "consent_refused"),
    ("court_assigned", ["register_dispute", "return_to_court"], "returned_to_court"),
])
def test_silence_past_the_consent_limit_ends_the_mediation(specs, workflow_forms, source, path, end):
    wf, visited = silent_party_run(specs, workflow_forms, source)
    assert visited == path and outcome(wf) == end
    assert "mediation_consent" not in wf.data  # no reply was recorded: the timer did


def silent_mediator_run(specs, forms):
    ops = operators()
    wf = start_mediation(specs, ops)
    visited = drive(wf, BASE, forms=forms, stop_at={"accept_dispute"})
    fire_timeout(wf)
    visited += drive(wf, BASE, forms=forms)
    return wf, (visited, ops)


def test_a_silent_mediator_is_replaced_when_the_limit_runs_out(specs, workflow_forms):
    wf = start_mediation(specs, operators())
    drive(wf, BASE, forms=workflow_forms, stop_at={"accept_dispute"})
    assert wf.get_tasks(state=TaskState.WAITING, spec_name="acceptance_timeout")
    [timer] = [e for e in wf.waiting_events() if e.event_type == "DurationTimerEventDefinition"]
    assert timer.name == "逾期未答复"
    wf, (visited, ops) = silent_mediator_run(specs, workflow_forms)
    assert visited == INTAKE + ["assign_mediator", "accept_dispute", "give_opening_notice", "schedule_session",
                                "record_session", "record_outcome", "sign_agreement", "apply_confirmation",
                                "follow_up_performance"]
    [call] = ops["reassign_mediator"].calls
    assert call["task"] == "reassign_after_silence" and call["reply"]["decision"] == "decline"
    assert outcome(wf) == "agreement_performed"


def test_a_long_session_loop_keeps_working(specs, workflow_forms):
    rounds = [{"result": "next_session"}] * 150 + [{"result": "concluded"}]
    wf, visited, _ = run_scenario(specs, workflow_forms, (answers(record_session=rounds), None, None))
    assert visited.count("record_session") == 151 and outcome(wf) == "agreement_performed"


# ------------------------------------------------------------------ structure
def test_the_diagram_validates_and_the_engine_accepts_it(specs, workflow_forms):
    parser = SpiffBpmnParser(validator=VALIDATOR)
    parser.add_bpmn_str(bpmn_path("mediation").read_bytes(), filename="mediation.bpmn")
    assert parser.get_spec("mediation").name == "mediation"
    check_definition(specs, workflow_forms)


def test_lanes_are_role_codes_and_user_tasks_name_forms(specs, workflow_forms, xml_doc):
    lanes = [lane.get("name") for lane in xml_doc.iterfind(".//bpmn:lane", NS)]
    assert lanes == ["mediation_head", "mediator"] and set(lanes) <= {r.value for r in Role}
    user_tasks = xml_doc.findall(".//bpmn:userTask", NS)
    assert len(user_tasks) == len(human_steps(specs))
    for step in human_steps(specs):
        assert step.form_id in workflow_forms and step.role in lanes, step
        assert step.name != step.bpmn_id, f"{step.bpmn_id} needs a Chinese name"
    mediator_steps = {s.bpmn_id for s in human_steps(specs) if s.role == "mediator"}
    assert {"accept_dispute", "record_session", "record_outcome", "follow_up_performance"} <= mediator_steps


def test_end_events_are_the_outcomes_the_engine_computes(xml_doc):
    ends = {e.get("id") for e in xml_doc.iterfind(".//bpmn:endEvent", NS)}
    assert ends == OUTCOMES
    [gw_end] = xml_doc.xpath(".//bpmn:exclusiveGateway[@id='gw_end']", namespaces=NS)
    targets = {f.get("targetRef"): f.findtext("bpmn:conditionExpression", namespaces=NS)
               for f in xml_doc.iterfind(".//bpmn:sequenceFlow[@sourceRef='gw_end']", NS)}
    assert {t: ast.literal_eval(c.split("==")[1].strip()) for t, c in targets.items()} == {o: o for o in OUTCOMES}
    assert gw_end.get("default") is None


def test_it_starts_on_mediation_referral_and_throws_mediation_result_only_when_reported(xml_doc):
    throws = xml_doc.findall(".//bpmn:intermediateThrowEvent", NS)
    assert [t.get("id") for t in throws] == ["report_result"]
    assert [m.get("name") for m in xml_doc.findall("bpmn:message", NS)] == ["mediation_referral", "mediation_result"]
    [start_event] = xml_doc.findall(".//bpmn:startEvent", NS)
    [definition] = start_event.findall("bpmn:messageEventDefinition", NS)
    assert definition.get("messageRef") == "msg_mediation_referral"
    [flow] = xml_doc.xpath(".//bpmn:sequenceFlow[@targetRef='report_result']", namespaces=NS)
    assert flow.findtext("bpmn:conditionExpression", namespaces=NS) == 'closing["report"]'


def test_gateway_conditions_test_required_selects_or_operator_results(xml_doc, workflow_forms):
    """Form-field tests compare required selects with their options; other names are operator results."""
    forms_in_diagram = {p.get("value") for p in xml_doc.iterfind(".//spiff:property[@name='form']", NS)}
    results = {op.get("resultVariable") for op in xml_doc.iterfind(".//spiff:serviceTaskOperator", NS)}
    allowed = forms_in_diagram | results | {"case"} | set(SAFE_BUILTINS) | set(HELPERS)
    for f in xml_doc.iterfind(".//bpmn:sequenceFlow", NS):
        condition = f.findtext("bpmn:conditionExpression", namespaces=NS)
        if not condition:
            continue
        tree = ast.parse(condition, mode="eval")
        names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
        assert names <= allowed, f"{f.get('id')} uses unknown names {names - allowed}"
        for node in ast.walk(tree):
            if isinstance(node, ast.Compare) and isinstance(node.left, ast.Subscript) \
                    and node.left.value.id in forms_in_diagram:
                form_id, field_name = node.left.value.id, node.left.slice.value
                field = workflow_forms.get(form_id).field(field_name)
                assert field.type == "select" and field.required, f"{form_id}.{field_name}"
                values = ast.literal_eval(node.comparators[0])
                values = {values} if isinstance(values, str) else set(values)
                assert values <= {o.value for o in field.options}, f"{f.get('id')}: {values}"
    for gw in xml_doc.iterfind(".//bpmn:exclusiveGateway", NS):
        outgoing = xml_doc.xpath(f".//bpmn:sequenceFlow[@sourceRef='{gw.get('id')}']", namespaces=NS)
        assert len(outgoing) >= 2, gw.get("id")
        assert gw.get("default") or gw.get("id") == "gw_end", f"{gw.get('id')} needs a default flow"


# ------------------------------------------------------------------ diagram interchange
def bounds(shape):
    b = shape.find("dc:Bounds", NS)
    return tuple(float(b.get(k)) for k in ("x", "y", "width", "height"))


def test_every_element_has_a_shape_or_an_edge(xml_doc):
    shapes = {s.get("bpmnElement") for s in xml_doc.iterfind(".//bpmndi:BPMNShape", NS)}
    edges = {e.get("bpmnElement"): e for e in xml_doc.iterfind(".//bpmndi:BPMNEdge", NS)}
    [process] = xml_doc.findall("bpmn:process", NS)
    nodes = [el for el in process if el.get("id") and etree.QName(el).localname
             not in ("sequenceFlow", "laneSet", "documentation")]
    for el in [*nodes, *xml_doc.findall(".//bpmn:lane", NS), *xml_doc.findall(".//bpmn:participant", NS)]:
        assert el.get("id") in shapes, f"{el.get('id')} has no BPMNShape"
    for f in process.findall("bpmn:sequenceFlow", NS):
        assert f.get("id") in edges and len(edges[f.get("id")].findall("di:waypoint", NS)) >= 2


def test_the_layout_has_no_overlaps_and_keeps_nodes_in_their_lanes(xml_doc):
    shapes = {s.get("bpmnElement"): bounds(s) for s in xml_doc.iterfind(".//bpmndi:BPMNShape", NS)}
    lane_of = {ref.text: lane for lane in xml_doc.iterfind(".//bpmn:lane", NS)
               for ref in lane.findall("bpmn:flowNodeRef", NS)}
    [process] = xml_doc.findall("bpmn:process", NS)
    flow_nodes = {el.get("id") for el in process if etree.QName(el).localname
                  not in ("sequenceFlow", "laneSet", "documentation")}
    assert flow_nodes == set(lane_of), "every flow node is in exactly one lane"
    nodes = {k: shapes[k] for k in lane_of}
    for node_id, (x, y, w, h) in nodes.items():
        lx, ly, lw, lh = shapes[lane_of[node_id].get("id")]
        assert lx < x and x + w < lx + lw and ly < y and y + h < ly + lh, f"{node_id} leaves its lane"
    boundary = {b.get("id"): b.get("attachedToRef") for b in xml_doc.iterfind(".//bpmn:boundaryEvent", NS)}
    for event, host in boundary.items():  # on its host's border, not inside it
        ex, ey, ew, eh = nodes[event]
        hx, hy, hw, hh = nodes[host]
        assert hx <= ex and ex + ew <= hx + hw and ey + eh / 2 in (hy, hy + hh), f"{event} is not on {host}'s border"
    ids = sorted(k for k in nodes if k not in boundary)
    for i, a in enumerate(ids):
        ax, ay, aw, ah = nodes[a]
        for b in ids[i + 1:]:
            bx, by, bw, bh = nodes[b]
            assert not (ax < bx + bw and bx < ax + aw and ay < by + bh and by < ay + ah), f"{a} overlaps {b}"
    assert min(nodes, key=lambda k: nodes[k][0]) == "dispute_received"


def test_edges_start_and_end_on_their_shapes_without_diagonals(xml_doc):
    shapes = {s.get("bpmnElement"): bounds(s) for s in xml_doc.iterfind(".//bpmndi:BPMNShape", NS)}
    flows = {f.get("id"): f for f in xml_doc.iterfind(".//bpmn:sequenceFlow", NS)}

    def on_border(point, box):
        (px, py), (x, y, w, h) = point, box
        inside = x - 1 <= px <= x + w + 1 and y - 1 <= py <= y + h + 1
        return inside and min(abs(px - x), abs(px - x - w), abs(py - y), abs(py - y - h)) <= 1

    for edge in xml_doc.iterfind(".//bpmndi:BPMNEdge", NS):
        flow = flows[edge.get("bpmnElement")]
        points = [(float(p.get("x")), float(p.get("y"))) for p in edge.findall("di:waypoint", NS)]
        assert on_border(points[0], shapes[flow.get("sourceRef")]), f"{flow.get('id')} starts off its source"
        assert on_border(points[-1], shapes[flow.get("targetRef")]), f"{flow.get('id')} ends off its target"
        for a, b in zip(points, points[1:]):
            assert a[0] == b[0] or a[1] == b[1], f"{flow.get('id')} has a diagonal segment"


def test_outcome_rule_covers_every_end():
    """outcome_of gives each end for some data, and only ends of the diagram."""
    seen = set()
    for source in ("party", "enforcement", "court_assigned", "court_entrusted"):
        for reply in ("agreed", "refused"):
            for result in ("agreement", "partial_agreement", "failure"):
                for applied, ruling in (("applied", "rejected"), ("applied", "confirmed"), ("not_applied", None)):
                    for performance in ("full", "none"):
                        seen.add(outcome_of({
                            "mediation_intake": {"source": source}, "mediation_consent": {"reply": reply},
                            "mediation_outcome": {"result": result},
                            "confirmation_application": {"applied": applied},
                            "confirmation_ruling": {"ruling": ruling},
                            "performance_followup": {"performance": performance}}))
    assert seen == OUTCOMES
