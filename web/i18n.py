"""Languages: Simplified Chinese by default, English selectable; translated domain errors.

Engine errors carry an English message template plus parameters: the template is
translated here (it is a msgid of web/translations), then formatted.
"""
from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app, request, session
from flask_babel import Babel, format_datetime, get_locale, gettext, lazy_gettext
from flask_login import current_user

from engine.errors import DomainError

babel = Babel()
LOCAL_TZ = ZoneInfo("Asia/Shanghai")

ROLE_NAMES = {
    "officer": lazy_gettext("Officer"), "legal_reviewer": lazy_gettext("Legal reviewer"),
    "unit_head": lazy_gettext("Unit head"), "mediator": lazy_gettext("Mediator"),
    "mediation_head": lazy_gettext("Mediation centre head"), "supervisor": lazy_gettext("Supervisor"),
    "admin": lazy_gettext("Administrator"),
}
PIPELINE_NAMES = {"enforcement": lazy_gettext("Enforcement"), "mediation": lazy_gettext("Mediation"),
                  "transfer": lazy_gettext("Transfer")}
STATUS_NAMES = {
    "open": lazy_gettext("Open"), "closed": lazy_gettext("Closed"), "not_filed": lazy_gettext("Not filed"),
    "withdrawn": lazy_gettext("Withdrawn"), "transfer_requested": lazy_gettext("Transfer requested"),
    "running": lazy_gettext("Running"), "completed": lazy_gettext("Completed"),
    "cancelled": lazy_gettext("Cancelled"),
}
CLOCK_STATES = {
    "running": lazy_gettext("Counting"), "met": lazy_gettext("Met"), "paused": lazy_gettext("Paused"),
    "breached": lazy_gettext("Overdue"), "stopped": lazy_gettext("Stopped"),
}
IP_TYPE_NAMES = {
    "patent": lazy_gettext("Patent"), "trademark": lazy_gettext("Trademark"),
    "copyright": lazy_gettext("Copyright"), "trade_secret": lazy_gettext("Trade secret"),
    "geographic_indication": lazy_gettext("Geographical indication"),
}
# How a dispute came to mediation (engine/services/mediation_input.py SOURCES).
MEDIATION_SOURCES = {
    "party": {"zh": "当事人申请", "en": "Party's application"},
    "enforcement": {"zh": "执法案件转调解", "en": "Referral from an enforcement case"},
    "court_assigned": {"zh": "法院委派（立案前）", "en": "Court, pre-filing (委派)"},
    "court_entrusted": {"zh": "法院委托（立案后）", "en": "Court, post-filing (委托)"},
}
PARTY_ROLE_NAMES = {"complainant": lazy_gettext("Complainant"), "respondent": lazy_gettext("Respondent"),
                    "third_party": lazy_gettext("Third party")}
ACTION_NAMES = {
    "case.opened": lazy_gettext("opened the case"), "task.completed": lazy_gettext("completed"),
    "task.claimed": lazy_gettext("claimed"), "task.unclaimed": lazy_gettext("released"),
    "task.reassigned": lazy_gettext("reassigned"), "workflow.ended": lazy_gettext("workflow ended"),
    "case.number_issued": lazy_gettext("number issued"), "evidence.added": lazy_gettext("added a file"),
    "access.denied": lazy_gettext("was refused access"), "message.delivered": lazy_gettext("message delivered"),
}

# marshmallow's messages with numbers in them, translated by pattern.
_PATTERNS = [
    (re.compile(r"^Longer than maximum length (\d+)\.$"), lazy_gettext("At most %(n)s characters.")),
    (re.compile(r"^Shorter than minimum length (\d+)\.$"), lazy_gettext("At least %(n)s characters.")),
    (re.compile(r"^Must be greater than or equal to (\S+?)\.?$"), lazy_gettext("Must be at least %(n)s.")),
    (re.compile(r"^Must be less than or equal to (\S+?)\.?$"), lazy_gettext("Must be at most %(n)s.")),
    (re.compile(r"^Must be greater than or equal to (\S+) and less than or equal to (\S+?)\.$"),
     lazy_gettext("Must be between %(n)s and %(m)s.")),
    (re.compile(r"^Length must be between (\d+) and (\d+)\.$"), lazy_gettext("Between %(n)s and %(m)s characters.")),
    (re.compile(r"^Must be one of: .*\.$"), lazy_gettext("Choose one of the options.")),
]


def N_(text: str) -> str:
    """Marks a msgid for extraction without translating it (messages made by marshmallow)."""
    return text


FIELD_MESSAGES = (
    N_("Missing data for required field."), N_("Field may not be null."), N_("Invalid value."),
    N_("Not a valid string."), N_("Not a valid integer."), N_("Not a valid number."), N_("Not a valid date."),
    N_("Not a valid datetime."), N_("Not a valid aware datetime."), N_("Not a valid boolean."),
    N_("Not a valid list."), N_("Invalid type."), N_("Invalid input type."), N_("Unknown field."),
    N_("At most two decimal places."), N_("Not a valid unified social credit code (check character mismatch)."),
    N_("Unknown IP type."), N_("Not a valid date."), N_("Wrong username or password."),
    N_("Special numeric values (nan or infinity) are not permitted."),
    # Short codes some engine errors give per field.
    N_("required"), N_("unknown"), N_("unsuitable"), N_("too short"), N_("too large"), N_("empty"),
    N_("type not allowed"), N_("invalid"), N_("self"), N_("not an object"),
)


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def lang() -> str:
    return str(get_locale().language) if get_locale() else "zh"


def label(text: dict | str | None) -> str:
    """A {"zh": …, "en": …} label in the current language."""
    if not text:
        return ""
    if isinstance(text, str):
        return text
    return text.get(lang()) or text.get("zh") or text.get("en") or ""


def translate_message(message: str, params: dict | None = None) -> str:
    """Translate an engine message template, then fill in its parameters."""
    params = dict(params or {})
    for key, names in (("role", ROLE_NAMES), ("state", STATUS_NAMES), ("status", STATUS_NAMES),
                       ("pipeline", PIPELINE_NAMES)):
        if params.get(key) in names:
            params[key] = str(names[params[key]])
    text = gettext(message)
    try:
        return text.format(**params) if params else text
    except (KeyError, IndexError, ValueError):
        return message.format(**params) if params else message


def translate_error(err: DomainError) -> str:
    return translate_message(err.message, err.params)


def _field_message(text: str) -> str:
    translated = gettext(text)
    if translated != text:
        return translated
    for pattern, msg in _PATTERNS:
        found = pattern.match(text)
        if found:
            groups = found.groups()
            return str(msg) % {"n": groups[0] if groups else "", "m": groups[1] if len(groups) > 1 else ""}
    return text


# The parts of composite fields (a party, an IP right, a mediation intake), named in their messages.
PART_LABELS = {
    "name": {"zh": "名称", "en": "Name"}, "kind": {"zh": "类型", "en": "Kind"},
    "uscc": {"zh": "统一社会信用代码", "en": "Credit code"}, "ip_type": {"zh": "知识产权类型", "en": "IP type"},
    "number": {"zh": "编号", "en": "Number"}, "holder": {"zh": "权利人", "en": "Right holder"},
    "source": {"zh": "来源", "en": "Source"}, "court_name": {"zh": "法院名称", "en": "Court"},
    "court_case_number": {"zh": "法院案号", "en": "Court case number"},
    "referring_case": {"zh": "转调解的执法案件编号", "en": "Referring case"},
    "dispute": {"zh": "纠纷概要", "en": "The dispute"},
}


def field_errors(errors: dict) -> dict[str, list[str]]:
    """Flatten marshmallow's nested messages to translated lists per top-level field; a message
    of a part of the field (a party's credit code) starts with that part's name."""
    out: dict[str, list[str]] = {}
    colon = "：" if lang() == "zh" else ": "

    def walk(value, into: list[str], prefix: str = ""):
        if isinstance(value, dict):
            for key, inner in value.items():
                part = label(PART_LABELS.get(str(key), str(key)))
                walk(inner, into, part + colon if not str(key).isdigit() else prefix)
        elif isinstance(value, (list, tuple)):
            for item in value:
                walk(item, into, prefix)
        else:
            into.append(prefix + _field_message(str(value)))

    for name, value in (errors or {}).items():
        walk(value, out.setdefault(str(name), []))
    return out


def show_value(value) -> str:
    """A stored answer as text: labels in the current language, lists joined, booleans as yes/no."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if isinstance(value, dict) and ("zh" in value or "en" in value):
        return label(value)
    if isinstance(value, dict):
        return "; ".join(show_value(v) for v in value.values() if v not in (None, ""))
    if isinstance(value, (list, tuple)):
        return "、".join(show_value(v) for v in value) if lang() == "zh" else ", ".join(show_value(v) for v in value)
    return str(value)


def local_time(value, fmt: str = "short") -> str:
    if not value:
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return format_datetime(value, "yyyy-MM-dd HH:mm")


def init_app(app) -> None:
    babel.init_app(app, locale_selector=select_locale,
                   default_translation_directories="translations")
    app.jinja_env.globals.update(
        label=label, lang=lang, role_name=lambda c: ROLE_NAMES.get(c, c),
        pipeline_name=lambda c: PIPELINE_NAMES.get(c, c), status_name=lambda c: STATUS_NAMES.get(c, c),
        ip_type_name=lambda c: IP_TYPE_NAMES.get(c, c), party_role_name=lambda c: PARTY_ROLE_NAMES.get(c, c),
        action_name=lambda c: ACTION_NAMES.get(c, c), show_value=show_value,
        clock_state=lambda c: CLOCK_STATES.get(c, c), ROLE_NAMES=ROLE_NAMES, IP_TYPE_NAMES=IP_TYPE_NAMES,
        PIPELINE_NAMES=PIPELINE_NAMES, MEDIATION_SOURCES=MEDIATION_SOURCES,
    )
    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.add_extension("jinja2.ext.do")
