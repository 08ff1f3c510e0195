"""Who is told: the recipients of owed messages, and one outbox row per recipient.

What they are told is rendered by services/messages, in each recipient's language.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from sqlmodel import Session, col, select

from models import Case, Project, User
from models.enums import Role
from services import outbox
from services.outbox import Button
from services.rules import Rules
from services.users import holders, language_of

Render = Callable[[str], tuple[str, Sequence[Sequence[Button]] | None]]


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
    live_key: str | None = None,
) -> int:
    """Queue one message per distinct user, rendered in that user's language."""
    count = 0
    seen: set[int] = set()
    users = list(users)
    outbox.expect(session, [f"{key}:u{user.id}" for user in users if user.id is not None])
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
            live_key=live_key,
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


def users_by_ids(session: Session, ids: Iterable[int | None]) -> list[User]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return []
    return list(session.exec(select(User).where(col(User.id).in_(wanted))).all())
