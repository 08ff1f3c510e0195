"""The case workflow as services, without Telegram: the seed's two stories and the refusals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from bot.db import Database
from bot.i18n import t
from models import Assignment, AuditEvent, Case, RoleGrant
from models.enums import AssignmentStatus, CaseStatus, Role, Satisfaction
from services import assignments, callbacks, cases, confirmation
from services.dispatch import form as dispatch_form
from services.dispatch import orders
from services.errors import InvalidInput, InvalidState, NotAllowed, NotFound
from services.messages.case import TIMELINE
from tests.factories import actor, outbox_for
from tests.rules import RULES

pytestmark = pytest.mark.dialects(
    "sqlite",
    why=(
        "the seed's two stories go through the same plain ORM writes as the e2e stories, which "
        "run on both"
    ),
)

# Monday 2026-11-23 10:00 in Shanghai.
MONDAY = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def test_kunhao_story(demo: Database) -> None:
    db = demo
    contact, officer = actor(db, 1001), actor(db, 2001)
    submitted = db.call(
        cases.submit_case,
        actor=contact,
        category="permit",
        description="二期增容用电审批：省里10天窗口期即将关闭",
        idempotency_key="u:1",
        rules=RULES.at(MONDAY),
    )
    case = submitted.case
    assert case.number == "2026-0001" and case.status == CaseStatus.NEW
    # The park officer and the dispatcher are told, with buttons to dispatch.
    announced = outbox_for(db, 2001)
    assert announced and announced[0].buttons[0][0]["data"] == callbacks.case("dsp", case.id)
    assert outbox_for(db, 2002)
    # A redelivered update submits nothing twice.
    again = db.call(
        cases.submit_case,
        actor=contact,
        category="permit",
        description="二期增容用电审批 again",
        idempotency_key="u:1",
        rules=RULES.at(MONDAY),
    )
    assert not again.created and again.case.id == case.id

    issued = db.call(
        orders.dispatch_case,
        actor=officer,
        case_id=case.id,
        department_codes=["gov", "drc", "epb", "egov"],
        rules=RULES.at(MONDAY),
    )
    assert [a.number for a in issued] == [f"2026-0001-{i}" for i in range(1, 5)]
    assert len({a.issued_at for a in issued}) == 1
    # 5 working days from Monday: the following Monday at 18:00 local.
    assert issued[0].due_at == datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
    card = outbox_for(db, 3002)[-1]
    assert "2026-0001-2" in card.text
    assert card.buttons[0][0]["data"] == callbacks.assignment("ack", issued[1].id)

    liaisons = {3001: issued[0], 3002: issued[1], 3003: issued[2], 3004: issued[3]}
    later = MONDAY + timedelta(hours=3)
    for tg, assignment in liaisons.items():
        db.call(
            assignments.acknowledge,
            actor=actor(db, tg),
            assignment_id=assignment.id,
            rules=RULES.at(later),
        )
    for tg, assignment in liaisons.items():
        db.call(
            assignments.complete,
            actor=actor(db, tg),
            assignment_id=assignment.id,
            result="已代办材料，企业盖章即可",
            rules=RULES.at(later),
        )
    case = db.call(lambda s: s.get(Case, case.id))
    assert case.status == CaseStatus.AWAITING_CONFIRMATION
    ask = [m for m in outbox_for(db, 1001) if m.template == "case.confirm"]
    assert len(ask) == 1 and ask[0].buttons[0][0]["data"] == callbacks.confirm("s", case.id)

    closed = db.call(
        confirmation.confirm,
        actor=contact,
        case_id=case.id,
        satisfaction=Satisfaction.SATISFIED,
        rules=RULES.at(later),
    )
    assert closed.status == CaseStatus.CLOSED and closed.satisfaction == Satisfaction.SATISFIED
    actions = db.call(lambda s: [e.action for e in s.exec(select(AuditEvent)).all()])
    assert actions.count("assignment.complete") == 4 and "case.confirm" in actions


def test_conch_dispute_with_return_question_and_reopen(demo: Database) -> None:
    db = demo
    contact, dispatcher = actor(db, 1002), actor(db, 2002)
    [pipeline] = db.call(cases.enterprise_projects, actor=contact)
    assert pipeline.is_major
    case = db.call(
        cases.submit_case,
        actor=contact,
        category="dispute",
        description="Locals are obstructing the water-intake pipeline works",
        project_id=pipeline.id,
        rules=RULES.at(MONDAY),
    ).case
    first = db.call(
        orders.dispatch_case,
        actor=dispatcher,
        case_id=case.id,
        department_codes=["water"],
        rules=RULES.at(MONDAY),
    )[0]
    # The major project's efficiency head is copied on the assignment.
    assert any(m.template == "assignment.issued.copy" for m in outbox_for(db, 4002))
    water = actor(db, 3006)
    db.call(
        assignments.return_assignment,
        actor=water,
        assignment_id=first.id,
        reason="阻工属矛盾协调，应由县政府办牵头",
        rules=RULES.at(MONDAY),
    )
    items = db.call(orders.queue, actor=dispatcher, limit=RULES.limits.queue_list)
    assert [i.case.id for i in items] == [case.id] and items[0].returns
    second = db.call(
        orders.dispatch_case,
        actor=dispatcher,
        case_id=case.id,
        department_codes=["gov"],
        rules=RULES.at(MONDAY),
    )[0]
    assert second.number.endswith("-2")
    assert db.call(orders.queue, actor=dispatcher, limit=RULES.limits.queue_list) == []

    gov = actor(db, 3001)
    db.call(assignments.acknowledge, actor=gov, assignment_id=second.id, rules=RULES.at(MONDAY))
    question = db.call(
        cases.ask_enterprise,
        actor=gov,
        assignment_id=second.id,
        question="Which villages are involved?",
        rules=RULES.at(MONDAY),
    )
    [reply] = [m for m in outbox_for(db, 1002) if m.template == "note.question"]
    assert reply.buttons[0][0]["data"] == callbacks.reply(question.id)
    db.call(
        cases.answer_question,
        actor=contact,
        note_id=question.id,
        answer="Two: A and B",
        rules=RULES.at(MONDAY),
    )
    assert any("Two: A and B" in m.text for m in outbox_for(db, 3001))

    db.call(
        assignments.complete,
        actor=gov,
        assignment_id=second.id,
        result="Mediated",
        rules=RULES.at(MONDAY),
    )
    with pytest.raises(InvalidInput):
        db.call(
            confirmation.confirm,
            actor=contact,
            case_id=case.id,
            satisfaction=Satisfaction.UNSATISFIED,
            rules=RULES.at(MONDAY),
        )
    db.call(
        confirmation.confirm,
        actor=contact,
        case_id=case.id,
        satisfaction=Satisfaction.UNSATISFIED,
        note="Works still blocked on Friday",
        rules=RULES.at(MONDAY),
    )
    reopened = db.call(lambda s: s.get(Assignment, second.id))
    assert reopened.status == AssignmentStatus.ACKNOWLEDGED and reopened.reopened_count == 1
    assert db.call(lambda s: s.get(Case, case.id)).status == CaseStatus.DISPATCHED
    assert any(m.template == "assignment.reopened" for m in outbox_for(db, 3001))
    # The timeline keeps the first result and the enterprise's reason, as events to word.
    timeline = db.call(cases.case_view, actor=contact, number=case.number).timeline
    entries = [(event, params.get("text")) for _, event, params in timeline]
    assert ("note.result", "Mediated") in entries
    assert ("note.reopen", "Works still blocked on Friday") in entries
    notes = [(event, params) for _, event, params in timeline if event.startswith("note.")]
    shown = [t("en", TIMELINE[event], **params) for event, params in notes]
    assert "Result: Mediated" in shown
    assert "Reopened, the enterprise is not satisfied: Works still blocked on Friday" in shown


def test_refusals_change_nothing(demo: Database) -> None:
    db = demo
    contact, officer = actor(db, 1001), actor(db, 2001)
    case = db.call(
        cases.submit_case,
        actor=contact,
        category="utility",
        description="Power line move",
        rules=RULES.at(MONDAY),
    ).case
    with pytest.raises(NotAllowed):  # an enterprise cannot dispatch
        db.call(
            orders.dispatch_case,
            actor=contact,
            case_id=case.id,
            department_codes=["power"],
            rules=RULES.at(MONDAY),
        )
    with pytest.raises(NotFound):  # another enterprise's contact cannot even see it
        db.call(cases.case_view, actor=actor(db, 1002), number=case.number)
    issued = db.call(
        orders.dispatch_case,
        actor=officer,
        case_id=case.id,
        department_codes=["power"],
        rules=RULES.at(MONDAY),
    )[0]
    for typed, refusal in (
        ("2020-01-01", "The deadline must be in the future."),
        ("400wd", "A deadline can be at most a year ahead."),
        ("soon", "I could not read that deadline."),
    ):
        with pytest.raises(InvalidInput) as refused:
            db.call(
                dispatch_form.dispatch_now,
                actor=officer,
                case_number=case.number,
                department_codes=["power"],
                deadline=typed,
                rules=RULES.at(MONDAY),
            )
        assert refused.value.msgid.startswith(refusal)
    with pytest.raises(InvalidState):  # the same department twice
        db.call(
            orders.dispatch_case,
            actor=officer,
            case_id=case.id,
            department_codes=["power"],
            rules=RULES.at(MONDAY),
        )
    with pytest.raises(NotFound):  # another department's liaison: not theirs to see
        db.call(
            assignments.acknowledge, actor=actor(db, 3002), assignment_id=issued.id, rules=RULES
        )
    with pytest.raises(InvalidState):  # complete before signing for
        db.call(
            assignments.complete,
            actor=actor(db, 3005),
            assignment_id=issued.id,
            result="x",
            rules=RULES,
        )
    db.call(assignments.acknowledge, actor=actor(db, 3005), assignment_id=issued.id, rules=RULES)
    with pytest.raises(InvalidState):
        db.call(
            assignments.acknowledge, actor=actor(db, 3005), assignment_id=issued.id, rules=RULES
        )
    # The department head sees the assignment but cannot act on it.
    head = actor(db, 3101)
    assert head.has(Role.HEAD)
    grants = db.call(lambda s: s.exec(select(RoleGrant)).all())
    assert grants
    with pytest.raises(NotFound):
        db.call(cases.case_view, actor=actor(db, 3002), number="2099-9999")
