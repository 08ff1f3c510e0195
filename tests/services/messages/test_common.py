"""Shared pieces: names in the reader's language, plural day counts, the case header."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from models import Department
from scheduler.deadlines import Kind, TimeLeft
from services.messages import common
from services.messages.common import CaseFacts


def test_names_come_in_the_readers_language(drc: Department) -> None:
    assert common.name_of("zh", drc) == "县发改委"
    assert common.name_of("en", drc) == "County DRC"
    assert common.name_of("en", None) == "?"
    assert common.local_name("zh", None, "Park A") == "Park A"  # no Chinese name: English
    assert common.local_name("en", "园区", None) == "园区"


def _left(kind: Kind, **numbers: int) -> TimeLeft:
    return TimeLeft(kind, **numbers)


def test_time_left_uses_the_plural_the_english_needs_and_never_says_zero_days() -> None:
    text = common.time_left_text
    assert text("en", _left("working_days", working_days=1, hours=3)) == (
        "1 working day left, and 3 hours today"
    )
    # One bracket level in Chinese, and no space between digits and characters.
    assert (
        text("zh", _left("working_days", working_days=5, hours=17))
        == "剩余5个工作日，今天还剩17小时"
    )
    assert text("en", _left("working_days", working_days=3), today=False) == "3 working days left"
    assert text("zh", _left("working_days", working_days=1), today=False) == "剩余1个工作日"
    assert text("en", _left("hours", hours=0, minutes=7)) == "7 minutes left"
    assert text("zh", _left("hours", hours=1, minutes=5)) == "还剩1小时5分钟"
    assert text("zh", _left("hours", hours=2)) == "还剩2小时"
    assert text("en", _left("overdue", hours=2, minutes=30)) == "overdue by 2 hours 30 minutes"
    # Never "0 h 0 min": under a minute, either way, is said in words.
    assert text("zh", _left("overdue")) == "已逾期不足1分钟"
    assert text("zh", _left("hours")) == "还剩不足1分钟"
    assert text("en", _left("overdue", hours=1, minutes=1)) == "overdue by 1 hour 1 minute"
    assert text("en", _left("overdue", days=1, working_days=1, hours=2)) == (
        "overdue by 1 working day"
    )
    assert text("en", _left("overdue", days=5, working_days=4)) == "overdue by 4 working days"
    assert text("zh", _left("overdue", days=5, working_days=4)) == "已逾期4个工作日"
    # Late over a weekend before any working day has passed: calendar days.
    assert text("en", _left("overdue", days=2, working_days=0)) == "overdue by 2 days"


def test_times_are_shown_in_the_zone_they_are_given(facts: CaseFacts) -> None:
    shanghai, utc = ZoneInfo("Asia/Shanghai"), ZoneInfo("UTC")
    assert common.local_time(facts.case.confirm_due_at, zone=shanghai) == "2026-11-30 18:00"
    assert common.local_time(facts.case.confirm_due_at, zone=utc) == "2026-11-30 10:00"
    assert common.local_time(None, zone=shanghai) == "—"


def test_the_case_header_escapes_what_users_typed(facts: CaseFacts) -> None:
    header = common.case_header("en", facts)
    assert header.splitlines() == [
        "Case <b>2026-0007</b>",
        "Enterprise: Kunhao &amp; Co",
        "Project: Phase II · major project",
        "Category: Permits and approvals",
    ]
    assert "权证办理" in common.case_header("zh", facts)
