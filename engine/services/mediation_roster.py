"""The mediator roster: profiles, absences, declared relationships, conflict checks and the
ranked suggestion of who should mediate a dispute.

Session-level functions (no transactions of their own) used by the mediation services,
their BPMN operators and the mediator-task assignment rule; the `ctx` functions at the
end are the roster's use cases (one transaction each).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.context import Context
from engine.errors import Forbidden, Invalid, NotFound
from engine.forms.schema import validate_uscc
from engine.models import (
    Case, HumanTask, IPType, Mediation, MediationAssignment, MediatorAbsence, MediatorProfile,
    MediatorRelationship, Role, User, WorkflowInstance,
)
from engine.services import audit, lookups

LOCAL_TZ = ZoneInfo("Asia/Shanghai")


def local_date(moment: datetime) -> date:
    return moment.astimezone(LOCAL_TZ).date()

RELATIONSHIP_KINDS = {
    "employer": {"zh": "任职单位", "en": "employer"},
    "former_client": {"zh": "曾代理的客户", "en": "former client"},
    "relative_company": {"zh": "近亲属的企业", "en": "relative's company"},
    "other": {"zh": "其他利害关系", "en": "other interest"},
}
IP_TYPE_ZH = {"patent": "专利", "trademark": "商标", "copyright": "著作权", "trade_secret": "商业秘密",
              "geographic_indication": "地理标志"}
ACCEPTANCE_WINDOW = timedelta(days=180)
MEDIATOR_ROLES = {Role.MEDIATOR}


# ------------------------------------------------------------------ parties and conflicts
@dataclass(frozen=True)
class PartyRef:
    name: str
    uscc: str | None = None


def _norm(name: str | None) -> str:
    """Names compare without spaces, brackets' width or case (（有限公司） == (有限公司))."""
    text = (name or "").strip().lower().replace("（", "(").replace("）", ")")
    return re.sub(r"\s+", "", text)


def case_parties(case: Case, extra: list[PartyRef] = ()) -> list[PartyRef]:
    refs = [PartyRef(p.name, p.uscc) for p in case.parties] + list(extra)
    seen, out = set(), []
    for ref in refs:
        key = (_norm(ref.name), ref.uscc)
        if key not in seen:
            seen.add(key)
            out.append(ref)
    return out


def conflicts(profile: MediatorProfile, parties: list[PartyRef]) -> list[dict]:
    """Every declared relationship that ties the mediator to one of the parties, with why."""
    found = []
    for rel in profile.relationships:
        for party in parties:
            by_code = bool(rel.party_uscc and party.uscc and rel.party_uscc == party.uscc)
            by_name = _norm(rel.party_name) == _norm(party.name)
            if by_code or by_name:
                kind = RELATIONSHIP_KINDS.get(rel.kind, RELATIONSHIP_KINDS["other"])
                how = f"统一社会信用代码 {rel.party_uscc}" if by_code else "名称"
                how_en = f"USCC {rel.party_uscc}" if by_code else "name"
                found.append({
                    "party": party.name, "kind": rel.kind,
                    "zh": f"调解员申报的{kind['zh']}“{rel.party_name}”与当事人“{party.name}”{how}相同",
                    "en": f"declared {kind['en']} '{rel.party_name}' matches party '{party.name}' by {how_en}",
                })
                break
    return found


# ------------------------------------------------------------------ load, absence, history
def profile_of(session: Session, user_id: int) -> MediatorProfile | None:
    return session.scalar(select(MediatorProfile).where(MediatorProfile.user_id == user_id))


def absence_on(profile: MediatorProfile, day: date) -> MediatorAbsence | None:
    return next((a for a in profile.absences if a.starts_on <= day <= a.ends_on), None)


def _running(query):
    return query.outerjoin(WorkflowInstance, Mediation.instance_id == WorkflowInstance.id).where(
        (WorkflowInstance.status == "running") | Mediation.instance_id.is_(None))


def active_load(session: Session, user_id: int) -> int:
    """Disputes the mediator holds that are still running."""
    return session.scalar(_running(select(func.count(Mediation.id)).where(Mediation.mediator_id == user_id)))


def acceptance_history(session: Session, user_id: int, now: datetime) -> tuple[int, int]:
    """(accepted, declined) answers of the mediator in the recent window."""
    rows = session.execute(select(MediationAssignment.response, func.count()).where(
        MediationAssignment.mediator_id == user_id, MediationAssignment.assigned_at >= now - ACCEPTANCE_WINDOW,
        MediationAssignment.response.in_(["accepted", "declined"])).group_by(MediationAssignment.response)).all()
    counts = dict(rows)
    return counts.get("accepted", 0), counts.get("declined", 0)


def handler_for(session: Session, mediator_id: int, now: datetime) -> tuple[int, MediatorAbsence | None]:
    """Who does a mediator's work today: the substitute named for a current absence, else them."""
    profile = profile_of(session, mediator_id)
    absence = absence_on(profile, local_date(now)) if profile else None
    if absence and absence.substitute_id:
        return absence.substitute_id, absence
    return mediator_id, absence


# ------------------------------------------------------------------ eligibility and suggestion
def eligibility(session: Session, mediation: Mediation, user: User, parties: list[PartyRef],
                now: datetime) -> list[dict]:
    """Why `user` may not mediate this dispute (empty: they may), each reason in zh and en."""
    problems = []
    if not user.active or not user.has_role(Role.MEDIATOR):
        return [{"code": "not_mediator", "zh": f"{user.full_name}不是调解员", "en": f"{user.username} is not a mediator"}]
    if user.unit_id != mediation.centre_unit_id:
        problems.append({"code": "other_centre", "zh": "不属于本调解中心", "en": "belongs to another centre"})
    profile = profile_of(session, user.id)
    if profile is None or not profile.active:
        return problems + [{"code": "not_on_roster", "zh": "不在调解员名册中", "en": "not on the roster"}]
    absence = absence_on(profile, local_date(now))
    if absence:
        problems.append({"code": "absent", "zh": f"请假（{absence.starts_on}至{absence.ends_on}）",
                         "en": f"absent {absence.starts_on} to {absence.ends_on}"})
    for c in conflicts(profile, parties):
        problems.append({"code": "conflict", "zh": c["zh"], "en": c["en"]})
    load = active_load(session, user.id) - (1 if mediation.mediator_id == user.id else 0)
    if load >= profile.max_active_cases:
        problems.append({"code": "full", "zh": f"在办案件已达上限（{load}/{profile.max_active_cases}）",
                         "en": f"caseload full ({load}/{profile.max_active_cases})"})
    earlier = {a.mediator_id: a.response for a in mediation.assignments}
    if earlier.get(user.id) in ("declined", "recused"):
        problems.append({"code": "withdrew", "zh": "已拒绝或回避本纠纷", "en": "already declined or withdrew"})
    return problems


@dataclass
class Suggestion:
    username: str
    full_name: str
    score: float
    reasons: list[dict] = field(default_factory=list)
    problems: list[dict] = field(default_factory=list)

    @property
    def eligible(self) -> bool:
        return not self.problems

    def view(self) -> dict:
        return {"username": self.username, "full_name": self.full_name, "score": round(self.score, 2),
                "eligible": self.eligible, "reasons": self.reasons, "problems": self.problems}


def suggest(session: Session, mediation: Mediation, case: Case, now: datetime,
            parties: list[PartyRef] | None = None) -> list[Suggestion]:
    """Every roster mediator of the centre, eligible ones first, ranked by fit, load and acceptance."""
    parties = parties if parties is not None else case_parties(case)
    ip_types = {r.ip_type.value for r in case.rights}
    intake = (mediation.details or {}).get("intake", {})
    field_wanted = _norm(intake.get("technical_field"))
    languages_wanted = {_norm(x) for x in re.split(r"[,，、\s]+", intake.get("languages") or "") if x}
    profiles = session.scalars(select(MediatorProfile).join(User, MediatorProfile.user_id == User.id).where(
        MediatorProfile.active.is_(True), User.unit_id == mediation.centre_unit_id).order_by(User.username)).all()
    out = []
    for profile in profiles:
        user = profile.user
        reasons, score = [], 0.0
        matched = ip_types & set(profile.expertise)
        if matched:
            score += 3
            names = "、".join(IP_TYPE_ZH.get(t, t) for t in sorted(matched))
            reasons.append({"zh": f"擅长领域匹配（{names}）", "en": f"expertise matches ({', '.join(sorted(matched))})"})
        if field_wanted and any(field_wanted in _norm(f) or _norm(f) in field_wanted for f in profile.technical_fields):
            score += 1
            reasons.append({"zh": f"熟悉技术领域“{intake.get('technical_field')}”",
                            "en": f"knows the technical field '{intake.get('technical_field')}'"})
        if languages_wanted and languages_wanted <= {_norm(x) for x in profile.languages}:
            score += 1
            reasons.append({"zh": "语言符合要求", "en": "speaks the languages needed"})
        load = active_load(session, user.id)
        free = max(profile.max_active_cases - load, 0) / max(profile.max_active_cases, 1)
        score += 2 * free
        reasons.append({"zh": f"在办 {load}/{profile.max_active_cases} 件", "en": f"load {load}/{profile.max_active_cases}"})
        accepted, declined = acceptance_history(session, user.id, now)
        rate = accepted / (accepted + declined) if accepted + declined else 1.0
        score += rate
        reasons.append({"zh": f"近期接受率 {rate:.0%}（{accepted}/{accepted + declined}）",
                        "en": f"recent acceptance {rate:.0%} ({accepted}/{accepted + declined})"})
        out.append(Suggestion(user.username, user.full_name, score, reasons,
                              eligibility(session, mediation, user, parties, now)))
    out.sort(key=lambda s: (not s.eligible, -s.score, s.username))
    return out


# ------------------------------------------------------------------ use cases
def _ensure_head(user: User) -> None:
    if not (user.has_role(Role.MEDIATION_HEAD) or user.has_role(Role.ADMIN)):
        raise Forbidden("Only the mediation centre head or an administrator may change the roster.")


def _profile_by_username(session: Session, username: str) -> MediatorProfile:
    user = lookups.user(session, username)
    profile = profile_of(session, user.id)
    if profile is None:
        raise NotFound("{username} is not on the mediator roster.", username=username)
    return profile


def profile_view(session: Session, profile: MediatorProfile, now: datetime) -> dict:
    today = local_date(now)
    absence = absence_on(profile, today)
    return {
        "username": profile.user.username, "full_name": profile.user.full_name,
        "organisation": profile.organisation, "expertise": list(profile.expertise),
        "technical_fields": list(profile.technical_fields), "languages": list(profile.languages),
        "max_active_cases": profile.max_active_cases, "active": profile.active,
        "active_cases": active_load(session, profile.user_id),
        "absent": bool(absence), "substitute": absence.substitute.username if absence and absence.substitute else None,
        "absences": [{"starts_on": a.starts_on.isoformat(), "ends_on": a.ends_on.isoformat(),
                      "substitute": a.substitute.username if a.substitute else None, "reason": a.reason}
                     for a in profile.absences],
        "relationships": [{"kind": r.kind, "party_name": r.party_name, "party_uscc": r.party_uscc, "note": r.note}
                          for r in profile.relationships],
    }


def save_profile(ctx: Context, *, username: str, actor: str, organisation: str, expertise: list[str],
                 technical_fields: list[str] = (), languages: list[str] = ("zh",), max_active_cases: int = 5,
                 active: bool = True) -> dict:
    """Put a mediator on the roster or update their profile (centre head or admin)."""
    valid = {t.value for t in IPType}
    if set(expertise) - valid:
        raise Invalid("Unknown expertise {bad}; choose from {choices}.", errors={"expertise": ["unknown"]},
                      bad=", ".join(sorted(set(expertise) - valid)), choices=", ".join(sorted(valid)))
    if not organisation or max_active_cases < 1:
        raise Invalid("A profile needs an organisation and a caseload of at least 1.",
                      errors={"organisation": ["required"], "max_active_cases": [">= 1"]})
    with ctx.uow() as uow:
        s, now = uow.session, ctx.clock.now()
        by = lookups.user(s, actor)
        _ensure_head(by)
        user = lookups.user(s, username)
        if not user.has_role(Role.MEDIATOR):
            raise Invalid("{username} does not have the mediator role.", errors={"username": ["not a mediator"]},
                          username=username)
        profile = profile_of(s, user.id) or MediatorProfile(user=user, created_at=now)
        before = profile_view(s, profile, now) if profile.id else None
        profile.organisation, profile.expertise = organisation, list(expertise)
        profile.technical_fields, profile.languages = list(technical_fields), list(languages)
        profile.max_active_cases, profile.active = max_active_cases, active
        s.add(profile)
        s.flush()
        view = profile_view(s, profile, now)
        audit.record(s, at=now, action="mediator.profile_saved", actor=by, before=before, after=view)
        uow.commit()
    return view


def declare_relationship(ctx: Context, *, username: str, actor: str, kind: str, party_name: str,
                         party_uscc: str | None = None, note: str | None = None) -> dict:
    """A mediator (or the centre head for them) declares a tie to a company or person."""
    if kind not in RELATIONSHIP_KINDS:
        raise Invalid("Unknown relationship {kind}; choose from {choices}.", errors={"kind": ["unknown"]},
                      kind=kind, choices=", ".join(RELATIONSHIP_KINDS))
    if not party_name or not party_name.strip():
        raise Invalid("Name the company or person.", errors={"party_name": ["required"]})
    if party_uscc:
        try:
            validate_uscc(party_uscc)
        except Exception:
            raise Invalid("Not a valid unified social credit code.", errors={"party_uscc": ["invalid"]}) from None
    with ctx.uow() as uow:
        s, now = uow.session, ctx.clock.now()
        by = lookups.user(s, actor)
        if by.username != username:
            _ensure_head(by)
        profile = _profile_by_username(s, username)
        rel = MediatorRelationship(kind=kind, party_name=party_name.strip(), party_uscc=party_uscc or None,
                                   note=note, declared_at=now)
        profile.relationships.append(rel)
        s.flush()
        audit.record(s, at=now, action="mediator.relationship_declared", actor=by,
                     after={"mediator": username, "kind": kind, "party_name": rel.party_name,
                            "party_uscc": rel.party_uscc})
        view = profile_view(s, profile, now)
        uow.commit()
    return view


def list_roster(ctx: Context) -> list[dict]:
    with ctx.uow() as uow:
        s, now = uow.session, ctx.clock.now()
        profiles = s.scalars(select(MediatorProfile).join(User, MediatorProfile.user_id == User.id)
                             .order_by(User.username)).all()
        return [profile_view(s, p, now) for p in profiles]


def open_mediator_tasks(session: Session, user_id: int) -> list[HumanTask]:
    """Open mediator-lane tasks of mediation instances held by `user_id`."""
    from engine.models import WorkflowDefinition
    return list(session.scalars(
        select(HumanTask).join(WorkflowInstance, HumanTask.instance_id == WorkflowInstance.id)
        .join(WorkflowDefinition, WorkflowInstance.definition_id == WorkflowDefinition.id)
        .where(HumanTask.state == "open", HumanTask.assignee_id == user_id, HumanTask.role == Role.MEDIATOR.value,
               WorkflowDefinition.process_id == "mediation").order_by(HumanTask.id)))


# ------------------------------------------------------------------ seed (demo and tests)
ROSTER_SEED = [
    # username, organisation, expertise, technical fields, languages, max active cases
    ("mediator1", "泰安市知识产权纠纷人民调解委员会", ["trademark", "geographic_indication", "copyright"],
     ["食品", "白酒", "农产品"], ["zh"], 5),
    ("mediator2", "山东某某律师事务所", ["patent", "trade_secret"], ["机械", "电子", "软件"], ["zh", "en"], 4),
    ("mediation.head", "泰安市市场监督管理局调解中心", ["patent", "trademark", "copyright", "trade_secret",
                                                 "geographic_indication"], ["综合"], ["zh"], 3),
]


def seed_roster(session: Session, now: datetime) -> list[MediatorProfile]:
    """Profiles for the seeded mediators (org.CITY_STAFF) that have none yet."""
    made = []
    for username, organisation, expertise, fields_, languages, max_cases in ROSTER_SEED:
        user = session.scalar(select(User).where(User.username == username))
        if user is None or profile_of(session, user.id) is not None:
            continue
        profile = MediatorProfile(user=user, organisation=organisation, expertise=expertise,
                                  technical_fields=fields_, languages=languages, max_active_cases=max_cases,
                                  created_at=now)
        session.add(profile)
        made.append(profile)
    session.flush()
    return made
