"""Shared pieces: names in the reader's language, plural day counts, the case header."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from models import Department
from services.messages import common
from services.messages.common import CaseFacts


def test_names_come_in_the_readers_language(drc: Department) -> None:
    assert common.name_of("zh", drc) == "县发改委"
    assert common.name_of("en", drc) == "County DRC"
    assert common.name_of("en", None) == "?"
    assert common.local_name("zh", None, "Park A") == "Park A"  # no Chinese name: English
    assert common.local_name("en", "园区", None) == "园区"


def test_day_counts_use_the_plural_the_english_needs() -> None:
    assert common.days_left("en", 1) == "1 working day left"
    assert common.days_left("en", 3) == "3 working days left"
    assert common.days_left("en", 0) == "0 working days left"
    assert common.days_left("en", -1) == "overdue by 1 working day"
    assert common.days_left("en", -4) == "overdue by 4 working days"
    assert common.days_left("zh", 1) == "剩余1个工作日"
    assert common.days_left("zh", -4) == "已逾期4个工作日"


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
