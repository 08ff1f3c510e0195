"""Reports that arrive by themselves: on the right working day and time, once per recipient."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from datetime import time

import pytest
from sqlmodel import Session, col, delete, select

from bot.db import Database
from models import Deduction, Department, OutboxFile, OutboxMessage, User
from models.enums import DeductionKind
from scheduler.sweeps import run_sweeps
from services import reports
from services.periods import Period
from services.rules import Rules
from tests.factories import DISPATCHER, at, file_case, outbox_for, seeded_demo

SUPERVISOR, DRC_HEAD, POWER_LIAISON = 4001, 3101, 3005


@pytest.fixture
def demo(demo: Database, rules: Rules) -> Database:
    """The demo in use since December 2025 (a case filed), so 2026's periods are reported.

    The case's own notifications are dropped: these tests read the reports' rows alone.
    """
    file_case(demo, rules=rules.at(at(2025, 12, 1, 10)))
    demo.call(lambda s: s.execute(delete(OutboxMessage)))
    return demo


def report_rows(db: Database) -> list[OutboxMessage]:
    return db.call(
        lambda s: list(
            s.exec(
                select(OutboxMessage)
                .where(col(OutboxMessage.dedupe_key).startswith("report:"))
                .order_by(col(OutboxMessage.id))
            ).all()
        )
    )


def keys(db: Database) -> list[str]:
    return [r.dedupe_key for r in report_rows(db)]


def test_the_monthly_report_goes_once_on_the_first_working_day_at_nine(
    demo: Database, rules: Rules
) -> None:
    # November 2 2026 is a Monday: October's report is due at 09:00 local.
    assert demo.call(reports.send_due, rules=rules.at(at(2026, 10, 30, 17))) == 0
    assert demo.call(reports.send_due, rules=rules.at(at(2026, 11, 2, 8, 59))) == 0
    assert keys(demo) == []
    assert demo.call(reports.send_due, rules=rules.at(at(2026, 11, 2, 9))) == 3
    users = demo.call(lambda s: {u.telegram_id: u.id for u in s.exec(select(User)).all()})
    assert sorted(keys(demo)) == sorted(
        f"report:2026-10:user:{users[tid]}" for tid in (SUPERVISOR, DISPATCHER, DRC_HEAD)
    )
    # Later sweeps, a restart, a second instance: nothing more.
    assert demo.call(reports.send_due, rules=rules.at(at(2026, 11, 2, 9))) == 0
    assert demo.call(reports.send_due, rules=rules.at(at(2026, 11, 3, 10))) == 0
    assert len(keys(demo)) == 3
    assert outbox_for(demo, POWER_LIAISON) == []  # liaisons are not among the recipients


def test_a_holiday_moves_the_day_and_quiet_hours_hold_it_back(demo: Database, rules: Rules) -> None:
    # September's report: October 1-7 2026 is the National Day holiday, so it goes on the 8th.
    for day in range(1, 8):
        assert demo.call(reports.send_due, rules=rules.at(at(2026, 10, day, 10))) == 0
    assert demo.call(reports.send_due, rules=rules.at(at(2026, 10, 8, 10))) == 3
    # Configured for 07:00, inside the quiet hours (21:00-08:00): it waits for 08:00.
    early = dataclasses.replace(rules.assessment, report_at=time(7, 0))
    custom = dataclasses.replace(rules, assessment=early)
    assert demo.call(reports.send_due, rules=custom.at(at(2026, 11, 2, 7, 30))) == 0
    assert demo.call(reports.send_due, rules=custom.at(at(2026, 11, 2, 8))) == 3
    assert {k.split(":")[1] for k in keys(demo)} == {"2026-09", "2026-10"}


def test_a_bot_down_on_the_day_catches_up_within_a_week_but_not_at_night(
    demo: Database, rules: Rules
) -> None:
    assert demo.call(reports.send_due, rules=rules.at(at(2026, 11, 4, 22))) == 0
    assert demo.call(reports.send_due, rules=rules.at(at(2026, 11, 5, 8, 30))) == 3
    assert demo.call(reports.send_due, rules=rules.at(at(2026, 12, 10, 10))) == 0  # too late


def test_half_year_and_year_come_with_the_month(demo: Database, rules: Rules) -> None:
    assert demo.call(reports.send_due, rules=rules.at(at(2026, 7, 1, 9))) == 6
    assert {k.split(":")[1] for k in keys(demo)} == {"2026-06", "2026H1"}
    # January 1 2027 is a holiday and the 2nd and 3rd a weekend: the 4th.
    assert demo.call(reports.send_due, rules=rules.at(at(2027, 1, 1, 10))) == 0
    assert demo.call(reports.send_due, rules=rules.at(at(2027, 1, 4, 9))) == 9
    assert {k.split(":")[1] for k in keys(demo)} >= {"2026-12", "2026H2", "2026"}


def test_settings_choose_periods_and_recipients(demo: Database, rules: Rules) -> None:
    only = dataclasses.replace(
        rules.assessment, report_periods=("half",), report_roles=("liaison",), report_workday=2
    )
    custom = dataclasses.replace(rules, assessment=only)
    assert demo.call(reports.send_due, rules=custom.at(at(2026, 7, 1, 9))) == 0  # second day
    sent = demo.call(reports.send_due, rules=custom.at(at(2026, 7, 2, 9)))
    assert sent == 8  # the demo's eight liaisons
    assert {k.split(":")[1] for k in keys(demo)} == {"2026H1"}
    off = dataclasses.replace(rules, assessment=dataclasses.replace(only, reports=False))
    assert demo.call(reports.send_due, rules=off.at(at(2026, 7, 2, 9))) == 0


def test_each_reader_gets_their_language_and_a_head_their_department(
    demo: Database, rules: Rules
) -> None:
    def english(session: Session) -> None:
        user = session.exec(select(User).where(User.telegram_id == DISPATCHER)).one()
        user.language = "en"
        session.add(user)
        depts = {d.code: d.id for d in session.exec(select(Department)).all()}
        for code, reason in (("power", "杆线迁改延误"), ("drc", "材料反复退回")):
            session.add(
                Deduction(
                    department_id=depts[code],
                    kind=DeductionKind.MANUAL,
                    points=2,
                    year=2026,
                    half=1,
                    reason=reason,
                    dedupe_key=f"test:{code}",
                )
            )

    demo.call(english)
    demo.call(reports.send_due, rules=rules.at(at(2026, 7, 1, 9)))
    (month, half) = [r.text for r in outbox_for(demo, DISPATCHER)]
    assert "Monthly report 2026-06" in month and "Assessment 2026H1" in month
    assert "Half-year assessment 2026H1" in half
    assert "杆线迁改延误" in month and "材料反复退回" in month  # every deduction
    head = [r.text for r in outbox_for(demo, DRC_HEAD)]
    assert "2026-06 月度报告" in head[0] and "县电力局" in head[0]  # the county ranking
    assert "本单位" in head[0]  # and the head's own department in detail
    assert "杆线迁改延误" not in head[0] and head[0].count("材料反复退回") == 1


def fake_files(calls: list[tuple[str, str]]) -> reports.Attachments:
    def made(session: Session, *, period: Period, rules: Rules) -> Callable[[str], reports.Extras]:
        calls.append((period.code, "figures"))

        def per_language(lang: str) -> reports.Extras:
            calls.append((period.code, lang))
            return reports.Extras(
                attachments=[
                    ("photo", f"{period.code}.png", f"png {lang}".encode()),
                    ("document", f"{period.code}.xlsx", f"xlsx {lang}".encode()),
                ]
            )

        return per_language

    return made


def test_attachments_are_made_once_per_period_and_language(demo: Database, rules: Rules) -> None:
    calls: list[tuple[str, str]] = []
    now = rules.at(at(2026, 11, 2, 9))
    assert demo.call(reports.send_due, rules=now, attachments=fake_files(calls)) == 3
    assert calls == [("2026-10", "figures"), ("2026-10", "zh")]
    rows = outbox_for(demo, SUPERVISOR)
    assert [r.kind for r in rows] == ["send", "photo", "document"]

    def files(session: Session) -> list[tuple[str, bytes]]:
        found = [session.get(OutboxFile, r.file_id) for r in rows[1:]]
        return [(f.filename, f.content) for f in found if f is not None]

    assert demo.call(files) == [("2026-10.png", b"png zh"), ("2026-10.xlsx", b"xlsx zh")]
    assert demo.call(reports.send_due, rules=now, attachments=fake_files(calls)) == 0
    assert len(calls) == 2  # nothing owed: nothing made


def test_each_file_is_stored_once_per_language_for_all_its_readers(
    demo: Database, rules: Rules
) -> None:
    def english(session: Session) -> None:
        head = session.exec(select(User).where(User.telegram_id == DRC_HEAD)).one()
        head.language = "en"
        session.add(head)

    demo.call(english)
    calls: list[tuple[str, str]] = []
    now = rules.at(at(2026, 11, 2, 9))
    assert demo.call(reports.send_due, rules=now, attachments=fake_files(calls)) == 3

    def sent(telegram_id: int) -> list[tuple[int | None, bytes]]:
        rows = outbox_for(demo, telegram_id)[1:]
        return demo.call(
            lambda s: [(r.file_id, s.get(OutboxFile, r.file_id).content) for r in rows]  # type: ignore[union-attr]
        )

    zh, en = sent(SUPERVISOR), sent(DRC_HEAD)
    assert [content for _id, content in zh] == [b"png zh", b"xlsx zh"]
    assert [content for _id, content in en] == [b"png en", b"xlsx en"]
    assert sent(DISPATCHER) == zh  # the very files the other Chinese reader's rows send
    assert demo.call(lambda s: len(s.exec(select(OutboxFile)).all())) == 4


def test_the_periodic_sweep_sends_them_once(demo: Database, rules: Rules) -> None:
    assert run_sweeps(demo, rules.at(at(2026, 11, 2, 8)))["period_reports"] == 0
    assert run_sweeps(demo, rules.at(at(2026, 11, 2, 9, 0)))["period_reports"] == 3
    assert run_sweeps(demo, rules.at(at(2026, 11, 2, 9, 1)))["period_reports"] == 0
    # Three readers, each: the report, the statistics summary, the chart and the workbook.
    assert len([k for k in keys(demo) if re.fullmatch(r"report:2026-10:user:\d+", k)]) == 3
    assert len(keys(demo)) == 12


def test_a_second_instance_at_the_same_moment_sends_nothing_twice(
    demo: Database, rules: Rules
) -> None:
    """Instance A has queued its first report and not committed when B sweeps too."""
    import threading

    now = rules.at(at(2026, 11, 2, 9))
    inside, release = threading.Event(), threading.Event()

    def holding(
        session: Session, *, period: Period, rules: Rules
    ) -> Callable[[str], reports.Extras]:
        def per_language(lang: str) -> reports.Extras:
            session.flush()  # A's first row is written, its transaction still open
            inside.set()
            release.wait(10)
            return reports.Extras()

        return per_language

    outcome: dict[str, object] = {}

    def instance_a() -> None:
        outcome["a"] = demo.call(reports.send_due, rules=now, attachments=holding)

    def instance_b() -> None:
        other = Database(demo.url)
        try:
            outcome["b"] = other.call(reports.send_due, rules=now)
        except Exception as exc:  # the unique key (or SQLite's lock) stops the duplicate
            outcome["b"] = type(exc).__name__
        finally:
            other.dispose()

    a = threading.Thread(target=instance_a)
    a.start()
    assert inside.wait(10)
    b = threading.Thread(target=instance_b)
    b.start()
    b.join(1.0)  # B waits for A's rows (PostgreSQL) or A's write lock (SQLite)
    release.set()
    a.join(10)
    b.join(30)
    assert outcome["a"] == 3
    assert outcome["b"] in (0, "IntegrityError", "OperationalError")
    assert len(keys(demo)) == 3


def test_the_statistics_come_with_each_report_in_the_readers_language(
    demo: Database, rules: Rules
) -> None:
    now = rules.at(at(2026, 11, 2, 9))
    assert demo.call(reports.send_due, rules=now, attachments=reports.stats_attachments) == 3
    rows = outbox_for(demo, SUPERVISOR)
    assert [r.kind for r in rows] == ["send", "send", "photo", "document"]
    assert "2026-10" in rows[1].text and "📊" in rows[1].text  # the /stats summary, in zh

    def files(session: Session) -> list[tuple[str, bytes]]:
        found = [session.get(OutboxFile, r.file_id) for r in rows[2:]]
        return [(f.filename, f.content) for f in found if f is not None]

    (png, png_bytes), (xlsx, xlsx_bytes) = demo.call(files)
    assert (png, xlsx) == ("duban-2026-10.png", "duban-2026-10.xlsx")
    assert png_bytes.startswith(b"\x89PNG") and xlsx_bytes.startswith(b"PK")


def test_a_new_installation_reports_no_period_before_its_first_case(
    seeded: Database, rules: Rules
) -> None:
    # Installed in November: nothing at the start of December for November (no case yet) ...
    assert seeded.call(reports.send_due, rules=rules.at(at(2026, 12, 1, 9))) == 0
    # ... a first case on December 3rd: December's report goes in January, November's never.
    file_case(seeded, rules=rules.at(at(2026, 12, 3, 10)))
    assert seeded.call(reports.send_due, rules=rules.at(at(2026, 12, 3, 11))) == 0
    # Three readers, each a report for the month, the half-year and the year.
    assert seeded.call(reports.send_due, rules=rules.at(at(2027, 1, 4, 9))) == 9
    assert {key.split(":")[1] for key in keys(seeded)} == {"2026-12", "2026H2", "2026"}


@pytest.fixture
def seeded(db: Database) -> Database:
    """The demo's people and no case at all: a new installation."""
    return seeded_demo(db)
