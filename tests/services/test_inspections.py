"""Inspection filings (涉企检查备案) and notices (通报): filing, matching, deciding, notifying."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from datetime import date

import pytest
from pydantic import ValidationError
from sqlmodel import Session, select

from bot.db import Database
from bot.deps import make_rules
from bot.i18n import t
from bot.settings import Settings
from models import AuditEvent, Deduction, Department, Inspection
from models.enums import DeductionKind, InspectionStatus
from services import inspection_form, inspections, notices, prompts
from services.errors import DomainError, InvalidInput, InvalidState, NotAllowed
from services.rules import InspectionRules, Rules
from tests.factories import DRC_LIAISON, WANG, actor, at, outbox_for, templates_for
from tests.rules import RULES

pytestmark = pytest.mark.dialects(
    "sqlite",
    why=(
        "filing and matching inspections are plain ORM reads and writes; the two presses at once "
        "(a row lock) run on both"
    ),
)

SUPERVISOR, DRC_HEAD, POWER_LIAISON = 4001, 3101, 3005
NOW = at(2026, 10, 10)
LIAISONS_AND_HEADS = {3001, 3002, 3003, 3004, 3005, 3006, 3007, 3008, 3101}


def rules_at(*when: int) -> Rules:
    return RULES.at(at(*when))


def file(
    db: Database, day: date, *, by: int = DRC_LIAISON, rules: Rules | None = None
) -> Inspection:
    return db.call(
        inspections.file_inspection,
        actor=actor(db, by),
        enterprise="坤昊实业",
        day=day,
        purpose="产品质量抽检",
        inspectors="张三, 李四",
        rules=rules or RULES.at(NOW),
    )


def report(
    db: Database, day: date, *, dept: str = "drc", rules: Rules | None = None
) -> inspections.Reported:
    return db.call(
        inspections.report_inspection,
        actor=actor(db, WANG),
        department=dept,
        day=day,
        rules=rules or RULES.at(NOW),
    )


def deductions(db: Database) -> list[Deduction]:
    return db.call(lambda s: list(s.exec(select(Deduction)).all()))


def test_a_filing_tells_the_enterprise_in_advance(demo: Database) -> None:
    filed = file(demo, date(2026, 10, 12))
    assert filed.status == InspectionStatus.FILED
    assert filed.inspectors == "张三, 李四"
    (told,) = outbox_for(demo, WANG)
    assert told.template == "inspection.filed"
    assert "2026-10-12" in told.text and "县发改委" in told.text and "产品质量抽检" in told.text
    actions = demo.call(lambda s: [e.action for e in s.exec(select(AuditEvent)).all()])
    assert "inspection.file" in actions


def test_the_one_line_filing_and_its_mistakes() -> None:
    rules = RULES.at(NOW)
    line = inspections.split_filing("坤昊 实业 2026-10-12 抽检 产品 | 张三, 李四", rules=rules)
    assert (line.enterprise, line.day, line.purpose, line.inspectors) == (
        "坤昊 实业",
        date(2026, 10, 12),
        "抽检 产品",
        "张三, 李四",
    )
    assert inspections.split_filing("坤昊实业 明天 抽检 | 张三", rules=rules).day == date(
        2026, 10, 11
    )
    assert inspections.split_filing("坤昊实业 10月12日 抽检 | 张三", rules=rules).day == date(
        2026, 10, 12
    )
    cases = {
        "坤昊实业 抽检 | 张三": "Usage: /inspect",
        "坤昊实业 2026-10-09 抽检 | 张三": "is in the past",
        "坤昊实业 2026-10-12 抽检": "Name the inspectors",
        "坤昊实业 2026-10-12 | 张三": "Write the purpose",
        "坤昊实业 2026-02-30 抽检 | 张三": "not a date in the calendar",
    }
    for text, refusal in cases.items():
        with pytest.raises(InvalidInput) as caught:
            inspections.split_filing(text, rules=rules)
        assert refusal in str(caught.value), text


def test_only_a_liaison_files_and_the_enterprise_must_exist(demo: Database) -> None:
    with pytest.raises(NotAllowed):
        file(demo, date(2026, 10, 12), by=WANG)
    with pytest.raises(InvalidInput):
        file(demo, date(2026, 10, 9))
    with pytest.raises(Exception, match="no enterprise"):
        demo.call(
            inspections.file_inspection,
            actor=actor(demo, DRC_LIAISON),
            enterprise="不存在的公司",
            day=date(2026, 10, 12),
            purpose="x",
            inspectors="y",
            rules=RULES.at(NOW),
        )


def test_a_report_a_filing_covers_is_matched_within_the_tolerance(demo: Database) -> None:
    filed = file(demo, date(2026, 10, 12))
    later = RULES.at(at(2026, 10, 14))
    assert RULES.inspections.match_days == 1
    reported = report(demo, date(2026, 10, 13), rules=later)
    assert reported.matched
    assert reported.inspection.status == InspectionStatus.MATCHED
    assert reported.inspection.matched_inspection_id == filed.id
    assert templates_for(demo, SUPERVISOR) == []
    # Two days away is outside the tolerance; another department's filing covers nothing.
    assert not report(demo, date(2026, 10, 14), rules=later).matched
    assert not report(demo, date(2026, 10, 12), dept="县电力局", rules=later).matched


def test_a_filing_made_after_the_inspection_covers_nothing(demo: Database) -> None:
    file(demo, date(2026, 10, 13), rules=RULES.at(at(2026, 10, 13, 9)))
    reported = report(demo, date(2026, 10, 12), rules=RULES.at(at(2026, 10, 13, 10)))
    assert not reported.matched


def test_an_unfiled_report_alerts_every_supervisor_once(demo: Database) -> None:
    reported = report(demo, date(2026, 10, 9))
    assert reported.inspection.status == InspectionStatus.REPORTED
    (alert,) = outbox_for(demo, SUPERVISOR)
    assert alert.template == "inspection.alert"
    assert [b["data"] for b in alert.buttons[0]] == [
        f"v1:i:ok:{reported.inspection.id}",
        f"v1:i:no:{reported.inspection.id}",
    ]
    again = report(demo, date(2026, 10, 9))
    assert again.again and again.inspection.id == reported.inspection.id
    assert len(outbox_for(demo, SUPERVISOR)) == 1
    with pytest.raises(InvalidInput, match="in the future"):
        report(demo, date(2026, 10, 11))


def test_confirming_deducts_once_and_notifies_the_county(demo: Database) -> None:
    reported = report(demo, date(2026, 6, 30), rules=rules_at(2026, 7, 1))
    target = reported.inspection.id
    assert target is not None
    confirm = dict(actor=actor(demo, SUPERVISOR), inspection_id=target, rules=rules_at(2026, 7, 2))
    first = demo.call(inspections.confirm_unfiled, **confirm)
    second = demo.call(inspections.confirm_unfiled, **confirm)
    assert (first.already, second.already) == (False, True)
    (deduction,) = deductions(demo)
    assert deduction.kind == DeductionKind.UNFILED_INSPECTION
    assert (deduction.points, deduction.inspection_id) == (2.0, target)
    # The inspection's date decides the half-year, not the day of the confirmation.
    assert (deduction.year, deduction.half) == (2026, 1)
    drc = demo.call(lambda s: s.exec(select(Department).where(Department.code == "drc")).one())
    assert deduction.department_id == drc.id
    for person in LIAISONS_AND_HEADS:
        assert templates_for(demo, person).count("notice.unfiled") == 1, person
    assert "notice.unfiled" not in templates_for(demo, WANG)
    english = [m for m in outbox_for(demo, POWER_LIAISON) if m.template == "notice.unfiled"]
    assert "Development &amp; Reform Commission inspected" in english[0].text
    # The supervisor's alert is edited to the decision, without buttons.
    edits = [m for m in outbox_for(demo, SUPERVISOR) if m.kind == "edit"]
    assert len(edits) == 1 and not edits[0].buttons
    with pytest.raises(NotAllowed):
        demo.call(
            inspections.confirm_unfiled,
            actor=actor(demo, DRC_LIAISON),
            inspection_id=target,
            rules=RULES,
        )


@pytest.mark.dialects("sqlite", "postgres", why="two presses at once on a row lock")
async def test_two_supervisors_pressing_at_once_deduct_once(demo: Database) -> None:
    # Through Database.run, as the bot calls it: PostgreSQL runs both presses at once on two
    # threads (the row lock orders them), SQLite one after the other on its one writer.
    target = report(demo, date(2026, 10, 9)).inspection.id
    assert target is not None
    who = actor(demo, SUPERVISOR)
    presses = [
        demo.run(inspections.confirm_unfiled, actor=who, inspection_id=target, rules=RULES.at(NOW))
        for _ in range(2)
    ]
    results = sorted(d.already for d in await asyncio.gather(*presses))
    assert results == [False, True]
    assert len(deductions(demo)) == 1
    assert templates_for(demo, DRC_LIAISON).count("notice.unfiled") == 1


def test_dismissing_asks_for_a_reason_and_records_it(demo: Database) -> None:
    target = report(demo, date(2026, 10, 9)).inspection.id
    assert target is not None
    who = actor(demo, SUPERVISOR)
    asked = demo.call(
        prompts.ask, actor=who, action="dismiss_insp", target=target, rules=RULES.at(NOW)
    )
    assert asked.number == f"#{target}"
    with pytest.raises(InvalidInput):
        demo.call(prompts.answer, actor=who, text="   ", rules=RULES.at(NOW))
    action, decision = demo.call(
        prompts.answer, actor=who, text="那天是上门服务，不是检查", rules=RULES.at(NOW)
    )
    assert action == "dismiss_insp" and decision.number == f"#{target}"

    def stored(session: Session) -> Inspection | None:
        return session.get(Inspection, target)

    dismissed = demo.call(stored)
    assert dismissed is not None
    assert dismissed.status == InspectionStatus.DISMISSED
    assert dismissed.dismissed_reason == "那天是上门服务，不是检查"
    assert deductions(demo) == []
    with pytest.raises(InvalidState):
        demo.call(inspections.confirm_unfiled, actor=who, inspection_id=target, rules=RULES)
    events = demo.call(
        lambda s: s.exec(select(AuditEvent).where(AuditEvent.action == "inspection.dismiss")).all()
    )
    assert len(events) == 1 and events[0].data["reason"] == "那天是上门服务，不是检查"


def test_the_guided_forms(demo: Database) -> None:
    rules = RULES.at(NOW)
    liaison = actor(demo, DRC_LIAISON)
    demo.call(inspection_form.start_filing, actor=liaison, rules=rules)
    steps = []
    for answer in ("91431129MA4L1KH00X", "坤昊", "2026-10-01", "明天", "抽检", "张三"):
        try:
            steps.append(
                demo.call(inspection_form.filing_answer, actor=liaison, text=answer, rules=rules)
            )
        except DomainError:
            steps.append(None)  # a refused answer leaves the question open
    assert [s.step if s else None for s in steps] == [
        None,
        "date",
        None,
        "purpose",
        "inspectors",
        None,
    ]
    filed = steps[-1]
    assert filed is not None and filed.filed is not None
    assert filed.filed.planned_on == date(2026, 10, 11)
    contact = actor(demo, WANG)
    depts = demo.call(inspection_form.start_report, actor=contact, rules=rules)
    assert {d.code for d in depts} >= {"drc", "qts"}
    demo.call(inspection_form.report_department, actor=contact, department="质监", rules=rules)
    reported = demo.call(inspection_form.report_day, actor=contact, day=1, rules=rules)
    assert reported.inspection.planned_on == date(2026, 10, 9)
    assert not reported.matched


def _notice(demo: Database, text: str, *, by: int = SUPERVISOR) -> notices.Preview:
    return demo.call(notices.prepare_notice, actor=actor(demo, by), text=text, rules=RULES.at(NOW))


def _decide(demo: Database, preview: notices.Preview, *, send: bool = True) -> notices.Decision:
    return demo.call(
        notices.decide_notice,
        actor=actor(demo, SUPERVISOR),
        token=preview.token,
        send=send,
        rules=RULES.at(NOW),
    )


def _noticed(demo: Database) -> dict[int, int]:
    """How many notices each liaison and head is owed."""
    return {p: templates_for(demo, p).count("notice") for p in LIAISONS_AND_HEADS}


def test_a_notice_is_held_until_send_and_goes_to_everyone_only_when_asked(
    demo: Database,
) -> None:
    preview = _notice(demo, "全体 请各单位自查")
    assert preview.recipients.everyone and preview.recipients.count == 9
    assert preview.text == "请各单位自查"
    assert sum(_noticed(demo).values()) == 0  # nothing is sent before Send
    decision = _decide(demo, preview)
    assert decision.sent and decision.recipients.count == 9
    assert set(_noticed(demo).values()) == {1}
    # Send pressed twice (or on an old copy): nothing more goes out.
    with pytest.raises(InvalidState):
        _decide(demo, preview)
    assert set(_noticed(demo).values()) == {1}
    assert _decide(demo, _notice(demo, "all\nSecond notice")).recipients.count == 9


@pytest.mark.parametrize(
    ("whom", "codes"),
    [
        ("县发改委", {"drc"}),
        ("发改委", {"drc"}),
        ("Development", {"drc"}),
        ("DRC", {"drc"}),
        ("power,drc", {"drc", "power"}),
        ("县电力局、发改委", {"drc", "power"}),
        ("drc，drc", {"drc"}),
    ],
)
def test_a_notice_names_departments_by_code_or_name(
    demo: Database, whom: str, codes: set[str]
) -> None:
    preview = _notice(demo, f"{whom} 请明天上午来开会。")
    assert {d.code for d, _people in preview.recipients.departments} == codes
    assert not preview.recipients.everyone
    _decide(demo, preview)
    got = {p for p, n in _noticed(demo).items() if n}
    expected = {p for p in LIAISONS_AND_HEADS if p in (DRC_LIAISON, DRC_HEAD)}
    if "power" in codes:
        expected.add(POWER_LIAISON)
    assert got == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("xyz 请明天上午来开会。", "No department is called “xyz”"),
        ("drc,nope 文字", "No department is called “nope”"),
        ("县 文字", "“县” could be any of"),
        ("请各单位自查", "Usage: /notice <whom> <text>"),
        ("  ", "Usage: /notice <whom> <text>"),
    ],
)
def test_a_notice_to_no_known_department_is_refused_and_nothing_is_sent(
    demo: Database, text: str, message: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        _notice(demo, text)
    assert message in str(refused.value)
    assert sum(_noticed(demo).values()) == 0


def test_a_refusal_lists_the_real_departments_in_the_readers_language(demo: Database) -> None:
    with pytest.raises(InvalidInput) as refused:
        _notice(demo, "xyz 请明天上午来开会。")
    zh = refused.value.translated(lambda msgid, **kw: t("zh", msgid, **kw), "zh")
    en = refused.value.translated(lambda msgid, **kw: t("en", msgid, **kw), "en")
    assert zh.startswith("未找到单位“xyz”。可用单位：drc（县发改委）、")
    assert "/notice 全体 <通报内容>" in zh and "qts" not in zh.split("可用单位")[0]
    assert "drc (Development & Reform Commission), " in en
    with pytest.raises(InvalidInput) as usage:
        _notice(demo, "请各单位自查")
    assert "e.g. /notice drc,egov <text>" in str(usage.value)  # real codes from the settings


def test_a_cancelled_or_replaced_notice_sends_nothing(demo: Database) -> None:
    cancelled = _decide(demo, _notice(demo, "drc 第一稿"), send=False)
    assert not cancelled.sent and cancelled.recipients.count == 2
    older = _notice(demo, "drc 第二稿")
    newer = _notice(demo, "power 第三稿")
    with pytest.raises(InvalidState):
        _decide(demo, older)  # a newer preview replaced it
    assert sum(_noticed(demo).values()) == 0
    assert _decide(demo, newer).recipients.count == 1
    assert _noticed(demo)[POWER_LIAISON] == 1 and _noticed(demo)[DRC_HEAD] == 0


def test_only_supervisors_send_notices(demo: Database) -> None:
    with pytest.raises(NotAllowed):
        _notice(demo, "all x", by=DRC_LIAISON)
    preview = _notice(demo, "all x")
    with pytest.raises(NotAllowed):
        demo.call(
            notices.decide_notice,
            actor=actor(demo, DRC_LIAISON),
            token=preview.token,
            send=True,
            rules=RULES.at(NOW),
        )
    assert sum(_noticed(demo).values()) == 0


def test_the_inspection_settings(settings_factory: Callable[..., Settings]) -> None:
    settings = settings_factory()
    assert (settings.inspections.unfiled_points, settings.inspections.match_days) == (2.0, 1)
    rules = make_rules(settings_factory(inspections={"unfiled_points": 3, "match_days": 0}))
    assert (rules.inspections.unfiled_points, rules.inspections.match_days) == (3.0, 0)
    for wrong in ({"unfiled_points": -1}, {"match_days": -1}, {"match_days": 31}):
        with pytest.raises(ValidationError):
            settings_factory(inspections=wrong)


def test_no_tolerance_means_the_same_day(demo: Database) -> None:
    file(demo, date(2026, 10, 12))
    strict = dataclasses.replace(
        RULES.at(at(2026, 10, 14)), inspections=InspectionRules(match_days=0)
    )
    assert not report(demo, date(2026, 10, 13), rules=strict).matched
    assert report(demo, date(2026, 10, 12), rules=strict).matched


def test_enterprises_and_departments_are_found_as_typed(demo: Database, session: Session) -> None:
    kunhao = inspections.find_enterprise(session, "91431129ma4l0kh01r")
    assert kunhao.name == "坤昊实业有限公司"
    assert inspections.find_enterprise(session, "坤昊").id == kunhao.id
    with pytest.raises(InvalidInput, match="Several enterprises match"):
        inspections.find_enterprise(session, "有限")
    with pytest.raises(DomainError, match="no enterprise"):
        inspections.find_enterprise(session, "%")  # a wildcard is a character, not "anything"
    assert inspections.find_department(session, "QTS").code == "qts"
    assert inspections.find_department(session, "质监").code == "qts"
    assert inspections.find_department(session, "Power Supply Bureau").code == "power"
    with pytest.raises(DomainError, match="Known codes"):
        inspections.find_department(session, "局")
