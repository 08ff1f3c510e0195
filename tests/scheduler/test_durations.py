"""Duration parsing as written in settings."""

from datetime import timedelta

import pytest

from scheduler.durations import Duration


@pytest.mark.parametrize(
    ("text", "amount", "unit"),
    [
        ("20s", 20, "s"),
        ("30m", 30, "m"),
        ("4h", 4, "h"),
        ("3d", 3, "d"),
        ("10wd", 10, "wd"),
        ("0s", 0, "s"),
        (" 10wd ", 10, "wd"),
        ("10 wd", 10, "wd"),
        ("\t5 h\n", 5, "h"),
    ],
)
def test_parse_valid_forms(text: str, amount: int, unit: str) -> None:
    assert Duration.parse(text) == Duration(amount, unit)  # type: ignore[arg-type]


def test_bare_integer_means_seconds() -> None:
    assert Duration.parse(90) == Duration(90, "s")


def test_parse_passes_a_duration_through() -> None:
    duration = Duration(2, "wd")
    assert Duration.parse(duration) is duration


@pytest.mark.parametrize("text", ["", "wd", "10", "10w", "1.5h", "-5d", "5 d x", "5dd", "five d"])
def test_bad_forms_name_the_accepted_ones(text: str) -> None:
    with pytest.raises(ValueError, match="is not a duration") as caught:
        Duration.parse(text)
    assert "10wd" in str(caught.value)


@pytest.mark.parametrize("value", [-1, True, 1.5, None])
def test_bad_values_are_rejected(value: object) -> None:
    with pytest.raises(ValueError, match="duration"):
        Duration.parse(value)  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["20s", "30m", "4h", "3d", "10wd", "0s"])
def test_str_round_trip(text: str) -> None:
    assert str(Duration.parse(text)) == text
    assert Duration.parse(str(Duration.parse(text))) == Duration.parse(text)


def test_as_timedelta() -> None:
    assert Duration.parse("30m").as_timedelta() == timedelta(minutes=30)
    assert Duration.parse("3d").as_timedelta() == timedelta(days=3)
    assert not Duration.parse("3d").is_working_days


def test_working_days_need_a_calendar() -> None:
    duration = Duration.parse("2wd")
    assert duration.is_working_days
    with pytest.raises(ValueError, match="calendar"):
        duration.as_timedelta()
