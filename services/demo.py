"""The demo organisation from the seed story, for the sandbox: idempotent."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from models import Department, Enterprise, Park, Project, RoleGrant, User
from models.enums import DEPARTMENT_ROLES, Role
from services import audit


@dataclass(frozen=True)
class Persona:
    telegram_id: int
    name: str
    language: str
    role: Role
    scope: str  # park / department code or enterprise credit code
    note: str


KUNHAO = ("坤昊实业有限公司", "91431129MA4L0KH01R", "JH")
CONCH = ("海螺水泥有限责任公司", "91431129MA4L1HL52C", "JH")

PERSONAS: tuple[Persona, ...] = (
    Persona(1001, "王经理", "zh", Role.ENTERPRISE, KUNHAO[1], "企业联系人 · 坤昊实业"),
    Persona(1002, "Li Na", "en", Role.ENTERPRISE, CONCH[1], "Enterprise contact · Conch Cement"),
    Persona(2001, "赵科长", "zh", Role.PARK_OFFICER, "JH", "园区行政效能室 · 江华经开区"),
    Persona(2002, "陈主任", "zh", Role.DISPATCHER, "", "县优化办 · 交办员"),
    Persona(3001, "刘联络员", "zh", Role.LIAISON, "gov", "联络员 · 县政府办"),
    Persona(3002, "孙联络员", "zh", Role.LIAISON, "drc", "联络员 · 县发改委"),
    Persona(3003, "周联络员", "zh", Role.LIAISON, "epb", "联络员 · 县环保局"),
    Persona(3004, "吴联络员", "zh", Role.LIAISON, "egov", "联络员 · 县电子政务管理办"),
    Persona(3005, "Zheng Wei", "en", Role.LIAISON, "power", "Liaison · Power Supply Bureau"),
    Persona(3006, "冯联络员", "zh", Role.LIAISON, "water", "联络员 · 县水利局"),
    Persona(3007, "韩联络员", "zh", Role.LIAISON, "police", "联络员 · 县公安局"),
    Persona(3008, "杨联络员", "zh", Role.LIAISON, "land", "联络员 · 县国土资源局"),
    Persona(3101, "钱局长", "zh", Role.HEAD, "drc", "一把手 · 县发改委"),
    Persona(4001, "郑书记", "zh", Role.SUPERVISOR, "", "县纪委行政效能室"),
    Persona(4002, "黄部长", "zh", Role.PARK_OFFICER, "JH", "海螺水泥项目行政效能部"),
    Persona(9001, "Admin", "en", Role.ADMIN, "", "Administrator"),
)


def seed_demo(session: Session) -> list[Persona]:
    """Create the demo enterprises, projects, users and roles unless they exist."""
    park = session.exec(select(Park).where(Park.code == "JH")).one()
    enterprises: dict[str, Enterprise] = {}
    for name, code, _park in (KUNHAO, CONCH):
        ent = session.exec(select(Enterprise).where(Enterprise.credit_code == code)).first()
        if ent is None:
            # Stored rows have an id; SQLModel types it int | None.
            ent = Enterprise(name=name, credit_code=code, park_id=park.id)  # type: ignore[arg-type]
            session.add(ent)
            session.flush()
            audit.record(
                session,
                actor_id=None,
                action="demo.enterprise",
                entity="enterprises",
                entity_id=ent.id,
            )
        enterprises[code] = ent
    users: dict[int, User] = {}
    for persona in PERSONAS:
        user = session.exec(select(User).where(User.telegram_id == persona.telegram_id)).first()
        if user is None:
            user = User(
                telegram_id=persona.telegram_id,
                display_name=persona.name,
                language=persona.language,
            )
            session.add(user)
            session.flush()
        users[persona.telegram_id] = user
        _ensure_grant(session, user, persona, enterprises)
    _ensure_project(session, enterprises[KUNHAO[1]], "二期增容项目", 80_000_000, True, None)
    _ensure_project(
        session, enterprises[CONCH[1]], "生产取水管线工程", 1_200_000_000, True, users[4002]
    )
    return list(PERSONAS)


def _ensure_grant(
    session: Session, user: User, persona: Persona, enterprises: dict[str, Enterprise]
) -> None:
    # Stored rows have an id; SQLModel types it int | None.
    grant = RoleGrant(user_id=user.id, role=persona.role)  # type: ignore[arg-type]
    if persona.role == Role.ENTERPRISE:
        grant.enterprise_id = enterprises[persona.scope].id
    elif persona.role == Role.PARK_OFFICER:
        grant.park_id = session.exec(select(Park.id).where(Park.code == persona.scope)).one()
    elif persona.role in DEPARTMENT_ROLES:
        grant.department_id = session.exec(
            select(Department.id).where(Department.code == persona.scope)
        ).one()
    existing = session.exec(
        select(RoleGrant).where(
            RoleGrant.user_id == user.id,
            RoleGrant.role == persona.role,
            col(RoleGrant.revoked_at).is_(None),
        )
    ).first()
    if existing is None:
        session.add(grant)
        session.flush()
        audit.record(
            session, actor_id=None, action="demo.grant", entity="role_grants", entity_id=grant.id
        )


def _ensure_project(
    session: Session, ent: Enterprise, name: str, yuan: int, key: bool, head: User | None
) -> None:
    found = session.exec(
        select(Project).where(Project.enterprise_id == ent.id, Project.name == name)
    ).first()
    if found is None:
        project = Project(
            enterprise_id=ent.id,  # type: ignore[arg-type]  # stored rows have an id
            name=name,
            investment_yuan=yuan,
            is_key=key,
            efficiency_head_user_id=head.id if head else None,
        )
        session.add(project)
        session.flush()
        audit.record(
            session, actor_id=None, action="demo.project", entity="projects", entity_id=project.id
        )
