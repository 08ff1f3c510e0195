"""next_check_at follows the assignment: set at issue, moved by signing for, cleared at the end."""

from __future__ import annotations

from datetime import timedelta

from scheduler.durations import Duration
from tests.rules import RULES
from tests.services.deadlines.world import MONDAY, complete, dispatch, reload, sign_for


def test_issue_sets_the_ack_deadline_as_next_check(world) -> None:
    (issued,) = dispatch(world)
    assert issued.next_check_at == issued.ack_due_at
    assert issued.ack_due_at < issued.due_at


def test_signing_for_moves_it_to_the_first_reminder(world) -> None:
    (issued,) = dispatch(world)
    signed = sign_for(world, issued, MONDAY + timedelta(hours=1))
    # permit under the standard profile: reminders 1wd and 4h before the deadline.
    first = RULES.calendar.subtract(signed.due_at, Duration.parse("1wd"))
    assert signed.next_check_at == first


def test_completion_clears_it(world) -> None:
    (issued,) = dispatch(world)
    sign_for(world, issued, MONDAY + timedelta(hours=1))
    complete(world, issued, MONDAY + timedelta(hours=2))
    assert reload(world, issued).next_check_at is None
