"""Settings: file defaults, env overrides, another file, one clear message per mistake."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from bot.settings import Settings, SettingsError, load_settings
from scheduler.durations import Duration
from tests.conftest import REPO_SETTINGS

ALL_CATEGORIES = ("permit", "utility", "land", "dispute", "other")

# Every test reads the repository's settings.toml with no DUBAN_* leaking in from outside.
pytestmark = pytest.mark.usefixtures("settings_factory")


def load(**overrides: object) -> Settings:
    """load_settings as start-up calls it, minus the developer's .env."""
    return load_settings(_env_file=None, **overrides)


def problem(**overrides: object) -> str:
    """The SettingsError message for ``overrides``."""
    with pytest.raises(SettingsError) as caught:
        load(**overrides)
    return str(caught.value)


def problem_lines(message: str) -> list[str]:
    """The per-key lines of a SettingsError (the first line names the file)."""
    return [line for line in message.splitlines()[1:] if line.strip()]


def write_toml(path: Path, body: str) -> Path:
    path.write_text(body, encoding="utf-8")
    return path


# -- defaults ---------------------------------------------------------------------------------


def test_defaults_come_from_settings_toml() -> None:
    settings = load()
    assert settings.time.timezone == "Asia/Shanghai"
    assert settings.time.sweep_interval == Duration(30, "s")  # the file says 30s, the code 60s
    assert settings.database.url == "sqlite:///./data/duban.db"
    assert settings.i18n.default_language == "zh"
    assert settings.telegram.mode == "polling"
    assert settings.telegram.token is None
    assert [p.code for p in settings.organisation.parks] == ["JH", "HLK", "MS"]
    codes = {d.code for d in settings.organisation.departments}
    assert {"gov", "drc", "epb", "egov", "power", "qts"} <= codes
    drc = next(d for d in settings.organisation.departments if d.code == "drc")
    assert (drc.name_zh, drc.name_en) == ("县发改委", "Development & Reform Commission")
    assert settings.organisation.optimization_office.name_zh == "县优化办"
    assert settings.sla.profile == "standard"
    assert set(settings.sla.profiles) == {"standard", "drill"}
    permit = settings.sla.policy("permit")
    assert permit.completion == Duration(5, "wd")
    assert permit.reminders == [Duration(1, "wd"), Duration(4, "h")]
    assert permit.points_per_miss == 2
    assert settings.sla.policy("dispute", "drill").completion == Duration(6, "m")


def test_factory_kwargs_merge_into_a_section(settings_factory: Callable[..., Settings]) -> None:
    settings = settings_factory(time={"sweep_interval": "5s"})
    assert settings.time.sweep_interval == Duration(5, "s")
    assert settings.time.timezone == "Asia/Shanghai"  # the rest of the section is kept


# -- environment overrides ----------------------------------------------------------------------


def test_env_overrides_database_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DUBAN_DATABASE__URL", "postgresql+psycopg://u@127.0.0.1/duban")
    assert load().database.url == "postgresql+psycopg://u@127.0.0.1/duban"


def test_env_overrides_a_duration(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DUBAN_TIME__SWEEP_INTERVAL", "20s")
    settings = load()
    assert settings.time.sweep_interval.as_timedelta() == timedelta(seconds=20)
    assert settings.time.timezone == "Asia/Shanghai"  # siblings still come from the file


def test_env_overrides_deeply_nested_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DUBAN_SLA__PROFILES__DRILL__PERMIT__COMPLETION", "7m")
    monkeypatch.setenv("DUBAN_SLA__PROFILES__DRILL__PERMIT__REMINDERS", '["2m"]')
    monkeypatch.setenv("DUBAN_TELEGRAM__TOKEN", "123456:from-the-environment")
    settings = load()
    drill = settings.sla.policy("permit", "drill")
    assert drill.completion == Duration(7, "m")
    assert drill.reminders == [Duration(2, "m")]
    assert drill.default_departments == ["drc", "epb"]  # untouched keys keep the file's values
    assert settings.telegram.token is not None
    assert settings.telegram.token.get_secret_value() == "123456:from-the-environment"


def test_a_bad_env_value_names_the_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DUBAN_TIME__SWEEP_INTERVAL", "soon")
    message = problem()
    assert "time.sweep_interval" in message
    assert "'soon' is not a duration" in message


# -- another settings file ------------------------------------------------------------------------


def test_duban_settings_picks_another_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = write_toml(
        tmp_path / "other.toml",
        '[time]\ntimezone = "Europe/Berlin"\nsweep_interval = "2m"\n'
        '[sandbox]\nsla_profile = "standard"\n'
        '[[organisation.departments]]\ncode = "tax"\n'
        'name_zh = "县税务局"\nname_en = "Tax Bureau"\n',
    )
    monkeypatch.setenv("DUBAN_SETTINGS", str(path))
    settings = load()
    assert settings.time.timezone == "Europe/Berlin"
    assert settings.time.sweep_interval == Duration(2, "m")
    assert [d.code for d in settings.organisation.departments] == ["tax"]
    assert settings.organisation.parks == []  # nothing from the repository's file


def test_a_missing_settings_file_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    missing = tmp_path / "nowhere" / "settings.toml"
    monkeypatch.setenv("DUBAN_SETTINGS", str(missing))
    message = problem()
    assert str(missing) in message
    assert "does not exist" in message


def test_no_settings_file_in_the_folder_says_where_to_run(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Started elsewhere than the repository: the built-in defaults alone have no organisation
    # and no sandbox profile, so say what is missing rather than blame a key.
    monkeypatch.delenv("DUBAN_SETTINGS", raising=False)
    monkeypatch.chdir(tmp_path)
    message = problem()
    assert message.startswith(f"no settings file: {tmp_path / 'settings.toml'} does not exist")
    assert "DUBAN_SETTINGS" in message and "sla_profile" not in message


def test_a_toml_syntax_error_is_a_settings_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = write_toml(tmp_path / "broken.toml", "[time\ntimezone = 'UTC'\n")
    monkeypatch.setenv("DUBAN_SETTINGS", str(path))
    message = problem()
    assert str(path) in message


# -- durations ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("20s", Duration(20, "s")),
        ("30m", Duration(30, "m")),
        ("4h", Duration(4, "h")),
        ("3d", Duration(3, "d")),
        ("10wd", Duration(10, "wd")),
    ],
)
def test_durations_parse_in_settings(
    settings_factory: Callable[..., Settings], text: str, expected: Duration
) -> None:
    settings = settings_factory(sla={"profiles": {"standard": {"permit": {"completion": text}}}})
    assert settings.sla.policy("permit").completion == expected
    if not expected.is_working_days:  # a conversation's timeout runs on the clock
        timeout = settings_factory(conversation={"timeout": text}).conversation.timeout
        assert timeout == expected


@pytest.mark.parametrize("text", ["10", "5x", "1.5h", "-3d", "ten minutes", "10w"])
def test_a_bad_duration_names_its_key(text: str) -> None:
    message = problem(sla={"profiles": {"standard": {"utility": {"supervision": text}}}})
    lines = problem_lines(message)
    assert len(lines) == 1
    assert "sla.profiles.standard.utility.supervision" in lines[0]
    assert "not a duration" in lines[0]


def test_a_bad_duration_in_a_list_names_its_position() -> None:
    message = problem(sla={"profiles": {"drill": {"land": {"reminders": ["5m", "later"]}}}})
    lines = problem_lines(message)
    assert len(lines) == 1
    assert "sla.profiles.drill.land.reminders.1" in lines[0]


def test_sweep_interval_in_working_days_is_refused() -> None:
    lines = problem_lines(problem(time={"sweep_interval": "1wd"}))
    assert len(lines) == 1
    assert "time.sweep_interval" in lines[0]
    assert "working days" in lines[0]


# -- one message per mistake, naming the key ------------------------------------------------------


def test_an_unknown_key_is_named() -> None:
    lines = problem_lines(problem(telegram={"tokne": "123:abc"}))
    assert len(lines) == 1
    assert "telegram.tokne" in lines[0]
    assert "not permitted" in lines[0]


def test_an_unknown_section_is_named() -> None:
    lines = problem_lines(problem(databse={"url": "sqlite://"}))
    assert len(lines) == 1
    assert "databse" in lines[0]


def test_an_unknown_category_is_named() -> None:
    lines = problem_lines(
        problem(sla={"profiles": {"standard": {"parking": {"completion": "1wd"}}}})
    )
    assert len(lines) == 1
    assert "profiles.standard" in lines[0]
    assert "parking" in lines[0]
    assert all(category in lines[0] for category in ALL_CATEGORIES)  # the known ones are listed


def test_a_missing_category_is_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    body = "".join(f"[sla.profiles.standard.{c}]\n" for c in ALL_CATEGORIES if c != "land")
    monkeypatch.setenv("DUBAN_SETTINGS", str(write_toml(tmp_path / "s.toml", body)))
    lines = problem_lines(problem())
    assert len(lines) == 1
    assert "profiles.standard lacks categories: land" in lines[0]


def test_an_unknown_default_department_is_named() -> None:
    lines = problem_lines(
        problem(sla={"profiles": {"drill": {"dispute": {"default_departments": ["gov", "cops"]}}}})
    )
    assert len(lines) == 1
    assert "sla.profiles.drill.dispute.default_departments" in lines[0]
    assert "'cops'" in lines[0]


def test_a_bad_timezone_is_named() -> None:
    lines = problem_lines(problem(time={"timezone": "Asia/Beijing"}))
    assert len(lines) == 1
    assert "time.timezone" in lines[0]
    assert "Asia/Beijing" in lines[0]


def test_an_undefined_sla_profile_is_named() -> None:
    lines = problem_lines(problem(sla={"profile": "fast"}))
    assert len(lines) == 1
    assert "'fast' is not defined" in lines[0]


def test_webhook_mode_without_url_is_named() -> None:
    lines = problem_lines(problem(telegram={"mode": "webhook"}))
    assert len(lines) == 1
    assert lines[0].strip().startswith("telegram")
    assert "webhook_url" in lines[0]


def test_a_duplicate_department_code_is_named() -> None:
    twice = [{"code": "drc", "name_zh": "甲", "name_en": "A"}] * 2
    lines = problem_lines(problem(organisation={"departments": twice}))
    assert len(lines) == 1
    assert "departments: code 'drc' appears twice" in lines[0]


def test_the_file_is_named_in_the_error() -> None:
    message = problem(time={"timezone": "Nowhere"})
    assert message.splitlines()[0] == f"invalid settings in {REPO_SETTINGS}:"


# -- the token is a secret ---------------------------------------------------------------------


def test_the_token_never_appears_in_repr_or_str(monkeypatch: pytest.MonkeyPatch) -> None:
    token = "7654321:AAF-very-secret-token-value"
    monkeypatch.setenv("DUBAN_TELEGRAM__TOKEN", token)
    monkeypatch.setenv("DUBAN_TELEGRAM__WEBHOOK_SECRET", "hook-secret-value")
    settings = load()
    assert settings.telegram.token is not None
    assert settings.telegram.token.get_secret_value() == token  # it is loaded ...
    for shown in (repr(settings), str(settings), repr(settings.telegram), str(settings.telegram)):
        assert token not in shown  # ... but never shown
        assert "hook-secret-value" not in shown
    assert token not in settings.model_dump_json()


# -- settings that validate but would loop, stall or crash at run time ----------------------------


@pytest.mark.parametrize(
    ("overrides", "key", "words"),
    [
        ({"outbox": {"batch_size": 0}}, "outbox.batch_size", "greater than or equal to 1"),
        ({"outbox": {"max_attempts": 0}}, "outbox.max_attempts", "greater than or equal to 1"),
        ({"outbox": {"max_attempts": -2}}, "outbox.max_attempts", "greater than or equal to 1"),
        ({"outbox": {"idle_poll": "0s"}}, "outbox.idle_poll", "at least 1s"),
        ({"outbox": {"idle_poll": "2wd"}}, "outbox.idle_poll", "working days"),
        ({"outbox": {"digest_after": "0s"}}, "outbox.digest_after", "at least 1s"),
        ({"outbox": {"digest_after": "1wd"}}, "outbox.digest_after", "working days"),
        ({"conversation": {"timeout": "1wd"}}, "conversation.timeout", "working days"),
        ({"conversation": {"timeout": "0m"}}, "conversation.timeout", "at least 1s"),
        ({"sandbox": {"fault_rate": 1.5}}, "sandbox.fault_rate", "less than or equal to 1"),
        ({"sandbox": {"fault_rate": -0.1}}, "sandbox.fault_rate", "greater than or equal to 0"),
        ({"sandbox": {"port": 0}}, "sandbox.port", "greater than or equal to 1"),
        ({"sandbox": {"port": 70000}}, "sandbox.port", "less than or equal to 65535"),
        ({"telegram": {"webhook_port": 65536}}, "telegram.webhook_port", "less than or equal"),
        (
            {"sla": {"profiles": {"standard": {"permit": {"completion": "0wd"}}}}},
            "sla.profiles.standard.permit.completion",
            "longer than zero",
        ),
        (
            {"sla": {"profiles": {"drill": {"land": {"acknowledgement": "0m"}}}}},
            "sla.profiles.drill.land.acknowledgement",
            "longer than zero",
        ),
        ({"database": {"url": "not a url"}}, "database.url", "not a database URL"),
        ({"database": {"url": "mysql://u@127.0.0.1/d"}}, "database.url", "mysql is not supported"),
        ({"database": {"url": "oracle+nosuchdriver://x"}}, "database.url", "not a database URL"),
        ({"log_level": "LOUD"}, "log_level", "'DEBUG', 'INFO', 'WARNING' or 'ERROR'"),
    ],
)
def test_a_value_that_would_break_at_run_time_is_refused_by_key(
    overrides: dict[str, object], key: str, words: str
) -> None:
    lines = problem_lines(problem(**overrides))
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"  {key}: "), lines[0]
    assert words in lines[0]


def test_a_sandbox_profile_that_does_not_exist_is_refused() -> None:
    lines = problem_lines(problem(sandbox={"sla_profile": "fastest"}))
    assert len(lines) == 1
    assert "sandbox.sla_profile" in lines[0]
    assert "'fastest'" in lines[0]
    assert "standard, drill" in lines[0]  # the ones that exist


def test_an_sla_profile_from_the_environment_that_does_not_exist_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DUBAN_SLA__PROFILE", "fastest")
    lines = problem_lines(problem())
    assert len(lines) == 1
    assert lines[0].startswith("  sla: profile 'fastest' is not defined under sla.profiles")


def test_log_level_is_read_in_any_case(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load().log_level == "INFO"
    monkeypatch.setenv("DUBAN_LOG_LEVEL", "debug")
    assert load().log_level == "DEBUG"


@pytest.mark.parametrize("body", ["", "\n# only a comment\n"], ids=["empty", "comment-only"])
def test_an_empty_settings_file_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, body: str
) -> None:
    path = write_toml(tmp_path / "empty.toml", body)
    monkeypatch.setenv("DUBAN_SETTINGS", str(path))
    message = problem()
    assert message == f"settings file {path} is empty; start from the repository's settings.toml"


def test_bad_json_in_an_env_override_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DUBAN_ORGANISATION__PARKS", '[{"code": "JH"')
    monkeypatch.setenv("DUBAN_ORGANISATION__DEPARTMENTS", "[]")  # valid: not blamed
    message = problem()
    assert "settings file" not in message
    assert message.splitlines() == [
        "invalid settings in the environment:",
        "  DUBAN_ORGANISATION__PARKS: not valid JSON (a list or table needs JSON)",
    ]
