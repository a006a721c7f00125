"""workflows/enforcement.bpmn: every branch driven in memory, and the diagram's structure.

The scenarios answer only the decisions that route the case; every other field gets
the form's sample value (see conftest.drive). Expected paths list the user tasks in the
order they are done.
"""
from __future__ import annotations

import ast
from collections import defaultdict

import pytest
from lxml import etree
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser, VALIDATOR
from SpiffWorkflow.util.task import TaskState

from engine.forms.samples import sample_submission
from engine.forms.validation import validate_submission
from engine.models import Role
from engine.runtime.script_engine import HELPERS, SAFE_BUILTINS, OperatorScriptEngine
from engine.runtime.specs import human_steps
from engine.runtime.stepper import WorkflowRun
from engine.services.definitions import check_definition

from tests.workflows.conftest import RecordingOperator, bpmn_path, drive, load_specs, outcome, start

NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
      "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
      "dc": "http://www.omg.org/spec/DD/20100524/DC",
      "di": "http://www.omg.org/spec/DD/20100524/DI",
      "spiff": "http://spiffworkflow.org/bpmn/schema/1.0/core"}
ROLE_CODES = {r.value for r in Role}
FILING_NUMBER = "泰岱市监知立〔2026〕{n}号"
CASE = {"number": "泰岱市监知线〔2026〕1号", "unit": "370911", "pipeline": "enforcement",
        "ip_type": "trademark", "is_major": False}

# ------------------------------------------------------------------ scenarios
# Decisions of the plain path: filed, ordinary case, penalty, no statement.
BASE = {
    "decide_filing": {"decision": "file"},
    "write_report": {"proposed_outcome": "penalty", "major_case": "no", "proposed_fine": "30000"},
    "legal_review": {"opinion": "agree"},
    "approve_proposal": {"decision": "penalty"},
    "record_defence": {"response": "none"},
    "decide_penalty": {"decision": "penalty", "penalty_types": ["fine", "confiscate_goods"],
                       "fine_amount": "30000.00"},
}
LEAD = ["register_lead", "verify_lead", "decide_filing"]
ROUND = ["investigate", "write_report", "legal_review"]
NOTICE = ["issue_notice", "record_defence"]
PENALTY_TAIL = ["decide_penalty", "serve_decision", "publish_decision", "record_execution", "approve_closing"]
NO_PENALTY_TAIL = ["decide_no_penalty", "serve_no_penalty", "approve_closing"]


# What the transfer process (transfer.bpmn) answers through the `criminal_transfer_result` message.
FILED = {"outcome": "filed", "police_body": "泰安市公安局泰山分局"}
NOT_FILED = {"outcome": "not_filed", "police_body": "泰安市公安局泰山分局"}
REFUSED = {"outcome": "refused", "reasons": "证据不足以认定涉嫌犯罪"}


def answers(**changes) -> dict:
    return {**BASE, **changes}


SCENARIOS = {
    "not filed": (answers(decide_filing={"decision": "not_file"}), CASE,
                  LEAD, "not_filed"),
    "sent back to verification, then filed": (
        answers(decide_filing=[{"decision": "more_verification"}, {"decision": "file"}]), CASE,
        LEAD + ["verify_lead", "decide_filing"] + ROUND + ["approve_proposal"] + NOTICE + PENALTY_TAIL,
        "closed"),
    "penalty, no statement or defence": (
        answers(), CASE,
        LEAD + ROUND + ["approve_proposal"] + NOTICE + PENALTY_TAIL, "closed"),
    "penalty after a statement": (
        answers(record_defence={"response": "statement", "statement_points": "初次违法，已停止销售"}), CASE,
        LEAD + ROUND + ["approve_proposal"] + NOTICE + ["review_defence"] + PENALTY_TAIL, "closed"),
    "penalty after a hearing": (
        answers(record_defence={"response": "hearing_requested"}), CASE,
        LEAD + ROUND + ["approve_proposal"] + NOTICE + ["hold_hearing", "review_defence"] + PENALTY_TAIL,
        "closed"),
    "legal review returns twice for supplementary investigation, then passes with amendments": (
        answers(legal_review=[{"opinion": "return"}, {"opinion": "return"}, {"opinion": "amend"}]), CASE,
        LEAD + ROUND * 3 + ["approve_proposal"] + NOTICE + PENALTY_TAIL, "closed"),
    "head returns the proposal for more investigation": (
        answers(approve_proposal=[{"decision": "return"}, {"decision": "penalty"}]), CASE,
        LEAD + ROUND + ["approve_proposal"] + ROUND + ["approve_proposal"] + NOTICE + PENALTY_TAIL, "closed"),
    "major case by the report: collective discussion decides a penalty": (
        answers(write_report={"major_case": "yes"}, collective_discussion={"resolution": "penalty"}), CASE,
        LEAD + ROUND + ["collective_discussion"] + NOTICE + PENALTY_TAIL, "closed"),
    "major case flagged when opened, whatever the report says": (
        answers(write_report={"major_case": "no"}), {**CASE, "is_major": True},
        LEAD + ROUND + ["collective_discussion"] + NOTICE + PENALTY_TAIL, "closed"),
    "collective discussion returns the case once": (
        answers(write_report={"major_case": "yes"},
                collective_discussion=[{"resolution": "return"}, {"resolution": "penalty"}]), CASE,
        LEAD + ROUND + ["collective_discussion"] + ROUND + ["collective_discussion"] + NOTICE + PENALTY_TAIL,
        "closed"),
    "collective discussion decides no penalty": (
        answers(write_report={"major_case": "yes"}, collective_discussion={"resolution": "no_penalty"}), CASE,
        LEAD + ROUND + ["collective_discussion"] + NO_PENALTY_TAIL, "closed"),
    "collective discussion withdraws the case": (
        answers(write_report={"major_case": "yes"}, collective_discussion={"resolution": "withdraw"}), CASE,
        LEAD + ROUND + ["collective_discussion"], "withdrawn"),
    "collective discussion transfers the case; the police file it": (
        answers(write_report={"major_case": "yes"}, collective_discussion={"resolution": "transfer"}), CASE,
        LEAD + ROUND + ["collective_discussion"], "transferred_to_police", [FILED]),
    "collective discussion transfers the case; not filed, the discussion decides again": (
        answers(write_report={"major_case": "yes"},
                collective_discussion=[{"resolution": "transfer"}, {"resolution": "penalty"}]), CASE,
        LEAD + ROUND + ["collective_discussion", "collective_discussion"] + NOTICE + PENALTY_TAIL, "closed",
        [NOT_FILED]),
    "no penalty (APL art. 33)": (
        answers(write_report={"proposed_outcome": "no_penalty", "major_case": "no"},
                approve_proposal={"decision": "no_penalty"}), CASE,
        LEAD + ROUND + ["approve_proposal"] + NO_PENALTY_TAIL, "closed"),
    "no penalty after the defence is accepted": (
        answers(record_defence={"response": "statement"}, decide_penalty={"decision": "no_penalty"}), CASE,
        LEAD + ROUND + ["approve_proposal"] + NOTICE + ["review_defence", "decide_penalty"] + NO_PENALTY_TAIL,
        "closed"),
    "withdrawn": (
        answers(write_report={"proposed_outcome": "withdraw", "major_case": "no"},
                approve_proposal={"decision": "withdraw"}), CASE,
        LEAD + ROUND + ["approve_proposal"], "withdrawn"),
    "transfer proposed by the report; the police file it": (
        answers(write_report={"proposed_outcome": "transfer", "major_case": "no"},
                approve_proposal={"decision": "transfer"}), CASE,
        LEAD + ROUND + ["approve_proposal"], "transferred_to_police", [FILED]),
    "transfer refused by the head: the proposal is decided again": (
        answers(write_report={"proposed_outcome": "transfer", "major_case": "no"},
                approve_proposal=[{"decision": "transfer"}, {"decision": "penalty"}]), CASE,
        LEAD + ROUND + ["approve_proposal", "approve_proposal"] + NOTICE + PENALTY_TAIL, "closed", [REFUSED]),
    "transfer decided after the defence; the police file it": (
        answers(record_defence={"response": "hearing_requested"}, decide_penalty={"decision": "transfer"}), CASE,
        LEAD + ROUND + ["approve_proposal"] + NOTICE + ["hold_hearing", "review_defence", "decide_penalty"],
        "transferred_to_police", [FILED]),
    "transfer after the defence not filed: the penalty decision is taken again": (
        answers(decide_penalty=[{"decision": "transfer"}, {"decision": "penalty"}]), CASE,
        LEAD + ROUND + ["approve_proposal"] + NOTICE + ["decide_penalty"] + PENALTY_TAIL, "closed", [NOT_FILED]),
}


@pytest.fixture(scope="module")
def specs():
    return load_specs("enforcement")


@pytest.fixture(scope="module")
def xml_doc():
    return etree.parse(str(bpmn_path("enforcement")))


def run_scenario(specs, forms, scenario):
    """Drive the scenario; each time the case waits for the transfer's result, answer the next one."""
    scenario_answers, case, _, _, *rest = scenario
    results = list(rest[0]) if rest else []
    numbers = RecordingOperator(lambda n: FILING_NUMBER.format(n=n))
    wf = start(specs, {"issue_case_number": numbers}, case)
    pending = {k: list(v) if isinstance(v, list) else v for k, v in scenario_answers.items()}
    visited = _drive_on(wf, pending, forms)
    while results:
        run = WorkflowRun(wf)
        [thrown] = run.drain_messages()
        assert thrown.name == "criminal_transfer" and thrown.payload["case"] == case
        assert run.waits_for("criminal_transfer_result") and not run.ready_human_tasks()
        run.deliver("criminal_transfer_result", results.pop(0))
        visited += _drive_on(wf, pending, forms)
    return wf, visited, numbers


def _drive_on(wf, pending: dict, forms) -> list[str]:
    """`drive`, consuming per-visit answers across calls (drive copies its answers)."""
    visited = drive(wf, pending, forms=forms)
    for step in visited:
        if isinstance(pending.get(step), list) and len(pending[step]) > 1:
            pending[step].pop(0)
    return visited


@pytest.mark.parametrize("name", SCENARIOS)
def test_scenario(name, specs, workflow_forms):
    _, _, expected_path, expected_end, *_ = SCENARIOS[name]
    wf, visited, numbers = run_scenario(specs, workflow_forms, SCENARIOS[name])
    assert visited == expected_path
    assert wf.is_completed() and outcome(wf) == expected_end
    if expected_end == "not_filed":
        assert numbers.calls == [] and "filing_number" not in wf.data
    else:  # filed: exactly one filing number, of kind 立, kept in the data
        assert numbers.calls == [{"task": "issue_filing_number", "kind": "立"}]
        assert wf.data["filing_number"] == FILING_NUMBER.format(n=1)


def test_the_filing_number_is_issued_before_the_investigation_starts(specs, workflow_forms):
    numbers = RecordingOperator(lambda n: FILING_NUMBER.format(n=n))
    wf = start(specs, {"issue_case_number": numbers}, CASE)
    drive(wf, BASE, forms=workflow_forms, stop_at={"investigate"})
    [task] = wf.get_tasks(state=TaskState.READY, manual=True)
    assert task.task_spec.name == "investigate"
    assert task.data["filing_number"] == FILING_NUMBER.format(n=1)
    assert len(numbers.calls) == 1


def taken_flows(wf) -> set[tuple[str, str]]:
    """(source, target) of every sequence flow the instance went along."""
    return {(t.parent.task_spec.bpmn_id, t.task_spec.bpmn_id) for t in wf.tasks.values()
            if t.parent is not None and t.parent.task_spec.bpmn_id and t.task_spec.bpmn_id
            and t.state == TaskState.COMPLETED and t.parent.state == TaskState.COMPLETED}


def test_the_scenarios_take_every_sequence_flow(specs, workflow_forms, xml_doc):
    flows = {(f.get("sourceRef"), f.get("targetRef")) for f in xml_doc.iterfind(".//bpmn:sequenceFlow", NS)}
    taken = set()
    for scenario in SCENARIOS.values():
        wf, _, _ = run_scenario(specs, workflow_forms, scenario)
        taken |= taken_flows(wf)
    assert flows - taken == set()


def test_supplementary_investigation_can_go_round_hundreds_of_times(specs, workflow_forms):
    """The return loop is plain sequence flows; the runtime's rewind keeps it working."""
    def typed(form_id, **answer):
        form = workflow_forms.get(form_id)
        return {form_id: validate_submission(form, sample_submission(form, answer, required_only=True)).typed}

    numbers = RecordingOperator(lambda n: FILING_NUMBER.format(n=n))
    run = WorkflowRun.start(specs, {"case": CASE}, OperatorScriptEngine({"issue_case_number": numbers}))
    returns = 0
    while not run.is_completed():
        [ready] = run.ready_human_tasks()
        step, form_id = ready.step.bpmn_id, ready.step.form_id
        answer = dict(BASE.get(step, {}))
        if step == "legal_review":
            answer = {"opinion": "return" if returns < 300 else "agree"}
            returns += answer["opinion"] == "return"
        run.complete(ready.spiff_id, typed(form_id, **answer))
    assert returns == 300 and run.outcome() == "closed"
    assert run.rewinds > 0 and run.max_depth() < 200
    assert len(numbers.calls) == 1


# ------------------------------------------------------------------ structure
def test_the_diagram_validates_against_the_bpmn_and_spiff_schemas():
    parser = SpiffBpmnParser(validator=VALIDATOR)
    parser.add_bpmn_str(bpmn_path("enforcement").read_bytes(), filename="enforcement.bpmn")
    assert parser.get_spec("enforcement").name == "enforcement"


def test_the_engine_accepts_the_definition(specs, workflow_forms):
    check_definition(specs, workflow_forms)  # known role and existing form for every human step


def test_lanes_are_role_codes(xml_doc):
    lanes = [lane.get("name") for lane in xml_doc.iterfind(".//bpmn:lane", NS)]
    assert lanes == ["officer", "unit_head", "legal_reviewer"]
    assert set(lanes) <= ROLE_CODES


def test_every_user_task_names_its_form_and_has_a_role(specs, workflow_forms, xml_doc):
    user_tasks = xml_doc.findall(".//bpmn:userTask", NS)
    assert len(user_tasks) == len(human_steps(specs))
    for step in human_steps(specs):
        assert step.form_id in workflow_forms, step
        assert step.role in ROLE_CODES, step
        assert step.name != step.bpmn_id, f"{step.bpmn_id} needs a Chinese name"
    for task in user_tasks:
        [prop] = task.findall("bpmn:extensionElements/spiff:properties/spiff:property[@name='form']", NS)
        assert (bpmn_path("enforcement").parent / "forms" / f"{prop.get('value')}.json").is_file()


def test_end_events_are_the_outcomes(xml_doc):
    ends = {e.get("id") for e in xml_doc.iterfind(".//bpmn:endEvent", NS)}
    assert ends == {"not_filed", "withdrawn", "transferred_to_police", "closed"}


def test_a_transfer_waits_for_its_result_and_throws_the_stage_it_was_decided_at(specs, workflow_forms):
    for decision, stage in (({"approve_proposal": {"decision": "transfer"}}, "before_notice"),
                            ({"decide_penalty": {"decision": "transfer"}}, "after_defence")):
        wf = start(specs, {"issue_case_number": RecordingOperator()}, CASE)
        drive(wf, {**BASE, **decision}, forms=workflow_forms)
        run = WorkflowRun(wf)
        assert not wf.is_completed() and run.ready_human_tasks() == []
        assert [(m.name, m.payload["stage"]) for m in run.drain_messages()] == [("criminal_transfer", stage)]
        assert run.drain_messages() == []  # the outbox is drained once
        assert run.waits_for("criminal_transfer_result") and not run.waits_for("mediation_result")


def test_a_message_nobody_waits_for_fails_the_step(specs):
    from engine.runtime.stepper import WorkflowFailed
    run = WorkflowRun(start(specs, {"issue_case_number": RecordingOperator()}, CASE))
    with pytest.raises(WorkflowFailed, match="criminal_transfer_result"):
        run.deliver("criminal_transfer_result", FILED)


def test_the_filing_number_comes_from_the_issue_case_number_operator(xml_doc):
    [task] = xml_doc.findall(".//bpmn:serviceTask", NS)
    [op] = task.findall("bpmn:extensionElements/spiff:serviceTaskOperator", NS)
    assert (task.get("id"), op.get("id"), op.get("resultVariable")) == \
        ("issue_filing_number", "issue_case_number", "filing_number")
    [param] = op.findall("spiff:parameters/spiff:parameter", NS)
    assert param.get("id") == "kind" and ast.literal_eval(param.get("value")) == "立"


def test_returns_for_supplementary_investigation_are_plain_flows_to_investigate(xml_doc):
    returns = [f for f in xml_doc.iterfind(".//bpmn:sequenceFlow", NS)
               if '"return"' in (f.findtext("bpmn:conditionExpression", namespaces=NS) or "")]
    assert {f.get("sourceRef") for f in returns} == {"gw_legal_review", "gw_approval", "gw_collective"}
    assert {f.get("targetRef") for f in returns} == {"investigate"}
    [investigate] = xml_doc.xpath(".//bpmn:userTask[@id='investigate']", namespaces=NS)
    assert not investigate.xpath("bpmn:standardLoopCharacteristics|bpmn:multiInstanceLoopCharacteristics",
                                 namespaces=NS)


def form_tests(expression: str) -> tuple[dict[tuple[str, str], set[str]], set[str]]:
    """The `form["field"] == value` / `in (...)` tests in a condition, and every name it uses."""
    tree = ast.parse(expression, mode="eval")
    tests: dict[tuple[str, str], set[str]] = defaultdict(set)
    for node in ast.walk(tree):
        if (isinstance(node, ast.Compare) and isinstance(node.left, ast.Subscript)
                and isinstance(node.left.value, ast.Name) and isinstance(node.left.slice, ast.Constant)):
            [op], [right] = node.ops, node.comparators
            key = (node.left.value.id, node.left.slice.value)
            if isinstance(op, ast.Eq):
                tests[key].add(ast.literal_eval(right))
            elif isinstance(op, ast.In):
                tests[key].update(ast.literal_eval(right))
            else:
                raise AssertionError(f"unexpected comparison in {expression}")
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    return tests, names


def test_gateways_test_required_selects_and_cover_every_option(xml_doc, workflow_forms):
    forms_in_diagram = {p.get("value") for p in xml_doc.iterfind(".//spiff:property[@name='form']", NS)}
    message_variables = {v.text for v in xml_doc.iterfind(".//spiff:messageVariable", NS)}
    assert message_variables == {"criminal_transfer_result"}
    allowed_names = forms_in_diagram | message_variables | {"case"} | set(SAFE_BUILTINS) | set(HELPERS)
    flows_by_source = defaultdict(list)
    for f in xml_doc.iterfind(".//bpmn:sequenceFlow", NS):
        flows_by_source[f.get("sourceRef")].append(f)
    gateways = xml_doc.findall(".//bpmn:exclusiveGateway", NS)
    assert gateways
    for gw in gateways:
        default = gw.get("default")
        tested: dict[tuple[str, str], list[set[str]]] = defaultdict(list)
        for f in flows_by_source[gw.get("id")]:
            condition = f.findtext("bpmn:conditionExpression", namespaces=NS)
            if f.get("id") == default:
                assert condition is None
                continue
            assert condition, f"{f.get('id')}: a non-default flow needs a condition"
            tests, names = form_tests(condition)
            assert names <= allowed_names, f"{f.get('id')} uses unknown names {names - allowed_names}"
            assert tests, f"{f.get('id')} tests no form field"
            for key, values in tests.items():
                tested[key].append(values)
        for (form_id, field_name), value_sets in tested.items():
            if form_id in message_variables:  # a message's values are open-ended: the rest takes the default
                assert default is not None, f"{gw.get('id')} tests a message without a default flow"
                continue
            field = workflow_forms.get(form_id).field(field_name)
            assert field.type == "select" and field.required, f"{form_id}.{field_name} must be a required select"
            options = {o.value for o in field.options}
            covered = set().union(*value_sets)
            assert covered <= options, f"{gw.get('id')} tests values {covered - options} that {form_id} lacks"
            if default is None:
                assert covered == options, f"{gw.get('id')} leaves {options - covered} without a flow"
                assert sum(map(len, value_sets)) == len(covered), f"{gw.get('id')}: overlapping conditions"


# ------------------------------------------------------------------ diagram interchange
def bounds(shape):
    b = shape.find("dc:Bounds", NS)
    return tuple(float(b.get(k)) for k in ("x", "y", "width", "height"))


def test_every_element_has_a_shape_or_an_edge(xml_doc):
    shapes = {s.get("bpmnElement"): s for s in xml_doc.iterfind(".//bpmndi:BPMNShape", NS)}
    edges = {e.get("bpmnElement"): e for e in xml_doc.iterfind(".//bpmndi:BPMNEdge", NS)}
    [process] = xml_doc.findall("bpmn:process", NS)
    nodes = [el for el in process if el.get("id") and etree.QName(el).localname != "sequenceFlow"
             and etree.QName(el).localname not in ("laneSet", "documentation")]
    flows = process.findall("bpmn:sequenceFlow", NS)
    lanes = xml_doc.findall(".//bpmn:lane", NS)
    participants = xml_doc.findall(".//bpmn:participant", NS)
    assert nodes and flows
    for el in [*nodes, *lanes, *participants]:
        assert el.get("id") in shapes, f"{el.get('id')} has no BPMNShape"
    for f in flows:
        assert f.get("id") in edges, f"{f.get('id')} has no BPMNEdge"
        assert len(edges[f.get("id")].findall("di:waypoint", NS)) >= 2


def test_the_layout_has_no_overlaps_and_keeps_nodes_in_their_lanes(xml_doc):
    shapes = {s.get("bpmnElement"): bounds(s) for s in xml_doc.iterfind(".//bpmndi:BPMNShape", NS)}
    lane_of = {ref.text: lane for lane in xml_doc.iterfind(".//bpmn:lane", NS)
               for ref in lane.findall("bpmn:flowNodeRef", NS)}
    lanes = sorted((shapes[lane.get("id")] for lane in xml_doc.iterfind(".//bpmn:lane", NS)), key=lambda b: b[1])
    for upper, lower in zip(lanes, lanes[1:]):  # stacked, touching, same width
        assert upper[1] + upper[3] == lower[1] and upper[0] == lower[0] and upper[2] == lower[2]
    nodes = {k: v for k, v in shapes.items() if k in lane_of}
    for node_id, (x, y, w, h) in nodes.items():
        lx, ly, lw, lh = shapes[lane_of[node_id].get("id")]
        assert lx < x and x + w < lx + lw and ly < y and y + h < ly + lh, f"{node_id} leaves its lane"
    ids = sorted(nodes)
    for i, a in enumerate(ids):
        ax, ay, aw, ah = nodes[a]
        for b in ids[i + 1:]:
            bx, by, bw, bh = nodes[b]
            assert not (ax < bx + bw and bx < ax + aw and ay < by + bh and by < ay + ah), f"{a} overlaps {b}"
    # the process runs left to right: the start is leftmost, `closed` rightmost
    assert min(nodes, key=lambda k: nodes[k][0]) == "lead_received"
    assert max(nodes, key=lambda k: nodes[k][0]) == "closed"


def test_edges_start_and_end_on_their_shapes(xml_doc):
    shapes = {s.get("bpmnElement"): bounds(s) for s in xml_doc.iterfind(".//bpmndi:BPMNShape", NS)}
    flows = {f.get("id"): f for f in xml_doc.iterfind(".//bpmn:sequenceFlow", NS)}

    def on_border(point, box):  # gateway and event docks are the midpoints of their box's sides
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
