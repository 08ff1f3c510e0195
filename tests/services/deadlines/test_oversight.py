"""/overdue lists what is late, oldest first; /supervise issues an order by hand, or refuses."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from bot.i18n import t
from models import SupervisionOrder
from scheduler.deadlines import time_left
from services.deadlines import overdue as oversight
from services.deadlines.sweep import sweep
from services.errors import InvalidState, NotAllowed
from services.messages import deadlines as messages
from tests.rules import RULES
from tests.services.deadlines.world import (
    DISPATCHER,
    DRC,
    DRC_HEAD,
    MONDAY,
    SUPERVISOR,
    actor,
    complete,
    dispatch,
    sent_to,
    sign_for,
)

MINUTE = timedelta(minutes=1)


def test_overdue_lists_assignments_and_orders_oldest_first_with_days_late(world) -> None:
    old = dispatch(world)[0]
    new = dispatch(world, at=MONDAY + timedelta(days=1), codes=("epb",))[0]
    world.call(sweep, rules=RULES.at(old.due_at + MINUTE))
    (order,) = world.call(lambda s: list(s.exec(select(SupervisionOrder)).all()))
    at = order.due_at + timedelta(hours=1)  # before the sweep has vetoed it
    items = world.call(
        oversight.overdue, actor=actor(world, SUPERVISOR), rules=RULES.at(at), limit=50
    )
    assert [i.number for i in items] == [old.number, new.number, order.number]
    assert [i.order for i in items] == [False, False, True]
    assert items[0].late.kind == "overdue" and items[0].late.working_days >= 3
    line = messages.late_line("en", items[0], zone=RULES.zone)
    assert old.number in line and "working days" in line and "Development" in line
    with pytest.raises(NotAllowed):
        world.call(oversight.overdue, actor=actor(world, DRC), rules=RULES.at(at), limit=50)


def test_supervise_by_hand_once_and_only_when_overdue(world) -> None:
    (issued,) = dispatch(world)
    dispatcher = actor(world, DISPATCHER)
    early = RULES.at(issued.due_at - MINUTE)
    with pytest.raises(InvalidState, match="not overdue"):
        world.call(
            oversight.supervise, actor=dispatcher, assignment_number=issued.number, rules=early
        )
    late = RULES.at(issued.due_at + MINUTE)
    order = world.call(
        oversight.supervise,
        actor=dispatcher,
        assignment_number=issued.number,
        deadline="2wd",
        rules=late,
    )
    assert order.number == issued.number + "-D"
    assert order.due_at == RULES.calendar.add(issued.due_at + MINUTE, "2wd")
    with pytest.raises(InvalidState, match="already has"):
        world.call(
            oversight.supervise, actor=dispatcher, assignment_number=issued.number, rules=late
        )
    with pytest.raises(NotAllowed):
        world.call(
            oversight.supervise,
            actor=actor(world, DRC),
            assignment_number=issued.number,
            rules=late,
        )
    # The sweep then records the miss but issues no second order.
    world.call(sweep, rules=late)
    assert len(sent_to(world, DRC, "deadline.supervision")) == 1
    assert len(sent_to(world, DRC_HEAD, "deadline.supervision.copy")) == 1
    assert len(sent_to(world, DRC, "deadline.overdue")) == 1


def test_supervise_refuses_a_completed_assignment(world) -> None:
    (issued,) = dispatch(world)
    sign_for(world, issued, MONDAY + MINUTE)
    complete(world, issued, MONDAY + 2 * MINUTE)
    with pytest.raises(InvalidState, match="no longer open"):
        world.call(
            oversight.supervise,
            actor=actor(world, DISPATCHER),
            assignment_number=issued.number,
            rules=RULES.at(issued.due_at + MINUTE),
        )


def test_tasks_line_shows_hours_and_minutes_under_a_day_and_late_first_mark() -> None:
    due = MONDAY + timedelta(hours=5, minutes=30)
    left = time_left(RULES.calendar, now=MONDAY, due_at=due)
    assert messages.time_left_text("en", left) == "5 hours 30 minutes left"
    assert messages.time_left_text("zh", left) == "还剩5小时30分钟"
    soon_late = time_left(RULES.calendar, now=due + timedelta(hours=1, minutes=4), due_at=due)
    assert messages.time_left_text("en", soon_late) == "overdue by 1 hour 4 minutes"
    assert messages.time_left_text("zh", soon_late) == "已逾期1小时4分钟"
    late = time_left(RULES.calendar, now=due + timedelta(days=3), due_at=due)
    assert messages.time_left_text("en", late) == "overdue by 3 working days"
    assert t("zh", "Supervision order") == "督办单"
