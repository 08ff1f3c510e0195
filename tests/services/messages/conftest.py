"""Plain values for the renderers: records built in memory, never stored."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from models import Assignment, Case, Department
from models.enums import AssignmentStatus, CaseStatus, Category
from services.messages.common import CaseFacts

# 2026-11-30 18:00 in Shanghai.
DUE = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
ZONE = ZoneInfo("Asia/Shanghai")  # what settings.toml configures; renderers take it as a value


@pytest.fixture
def case() -> Case:
    return Case(
        id=7,
        number="2026-0007",
        enterprise_id=1,
        park_id=1,
        reporter_user_id=1,
        category=Category.PERMIT,
        description="Need the <approval> & the permit",
        status=CaseStatus.NEW,
        created_at=datetime(2026, 11, 23, 2, 0, tzinfo=UTC),
        confirm_due_at=DUE,
    )


@pytest.fixture
def facts(case: Case) -> CaseFacts:
    return CaseFacts(case=case, enterprise="Kunhao & Co", project="Phase II", major=True)


@pytest.fixture
def drc() -> Department:
    return Department(id=3, code="drc", name_zh="县发改委", name_en="County DRC")


@pytest.fixture
def assignment() -> Assignment:
    return Assignment(
        id=42,
        number="2026-0007-1",
        case_id=7,
        department_id=3,
        status=AssignmentStatus.ISSUED,
        ack_due_at=DUE,
        due_at=DUE,
    )
