"""Who is told what: recipients and per-recipient rendering of owed messages."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from bot.i18n import N_, t
from bot.textsplit import escape, shorten
from models import Assignment, Case, Department, Enterprise, Project, User
from models.enums import Category, Role
from services import outbox
from services.outbox import Button
from services.rules import Rules
from services.users import holders, language_of

CATEGORY_NAMES: dict[str, str] = {
    Category.PERMIT: N_("Permits and approvals"),
    Category.UTILITY: N_("Water and power"),
    Category.LAND: N_("Land acquisition and demolition"),
    Category.DISPUTE: N_("Dispute coordination"),
    Category.OTHER: N_("Other"),
}

CASE_STATUS_NAMES: dict[str, str] = {
    "new": N_("waiting for dispatch"),
    "info_requested": N_("waiting for the enterprise's answer"),
    "dispatched": N_("assigned, in progress"),
    "awaiting_confirmation": N_("completed, waiting for your confirmation"),
    "closed": N_("closed"),
    "declined": N_("declined"),
}

ASSIGNMENT_STATUS_NAMES: dict[str, str] = {
    "issued": N_("issued, not signed for"),
    "acknowledged": N_("signed for, in progress"),
    "completed": N_("completed"),
    "returned": N_("returned"),
    "cancelled": N_("cancelled"),
}

Render = Callable[[str], tuple[str, list[list[Button]] | None]]


def local_time(moment: datetime | None, zone: ZoneInfo) -> str:
    if moment is None:
        return "—"
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def category_name(lang: str, category: str) -> str:
    return t(lang, CATEGORY_NAMES.get(category, category))


def dept_name(lang: str, dept: Department) -> str:
    return dept.name_zh if lang == "zh" else dept.name_en


def tell(
    session: Session,
    users: Iterable[User],
    *,
    rules: Rules,
    template: str,
    key: str,
    render: Render,
    attachments: list[dict[str, str]] | None = None,
    exclude: int | None = None,
) -> int:
    """Queue one message per distinct user, rendered in that user's language."""
    count = 0
    seen: set[int] = set()
    for user in users:
        if user.id is None or user.id in seen or user.id == exclude:
            continue
        seen.add(user.id)
        text, buttons = render(language_of(user, rules.default_language))
        queued = outbox.enqueue(
            session,
            user=user,
            template=template,
            text=text,
            buttons=buttons,
            attachments=attachments,
            dedupe_key=f"{key}:u{user.id}",
        )
        count += queued is not None
    return count


def office_for(session: Session, case: Case) -> list[User]:
    """The park officers of the case's park and every dispatcher."""
    return holders(session, Role.PARK_OFFICER, park_id=case.park_id) + holders(
        session, Role.DISPATCHER
    )


def contacts_for(session: Session, case: Case) -> list[User]:
    return holders(session, Role.ENTERPRISE, enterprise_id=case.enterprise_id)


def liaisons_of(session: Session, department_id: int) -> list[User]:
    return holders(session, Role.LIAISON, department_id=department_id)


def heads_of(session: Session, department_id: int) -> list[User]:
    return holders(session, Role.HEAD, department_id=department_id)


def efficiency_head(session: Session, case: Case) -> list[User]:
    """The efficiency head following a major project, copied on its assignments."""
    if case.project_id is None:
        return []
    project = session.get(Project, case.project_id)
    if project is None or not project.is_major or project.efficiency_head_user_id is None:
        return []
    head = session.get(User, project.efficiency_head_user_id)
    return [head] if head is not None and head.active else []


def case_header(session: Session, lang: str, case: Case) -> str:
    """The lines that identify a case in any message about it."""
    enterprise = session.get(Enterprise, case.enterprise_id)
    project = session.get(Project, case.project_id) if case.project_id else None
    lines = [
        t(lang, "Case {number}", number=f"<b>{escape(case.number)}</b>"),
        t(lang, "Enterprise: {name}", name=escape(enterprise.name if enterprise else "?")),
    ]
    if project is not None:
        major = " · " + t(lang, "major project") if project.is_major else ""
        lines.append(t(lang, "Project: {name}", name=escape(project.name)) + major)
    lines.append(t(lang, "Category: {category}", category=category_name(lang, case.category)))
    return "\n".join(lines)


def description_block(lang: str, case: Case, limit: int = 1500) -> str:
    return t(lang, "Description:") + "\n" + escape(shorten(case.description, limit))


def assignment_line(session: Session, lang: str, assignment: Assignment, zone: ZoneInfo) -> str:
    dept = session.get(Department, assignment.department_id)
    status = t(lang, ASSIGNMENT_STATUS_NAMES.get(assignment.status, assignment.status))
    return t(
        lang,
        "{number} · {department} · {status} · due {due}",
        number=escape(assignment.number),
        department=escape(dept_name(lang, dept) if dept else "?"),
        status=status,
        due=local_time(assignment.due_at, zone),
    )


def users_by_ids(session: Session, ids: Iterable[int | None]) -> list[User]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return []
    return list(session.exec(select(User).where(col(User.id).in_(wanted))).all())
