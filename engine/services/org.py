"""The Tai'an bureau's units and a starter set of users (demo data and tests use it)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from engine.models import Role, Unit, User, UserRole

# code, name, document-number prefix, level; the city bureau first, then its counties and zones.
CITY = ("taian", "泰安市市场监督管理局", "泰市监", "city")
COUNTIES = [
    ("taishan", "泰山区市场监督管理局", "泰山市监", "county"),
    ("daiyue", "岱岳区市场监督管理局", "泰岱市监", "county"),
    ("xintai", "新泰市市场监督管理局", "新市监", "county"),
    ("feicheng", "肥城市市场监督管理局", "肥市监", "county"),
    ("ningyang", "宁阳县市场监督管理局", "宁市监", "county"),
    ("dongping", "东平县市场监督管理局", "东市监", "county"),
    ("gaoxin", "泰安高新技术产业开发区市场监督管理局", "泰高市监", "zone"),
    ("lvyou", "泰安旅游经济开发区市场监督管理局", "泰旅市监", "zone"),
]

# username suffix, full name stem, roles — created in every county/zone unit.
UNIT_STAFF = [
    ("officer1", "执法员甲", [Role.OFFICER]),
    ("officer2", "执法员乙", [Role.OFFICER]),
    ("legal", "法制审核员", [Role.LEGAL_REVIEWER]),
    ("head", "负责人", [Role.UNIT_HEAD]),
    ("supervisor", "督办员", [Role.SUPERVISOR]),
]
CITY_STAFF = [
    ("admin", "系统管理员", [Role.ADMIN]),
    ("city.supervisor", "市局督办员", [Role.SUPERVISOR]),
    ("city.officer", "市局执法员", [Role.OFFICER]),
    ("city.legal", "市局法制审核员", [Role.LEGAL_REVIEWER]),
    ("city.head", "市局负责人", [Role.UNIT_HEAD]),
    ("mediator1", "调解员王", [Role.MEDIATOR]),
    ("mediator2", "调解员李", [Role.MEDIATOR]),
    ("mediation.head", "调解中心主任", [Role.MEDIATION_HEAD, Role.MEDIATOR]),
]


def seed_units(session: Session) -> dict[str, Unit]:
    code, name, prefix, level = CITY
    city = Unit(code=code, name=name, number_prefix=prefix, level=level)
    units = {code: city}
    for code, name, prefix, level in COUNTIES:
        units[code] = Unit(code=code, name=name, number_prefix=prefix, level=level, parent=city)
    session.add_all(units.values())
    session.flush()
    return units


def seed_users(session: Session, units: dict[str, Unit], password_hash: str, now: datetime) -> list[User]:
    """Users of every role; all share one password hash (demo and tests only)."""
    def make(username, full_name, roles, unit, n):
        return User(username=username, full_name=full_name, password_hash=password_hash, unit=unit,
                    created_at=now, licence_no=f"37{n:06d}" if Role.OFFICER in roles else None,
                    role_rows=[UserRole(role=r) for r in roles])

    people, n = [], 0
    for username, full_name, roles in CITY_STAFF:
        n += 1
        people.append(make(username, full_name, roles, units[CITY[0]], n))
    for code, unit_name, *_ in COUNTIES:
        short = unit_name.replace("市场监督管理局", "")
        for suffix, stem, roles in UNIT_STAFF:
            n += 1
            people.append(make(f"{code}.{suffix}", f"{short}{stem}", roles, units[code], n))
    session.add_all(people)
    session.flush()
    return people
