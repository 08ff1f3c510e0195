"""An enterprise's case: reporting it, questions about it, declining it, reading it back."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial

from sqlmodel import Session, col, select

from models import (
    MAX_DESCRIPTION,
    Assignment,
    Attachment,
    Case,
    Department,
    Enterprise,
    Note,
    Project,
    User,
)
from models.enums import (
    AttachmentKind,
    CaseStatus,
    Category,
    ExtensionKind,
    NoteKind,
    RequestStatus,
    Role,
)
from services import access, audit, live, notify, pauses
from services.errors import InvalidInput, InvalidState, NotAllowed, NotFound
from services.facts import case_facts
from services.messages import case as case_messages
from services.messages import questions
from services.numbers import case_number
from services.rules import Rules
from services.users import Actor

MIN_DESCRIPTION = 5
MAX_ATTACHMENTS = 10
OPEN_FOR_QUESTIONS = (CaseStatus.NEW, CaseStatus.INFO_REQUESTED, CaseStatus.DISPATCHED)


@dataclass(frozen=True)
class Submitted:
    case: Case
    created: bool  # False when the same submission arrived before (a redelivered update)


def parse_category(text: str) -> Category:
    value = text.strip().lower()
    aliases = {
        "权证": "permit",
        "办证": "permit",
        "水电": "utility",
        "用水用电": "utility",
        "征地": "land",
        "拆迁": "land",
        "矛盾": "dispute",
        "纠纷": "dispute",
        "其它": "other",
        "其他": "other",
    }
    value = aliases.get(value, value)
    try:
        return Category(value)
    except ValueError:
        raise InvalidInput(
            "Unknown category {category}. Use permit, utility, land, dispute or other.",
            category=text,
        ) from None


def clean_description(text: str) -> str:
    text = (text or "").strip()
    if len(text) < MIN_DESCRIPTION:
        raise InvalidInput("Please describe the problem in a few words (at least 5 characters).")
    if len(text) > MAX_DESCRIPTION:
        raise InvalidInput(
            "The description is too long ({length} characters); please keep it under {limit}.",
            length=len(text),
            limit=MAX_DESCRIPTION,
        )
    return text


def reporter_enterprise(session: Session, actor: Actor, enterprise_id: int | None) -> Enterprise:
    ids = actor.enterprise_ids()
    if not ids:
        raise NotAllowed("Only registered enterprise contacts can report problems.")
    if enterprise_id is None:
        enterprise_id = min(ids)
    if enterprise_id not in ids:
        raise NotAllowed("You are not a contact of that enterprise.")
    enterprise = session.get(Enterprise, enterprise_id)
    if enterprise is None:
        raise NotFound("That enterprise no longer exists.")
    return enterprise


def enterprise_projects(session: Session, *, actor: Actor) -> list[Project]:
    """The projects a contact may file a case about."""
    if not actor.enterprise_ids():
        return []
    return list(
        session.exec(
            select(Project)
            .where(col(Project.enterprise_id).in_(actor.enterprise_ids()))
            .order_by(col(Project.id))
        ).all()
    )


def submit_case(
    session: Session,
    *,
    actor: Actor,
    category: str,
    description: str,
    project_id: int | None = None,
    attachments: Sequence[dict[str, str]] = (),
    idempotency_key: str | None = None,
    rules: Rules,
) -> Submitted:
    """Receive a case; tell the park office and the dispatchers."""
    now = rules.now()
    if idempotency_key:
        earlier = session.exec(select(Case).where(Case.idempotency_key == idempotency_key)).first()
        if earlier is not None:
            return Submitted(case=earlier, created=False)
    chosen = parse_category(category)
    text = clean_description(description)
    project = session.get(Project, project_id) if project_id is not None else None
    if project_id is not None and (
        project is None or project.enterprise_id not in actor.enterprise_ids()
    ):
        raise InvalidInput("That project is not one of your enterprise's projects.")
    enterprise = reporter_enterprise(session, actor, project.enterprise_id if project else None)
    if len(attachments) > MAX_ATTACHMENTS:
        raise InvalidInput("At most {limit} attachments per case.", limit=MAX_ATTACHMENTS)
    case = Case(
        number=case_number(session, now.astimezone(rules.zone).year),
        enterprise_id=enterprise.id,  # type: ignore[arg-type]  # stored rows have an id
        project_id=project.id if project else None,
        park_id=enterprise.park_id,
        reporter_user_id=actor.id,
        category=chosen,
        description=text,
        status=CaseStatus.NEW,
        idempotency_key=idempotency_key,
        created_at=now,
    )
    session.add(case)
    session.flush()
    files = add_attachments(session, case=case, attachments=attachments, uploader=actor.id)
    audit.record(
        session,
        actor_id=actor.id,
        action="case.submit",
        entity="cases",
        entity_id=case.id,
        data={"number": case.number, "category": chosen.value, "attachments": len(files)},
        at=now,
    )
    _announce(session, case, files, rules)
    return Submitted(case=case, created=True)


def add_attachments(
    session: Session,
    *,
    case: Case,
    attachments: Sequence[dict[str, str]],
    uploader: int,
    assignment_id: int | None = None,
) -> list[dict[str, str]]:
    """Store attachments by Telegram file_id; returns them as outbox attachment items."""
    items = []
    for item in attachments:
        kind = AttachmentKind(item.get("kind", "document"))
        session.add(
            Attachment(
                case_id=case.id,  # type: ignore[arg-type]  # stored rows have an id
                assignment_id=assignment_id,
                kind=kind,
                file_id=item["file_id"],
                file_unique_id=item.get("file_unique_id", item["file_id"]),
                file_name=item.get("file_name"),
                mime_type=item.get("mime_type"),
                caption=item.get("caption"),
                uploaded_by_user_id=uploader,
            )
        )
        items.append(
            {"kind": kind.value, "file_id": item["file_id"], "caption": item.get("caption") or ""}
        )
    return items


def _announce(session: Session, case: Case, files: list[dict[str, str]], rules: Rules) -> None:
    notify.tell(
        session,
        notify.office_for(session, case),
        rules=rules,
        template="case.new",
        key=f"case:{case.id}:new",
        render=partial(case_messages.new, facts=case_facts(session, case), attachments=len(files)),
        attachments=files or None,
        live_key=live.announcement_key(case.id),  # type: ignore[arg-type]  # flushed
    )


def declinable_case(session: Session, *, actor: Actor, case_id: int) -> Case:
    """A case the office may still decline (checked before the reason is typed)."""
    case = access.managed_case(session, actor, case_id=case_id)
    if case.status not in (CaseStatus.NEW, CaseStatus.INFO_REQUESTED):
        raise InvalidState(
            "Case {number} is already being handled; it cannot be declined now.", number=case.number
        )
    return case


def askable_case(session: Session, *, actor: Actor, case_id: int) -> Case:
    """A case the office may still ask the enterprise about (checked before typing)."""
    case = access.managed_case(session, actor, case_id=case_id)
    if case.status not in OPEN_FOR_QUESTIONS:
        raise InvalidState("Case {number} is no longer open for questions.", number=case.number)
    return case


def decline_case(
    session: Session, *, actor: Actor, case_id: int, reason: str, rules: Rules
) -> Case:
    """The office declines a case it cannot take up; the enterprise is told why."""
    now = rules.now()
    case = declinable_case(session, actor=actor, case_id=case_id)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("Please give the enterprise a reason for declining.")
    case.status = CaseStatus.DECLINED
    case.decline_reason = reason
    case.closed_at = now
    session.add(case)
    audit.record(
        session,
        actor_id=actor.id,
        action="case.decline",
        entity="cases",
        entity_id=case.id,
        data={"reason": reason},
        at=now,
    )

    notify.tell(
        session,
        notify.contacts_for(session, case),
        rules=rules,
        template="case.declined",
        key=f"case:{case.id}:declined",
        render=partial(case_messages.declined, number=case.number, reason=reason),
    )
    notify.tell(
        session,
        notify.office_for(session, case),
        rules=rules,
        template="case.declined.office",
        key=f"case:{case.id}:declined.office",
        exclude=actor.id,
        render=partial(
            case_messages.declined_office,
            number=case.number,
            by=actor.user.display_name,
            reason=reason,
        ),
    )
    live.refresh_case_announcement(session, case, rules=rules, by=actor.user.display_name)
    return case


def ask_enterprise(
    session: Session,
    *,
    actor: Actor,
    question: str,
    case_id: int | None = None,
    case_number: str | None = None,
    assignment_id: int | None = None,
    assignment_number: str | None = None,
    rules: Rules,
) -> Note:
    """A question from the office (about a case) or a liaison (about an assignment)."""
    now = rules.now()
    question = (question or "").strip()
    if not question:
        raise InvalidInput("Please write the question for the enterprise.")
    assignment = None
    if assignment_id is not None or assignment_number is not None:
        assignment = access.open_assignment(session, actor, assignment_id, assignment_number)
        case = session.get(Case, assignment.case_id)
        assert case is not None
    elif case_id is not None or case_number is not None:
        case = access.managed_case(session, actor, case_id=case_id, case_number=case_number)
    else:
        raise InvalidInput("Say which case or assignment the question is about.")
    if case.status not in OPEN_FOR_QUESTIONS:
        raise InvalidState("Case {number} is no longer open for questions.", number=case.number)
    assert case.id is not None
    note = Note(
        case_id=case.id,
        assignment_id=assignment.id if assignment else None,
        author_user_id=actor.id,
        kind=NoteKind.QUESTION,
        text=question,
        created_at=now,
    )
    session.add(note)
    if assignment is None and case.status == CaseStatus.NEW:
        case.status = CaseStatus.INFO_REQUESTED
        session.add(case)
        live.refresh_case_announcement(session, case, rules=rules)
    session.flush()
    audit.record(
        session,
        actor_id=actor.id,
        action="note.question",
        entity="notes",
        entity_id=note.id,
        data={"case": case.number},
        at=now,
    )
    department = session.get(Department, assignment.department_id) if assignment else None
    notify.tell(
        session,
        notify.contacts_for(session, case),
        rules=rules,
        template="note.question",
        key=f"note:{note.id}:question",
        render=partial(
            questions.question,
            note_id=note.id,  # type: ignore[arg-type]  # stored rows have an id
            number=case.number,
            department=department,
            text=question,
        ),
    )
    return note


def question_for_reply(session: Session, *, actor: Actor, note_id: int) -> Note:
    """The question an enterprise contact is about to answer (checked before they type)."""
    note = session.get(Note, note_id)
    if note is None or note.kind != NoteKind.QUESTION:
        raise NotFound("That question does not exist.")
    case = session.get(Case, note.case_id)
    if case is None or case.enterprise_id not in actor.enterprise_ids():
        raise NotAllowed("That question was not sent to you.")
    if case.status in (CaseStatus.CLOSED, CaseStatus.DECLINED):
        raise InvalidState(
            "Case {number} is closed; the question no longer needs an answer.", number=case.number
        )
    return note


def answer_question(
    session: Session,
    *,
    actor: Actor,
    note_id: int,
    answer: str,
    idempotency_key: str | None = None,
    rules: Rules,
) -> Note:
    """The enterprise's answer goes back into the thread it was asked in."""
    now = rules.now()
    if idempotency_key:
        earlier = session.exec(select(Note).where(Note.idempotency_key == idempotency_key)).first()
        if earlier is not None:
            return earlier
    question = question_for_reply(session, actor=actor, note_id=note_id)
    answer = (answer or "").strip()
    if not answer:
        raise InvalidInput("Please write your answer.")
    case = session.get(Case, question.case_id)
    assert case is not None and case.id is not None
    note = Note(
        case_id=case.id,
        assignment_id=question.assignment_id,
        author_user_id=actor.id,
        kind=NoteKind.ANSWER,
        text=answer,
        reply_to_note_id=question.id,
        idempotency_key=idempotency_key,
        created_at=now,
    )
    session.add(note)
    if question.assignment_id is None and case.status == CaseStatus.INFO_REQUESTED:
        case.status = CaseStatus.NEW
        session.add(case)
        live.refresh_case_announcement(session, case, rules=rules)
    session.flush()
    audit.record(
        session,
        actor_id=actor.id,
        action="note.answer",
        entity="notes",
        entity_id=note.id,
        data={"question": question.id},
        at=now,
    )
    # A pause waits for this answer: the clock runs again.
    pauses.resume_on_answer(session, question=question, rules=rules)
    recipients: list[User] = notify.users_by_ids(session, [question.author_user_id])
    if question.assignment_id is None:
        recipients += notify.office_for(session, case)
    waiting = question.assignment_id is None and case.status == CaseStatus.NEW
    notify.tell(
        session,
        recipients,
        rules=rules,
        template="note.answer",
        key=f"note:{note.id}:answer",
        render=partial(
            questions.answer,
            number=case.number,
            question=question.text,
            answer=answer,
            dispatch_case=case.id if waiting else None,
        ),
    )
    return note


@dataclass
class CaseView:
    case: Case
    enterprise: Enterprise
    project: Project | None
    assignments: list[Assignment] = field(default_factory=list)
    departments: dict[int, Department] = field(default_factory=dict)
    timeline: list[tuple[datetime, str, dict[str, str]]] = field(default_factory=list)


def my_cases(session: Session, *, actor: Actor, limit: int) -> list[CaseView]:
    """An enterprise contact's cases, newest first, with their assignments."""
    if not actor.has(Role.ENTERPRISE):
        raise NotAllowed("Only enterprise contacts have cases of their own; try /help.")
    cases = session.exec(
        select(Case)
        .where(col(Case.enterprise_id).in_(actor.enterprise_ids()))
        .order_by(col(Case.id).desc())
        .limit(limit)
    ).all()
    return [_view(session, case, with_timeline=False) for case in cases]


def case_view(session: Session, *, actor: Actor, number: str) -> CaseView:
    """One case with its assignments and timeline, if the actor may see it."""
    return _view(session, access.case_by_number(session, actor, number), with_timeline=True)


def _view(session: Session, case: Case, *, with_timeline: bool) -> CaseView:
    enterprise = session.get(Enterprise, case.enterprise_id)
    assert enterprise is not None
    view = CaseView(
        case=case,
        enterprise=enterprise,
        project=session.get(Project, case.project_id) if case.project_id else None,
    )
    view.assignments = list(
        session.exec(
            select(Assignment).where(Assignment.case_id == case.id).order_by(col(Assignment.id))
        ).all()
    )
    for a in view.assignments:
        dept = session.get(Department, a.department_id)
        if dept is not None:
            view.departments[a.department_id] = dept
    if with_timeline:
        view.timeline = _timeline(session, case, view)
    return view


def _timeline(
    session: Session, case: Case, view: CaseView
) -> list[tuple[datetime, str, dict[str, str]]]:
    """(when, event, params) entries, oldest first; services/messages/case.py words them."""
    entries: list[tuple[datetime, str, dict[str, str]]] = [(case.created_at, "reported", {})]
    for a in view.assignments:
        dept = view.departments.get(a.department_id)
        params = {
            "number": a.number,
            "dept_zh": dept.name_zh if dept else "?",
            "dept_en": dept.name_en if dept else "?",
        }
        entries.append((a.issued_at, "assigned", params))
        if a.acknowledged_at:
            entries.append((a.acknowledged_at, "signed", params))
        if a.returned_at:
            entries.append((a.returned_at, "returned", {**params, "reason": a.return_reason or ""}))
        if a.completed_at:
            entries.append((a.completed_at, "completed", {**params, "result": a.result or ""}))
    entries += _clock_changes(session, view)
    notes = session.exec(select(Note).where(Note.case_id == case.id).order_by(col(Note.id))).all()
    entries += [(n.created_at, "note." + NoteKind(n.kind).value, {"text": n.text}) for n in notes]
    if case.closed_at and case.status == CaseStatus.CLOSED:
        if case.confirmed_by_default:
            entries.append((case.closed_at, "closed.default", {}))
        else:
            entries.append((case.closed_at, "closed", {"satisfaction": case.satisfaction or ""}))
    if case.status == CaseStatus.DECLINED and case.closed_at:
        entries.append((case.closed_at, "declined", {"reason": case.decline_reason or ""}))
    entries.sort(key=lambda e: e[0])
    return entries


def _clock_changes(session: Session, view: CaseView) -> list[tuple[datetime, str, dict[str, str]]]:
    return clock_changes(session, {a.id: a.number for a in view.assignments if a.id is not None})


def clock_changes(
    session: Session, numbers: dict[int, str]
) -> list[tuple[datetime, str, dict[str, str]]]:
    """Extension requests and decisions, pauses and resumes of these assignments (id: number)."""
    entries: list[tuple[datetime, str, dict[str, str]]] = []
    for change in pauses.changes_of(session, list(numbers)):
        params = {
            "number": numbers[change.assignment_id],
            "reason": change.reason,
            "due_at": change.new_due_at.isoformat() if change.new_due_at else "",
        }
        if change.kind == ExtensionKind.PAUSE:
            if change.paused_from is not None:
                entries.append((change.paused_from, "paused", params))
            if change.paused_until is not None:
                entries.append((change.paused_until, "resumed", params))
            continue
        entries.append((change.requested_at, "extension.requested", params))
        if change.decided_at is not None and change.status == RequestStatus.APPROVED:
            entries.append((change.decided_at, "extension.approved", params))
        elif change.decided_at is not None:
            reason = (change.details or {}).get("decision_reason", "")
            entries.append((change.decided_at, "extension.denied", {**params, "reason": reason}))
    return entries
