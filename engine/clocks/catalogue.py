"""The clock catalogue: statutory time limits as data (workflows/clocks.yaml, workflows/clocks/*.yaml).

Each rule names what starts it (the case opened, a step opened or completed, a message, an
event such as a supervision order), the steps that stop it, the steps whose tasks it
governs (their `due_at`), its length and unit, when to warn, which pause reasons apply and
who may extend it by how much. Malformed files fail loudly at load, naming the entry.
"""
from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path

import yaml

from engine.errors import Invalid
from engine.settings import PROJECT_ROOT

UNITS = {"WD": "working_days", "CD": "calendar_days", "month": "months", "months": "months",
         "working_days": "working_days", "calendar_days": "calendar_days"}
ROLES = {"officer", "legal_reviewer", "unit_head", "mediator", "mediation_head", "supervisor", "admin"}
START_KINDS = {"event", "opened", "completed", "message"}
_SPAN = re.compile(r"^\s*(\d+)\s*(WD|CD|month|months)\s*$")


@dataclass(frozen=True)
class Span:
    length: int
    unit: str  # working_days | calendar_days | months

    @classmethod
    def parse(cls, value, where: str) -> "Span":
        m = _SPAN.match(str(value))
        if not m:
            raise Invalid("{where}: {value!r} is not a span like '3 WD' or '10 CD'.", where=where, value=value)
        return cls(int(m.group(1)), UNITS[m.group(2)])


@dataclass(frozen=True)
class ClockRule:
    id: str
    pipeline: str
    label: dict
    length: int
    unit: str
    start_kind: str               # event | opened | completed | message
    start_on: tuple[str, ...]     # event names, step ids or message names
    stops: tuple[str, ...]
    governs: tuple[str, ...]
    warn_before: Span | None
    escalate_after: Span
    pause_reasons: tuple[str, ...]
    max_extension: int            # 0: no extension
    approver: str | None
    restart: bool
    count_start_day: bool
    roll_to_working_day: bool | None
    source: str
    verified: bool

    def starts_on_event(self, event: str) -> bool:
        return self.start_kind == "event" and event in self.start_on

    def starts_on_step(self, events: set[str], opened: set[str], completed: set[str]) -> bool:
        """Whether a step that raised `events`, opened and completed these steps starts the clock."""
        hits = {"event": events, "opened": opened, "completed": completed}.get(self.start_kind, ())
        return any(name in hits for name in self.start_on)

    def stops_on_step(self, completed: set[str]) -> bool:
        return any(step in completed for step in self.stops)


@dataclass(frozen=True)
class Catalogue:
    rules: dict[str, ClockRule]
    pause_reasons: dict[str, dict] = field(default_factory=dict)

    def get(self, rule_id: str) -> ClockRule:
        from engine.errors import NotFound
        if rule_id not in self.rules:
            raise NotFound("No clock rule {rule}.", rule=rule_id)
        return self.rules[rule_id]

    def for_pipeline(self, pipeline: str) -> list[ClockRule]:
        return [r for r in self.rules.values() if r.pipeline == pipeline]

    @cached_property
    def governed_steps(self) -> frozenset[str]:
        """Every step whose due date some clock sets."""
        return frozenset(step for rule in self.rules.values() for step in rule.governs)

    def reason_label(self, code: str, lang: str = "zh") -> str:
        return self.pause_reasons.get(code, {}).get(lang, code)


def default_dir() -> Path:
    return Path(os.environ.get("IPCASE_WORKFLOWS_DIR") or PROJECT_ROOT / "workflows")


# Every step asks for the catalogue; its files are looked at again at most this often.
RECHECK_FILES_S = 1.0
_checked: dict[Path | None, tuple[float, "Catalogue"]] = {}


def catalogue(workflows_dir: Path | None = None) -> Catalogue:
    """The catalogue of `workflows_dir` (default: the deployed workflows), cached per file
    version: an edited file applies within `RECHECK_FILES_S`."""
    now = time.monotonic()
    checked = _checked.get(workflows_dir)
    if checked is None or now - checked[0] >= RECHECK_FILES_S:
        checked = _checked[workflows_dir] = (now, _load(_file_versions(workflows_dir or default_dir())))
    return checked[1]


def _file_versions(root: Path) -> tuple[tuple[str, int], ...]:
    files = [root / "clocks.yaml", *sorted((root / "clocks").glob("*.yaml"))]
    return tuple((str(f), f.stat().st_mtime_ns) for f in files if f.exists())


@lru_cache(maxsize=8)
def _load(files: tuple[tuple[str, int], ...]) -> Catalogue:
    docs = [(Path(name), yaml.safe_load(Path(name).read_text(encoding="utf-8")) or {}) for name, _ in files]
    return parse(docs)


def parse(docs: list[tuple[Path, dict]]) -> Catalogue:
    reasons: dict[str, dict] = {}
    defaults: dict = {}
    for _, doc in docs:
        reasons.update(doc.get("pause_reasons") or {})
        defaults.update(doc.get("defaults") or {})
    rules: dict[str, ClockRule] = {}
    for path, doc in docs:
        for rule_id, raw in (doc.get("clocks") or {}).items():
            where = f"{path.name}: clock {rule_id}"
            if rule_id in rules:
                raise Invalid("{where}: defined twice.", where=where)
            rules[rule_id] = _rule(rule_id, raw or {}, defaults, reasons, where)
    return Catalogue(rules, reasons)


def _list(value) -> tuple[str, ...]:
    if value is None:
        return ()
    return tuple(value) if isinstance(value, (list, tuple)) else (str(value),)


def _rule(rule_id: str, raw: dict, defaults: dict, reasons: dict, where: str) -> ClockRule:
    for key in ("pipeline", "length", "unit", "starts"):
        if key not in raw:
            raise Invalid("{where}: `{key}` is missing.", where=where, key=key)
    if raw["unit"] not in UNITS:
        raise Invalid("{where}: unknown unit {unit!r} (WD, CD or month).", where=where, unit=raw["unit"])
    length = raw["length"]
    if not isinstance(length, int) or length <= 0:
        raise Invalid("{where}: length must be a positive whole number.", where=where)
    starts = raw["starts"]
    if not isinstance(starts, dict) or len(starts) != 1 or next(iter(starts)) not in START_KINDS:
        raise Invalid("{where}: `starts` must be one of {kinds} (e.g. {{opened: investigate}}).",
                      where=where, kinds=", ".join(sorted(START_KINDS)))
    [(start_kind, start_on)] = starts.items()
    pause = _list(raw.get("pause_reasons"))
    unknown = [p for p in pause if p not in reasons]
    if unknown:
        raise Invalid("{where}: unknown pause reason(s) {reasons}.", where=where, reasons=", ".join(unknown))
    ext = raw.get("extension") or {}
    if ext and not isinstance(ext, dict):
        raise Invalid("{where}: `extension` must be {{max: N, approver: role}}.", where=where)
    approver = ext.get("approver")
    if ext and approver not in ROLES:
        raise Invalid("{where}: extension approver {role!r} is not a role.", where=where, role=approver)
    warn = raw.get("warn_before", defaults.get("warn_before"))
    escalate = raw.get("escalate_after", defaults.get("escalate_after", "1 WD"))
    roll = raw.get("roll_to_working_day")
    return ClockRule(
        id=rule_id, pipeline=str(raw["pipeline"]), label=raw.get("label") or {"zh": rule_id, "en": rule_id},
        length=length, unit=UNITS[raw["unit"]], start_kind=start_kind, start_on=_list(start_on),
        stops=_list(raw.get("stops")), governs=_list(raw.get("governs")),
        warn_before=Span.parse(warn, f"{where} warn_before") if warn else None,
        escalate_after=Span.parse(escalate, f"{where} escalate_after"),
        pause_reasons=pause, max_extension=int(ext.get("max", 0)) if ext else 0, approver=approver,
        restart=bool(raw.get("restart", False)), count_start_day=bool(raw.get("count_start_day", False)),
        roll_to_working_day=None if roll is None else bool(roll),
        source=str(raw.get("source", "")), verified=bool(raw.get("verified", True)),
    )
