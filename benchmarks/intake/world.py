"""The database (demo organisation plus simulated enterprises) and the emulator's personas."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ENTERPRISE_BASE_ID = 7_000_000
DISPATCH_DESKS = (2002, 2001, 4002)  # the demo dispatcher and the JH park's two officers


@dataclass(frozen=True)
class Person:
    telegram_id: int
    name: str
    language: str


def credit_code(index: int) -> str:
    """A valid unified social credit code for simulated enterprise ``index``."""
    from stdnum.cn import uscc

    body = f"91431129BM{index:07d}"
    return body + uscc.calc_check_digit(body)


def simulated_enterprises(count: int) -> list[Person]:
    """Contacts of the simulated enterprises; every other one writes in English."""
    return [
        Person(ENTERPRISE_BASE_ID + i, f"压测联系人{i:04d}", "zh" if i % 2 else "en")
        for i in range(1, count + 1)
    ]


def demo_people() -> list[Person]:
    """The demo organisation's personas (services/demo.py)."""
    from services.demo import PERSONAS

    return [Person(p.telegram_id, p.name, p.language) for p in PERSONAS]


def liaisons_by_department() -> dict[str, int]:
    """Department code -> the demo liaison's Telegram id."""
    from models.enums import Role
    from services.demo import PERSONAS

    return {p.scope: p.telegram_id for p in PERSONAS if p.role == Role.LIAISON}


def _add_enterprises(session: Any, people: list[Person]) -> None:
    from sqlmodel import select

    from models import Enterprise, Park, RoleGrant, User
    from models.enums import Role

    park_id = session.exec(select(Park.id).where(Park.code == "JH")).one()
    for index, person in enumerate(people, start=1):
        if session.exec(select(User).where(User.telegram_id == person.telegram_id)).first():
            continue
        enterprise = Enterprise(
            name=f"压测企业{index:04d}有限公司", credit_code=credit_code(index), park_id=park_id
        )
        user = User(
            telegram_id=person.telegram_id,
            display_name=person.name,
            language=person.language,
            telegram_language=person.language,
        )
        session.add_all([enterprise, user])
        session.flush()
        session.add(RoleGrant(user_id=user.id, role=Role.ENTERPRISE, enterprise_id=enterprise.id))


def prepare_database(url: str, enterprises: list[Person]) -> None:
    """Migrate, sync the organisation, seed the demo and add the simulated enterprises."""
    from bot.db import Database, upgrade
    from bot.settings import load_settings
    from services.demo import seed_demo
    from services.org import sync_organisation

    settings = load_settings(database={"url": url})
    upgrade(url)
    db = Database(url)
    try:
        org = settings.organisation
        db.call(sync_organisation, parks=org.parks, departments=org.departments)
        db.call(seed_demo)
        db.call(_add_enterprises, enterprises)
    finally:
        db.dispose()
