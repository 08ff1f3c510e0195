"""The rules object: built from settings once, immutable, with a clock tests can stop."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.deps import make_rules
from bot.settings import Settings
from scheduler.steps import STEPS, SweepContext
from scheduler.sweeps import run_sweeps
from services.rules import Rules

MONDAY = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def test_the_clock_is_real_until_stopped(rules: Rules) -> None:
    before = datetime.now(UTC)
    assert before <= rules.now() <= datetime.now(UTC)
    stopped = rules.at(MONDAY)
    assert stopped.now() == MONDAY and stopped.now() == MONDAY
    assert rules.now() != MONDAY  # at() makes a copy; the original keeps the real clock


def test_rules_cannot_change_in_place(rules: Rules) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        rules.default_language = "en"  # type: ignore[misc]
    with pytest.raises(TypeError):
        rules.policies["permit"] = rules.policies["other"]  # type: ignore[index]


def test_made_from_settings_with_the_chosen_profile(
    settings_factory: Callable[..., Settings],
) -> None:
    settings = settings_factory(i18n={"default_language": "en"}, conversation={"timeout": "5m"})
    standard = make_rules(settings)
    drill = make_rules(settings, sla_profile="drill")
    assert str(standard.sla("permit").completion) == "5wd"
    assert str(drill.sla("permit").completion) == "10m"
    assert standard.default_language == "en"
    assert standard.conversation_ttl == timedelta(minutes=5)
    assert str(standard.zone) == settings.time.timezone
    assert standard.limits.invitation_validity == timedelta(days=7)


class _Recorder:
    """Stands in for the database: records the instant each sweep step was given."""

    def __init__(self) -> None:
        self.seen: list[datetime] = []

    def call(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> int:
        sweep = args[0]
        assert isinstance(sweep, SweepContext)
        self.seen.append(sweep.now)
        return 0


def test_every_sweep_step_sees_the_same_instant(rules: Rules) -> None:
    ticks = (MONDAY + timedelta(seconds=n) for n in itertools.count())
    ticking = dataclasses.replace(rules, clock=lambda: next(ticks))
    recorder = _Recorder()
    counts = run_sweeps(recorder, ticking)
    assert list(counts) == [name for name, _ in STEPS]
    assert recorder.seen == [MONDAY] * len(STEPS)
