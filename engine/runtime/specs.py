"""Parse BPMN files into process specs and describe their human tasks.

A deployed definition is identified by its process id and the SHA-256 of its XML; the
parsed spec objects are cached by that hash (they are immutable, derived from the
database, so every process can rebuild the same cache).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser, VALIDATOR

from engine.errors import WorkflowDefinitionError


@dataclass(frozen=True)
class ProcessSpecs:
    process_id: str
    spec: object
    subprocess_specs: dict
    content_hash: str


def content_hash(xml: bytes) -> str:
    return hashlib.sha256(xml).hexdigest()


def parse(xml: bytes, process_id: str, filename: str = "upload.bpmn") -> ProcessSpecs:
    """Parse and validate one BPMN document; raise WorkflowDefinitionError on any defect."""
    parser = SpiffBpmnParser(validator=VALIDATOR)
    try:
        parser.add_bpmn_str(xml, filename=filename)
        spec = parser.get_spec(process_id)
        subs = parser.get_subprocess_specs(process_id)
    except ValidationException as err:
        raise WorkflowDefinitionError(
            "BPMN file {file} is invalid at line {line}: {detail}",
            file=filename, line=getattr(err, "line_number", "?"), detail=str(err).splitlines()[0],
        ) from err
    except etree.XMLSyntaxError as err:
        raise WorkflowDefinitionError("BPMN file {file} is not well-formed XML: {detail}",
                                      file=filename, line=err.lineno, detail=str(err)) from err
    except (ValueError, KeyError) as err:
        raise WorkflowDefinitionError("BPMN file {file} cannot be parsed: {detail}",
                                      file=filename, detail=str(err)) from err
    return ProcessSpecs(process_id, spec, subs, content_hash(xml))


_PARSED: dict[tuple[str, str], ProcessSpecs] = {}


def specs_for(process_id: str, digest: str, load_xml) -> ProcessSpecs:
    """Parsed specs of a deployed definition, parsed once per process.

    Keyed by the content hash, so the cache can never be stale; `load_xml` is only
    called on a miss (the XML column is deferred).
    """
    key = (process_id, digest)
    if key not in _PARSED:
        _PARSED[key] = parse(load_xml(), process_id)
    return _PARSED[key]


@dataclass(frozen=True)
class HumanStep:
    """What the engine needs to know about one user task of a diagram."""

    bpmn_id: str
    name: str
    role: str | None
    form_id: str | None
    # Where the task row goes when not the case's unit (extension property `unit`, see
    # workflows/README.md): "superior", or "form.field" naming a unit code in the task data.
    unit: str | None = None


def human_steps(specs: ProcessSpecs) -> list[HumanStep]:
    """Every user/manual task of the process and its called processes."""
    steps = []
    for spec in [specs.spec, *specs.subprocess_specs.values()]:
        for ts in spec.task_specs.values():
            if getattr(ts, "manual", False):
                steps.append(step_of(ts))
    return steps


def step_of(task_spec) -> HumanStep:
    props = (getattr(task_spec, "extensions", None) or {}).get("properties", {})
    return HumanStep(
        bpmn_id=task_spec.name,
        name=task_spec.bpmn_name or task_spec.name,
        role=props.get("role") or task_spec.lane,
        form_id=props.get("form"),
        unit=props.get("unit"),
    )


def message_starts(specs: ProcessSpecs) -> set[str]:
    """Names of the messages that start the process (its message start events)."""
    names = set()
    for ts in specs.spec.task_specs.values():
        if isinstance(ts, StartEvent) and isinstance(getattr(ts, "event_definition", None), MessageEventDefinition):
            names.add(ts.event_definition.name)
    return names
