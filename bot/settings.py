"""Settings: settings.toml, then .env, then DUBAN_<SECTION>__<KEY> environment variables."""

from __future__ import annotations

import json
import os
import re
import tomllib
from datetime import date, time
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)
from pydantic_settings import (
    SettingsError as SourceError,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from scheduler.durations import Duration as _Duration

DEFAULT_SETTINGS_FILE = Path("settings.toml")
CATEGORIES = ("permit", "utility", "land", "dispute", "other")


def _parse_duration(value: Any) -> _Duration:
    return _Duration.parse(value)


# NoDecode: Duration is a dataclass, so pydantic-settings would otherwise read
# DUBAN_TIME__SWEEP_INTERVAL=20s as JSON and fail.
Duration = Annotated[_Duration, NoDecode, BeforeValidator(_parse_duration), PlainSerializer(str)]
Port = Annotated[int, Field(ge=1, le=65535)]
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]


def _clock_interval(value: _Duration, *, at_least: int = 1) -> _Duration:
    """A wait measured by the clock: whole seconds, at least ``at_least``, never working days."""
    if value.is_working_days:
        raise ValueError(f"{value} is in working days; write it in s, m, h or d")
    if value.as_timedelta().total_seconds() < at_least:
        raise ValueError(f"must be at least {at_least}s")
    return value


def _longer_than_zero(value: _Duration) -> _Duration:
    if value.amount <= 0:
        raise ValueError("must be longer than zero")
    return value


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TelegramSettings(_Section):
    """How the bot reaches Telegram (or a self-hosted / emulated Bot API server)."""

    token: SecretStr | None = None
    base_url: str | None = None
    base_file_url: str | None = None
    mode: Literal["polling", "webhook"] = "polling"
    webhook_url: str | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: Port = 8443
    webhook_secret: SecretStr | None = None
    bot_username: str = "duban_bot"
    max_retries: int = Field(default=3, ge=0)  # a call Telegram answers 429 is retried this often

    @model_validator(mode="after")
    def _webhook_needs_url(self) -> TelegramSettings:
        if self.mode == "webhook" and not self.webhook_url:
            raise ValueError("mode = 'webhook' needs webhook_url")
        return self


class DatabaseSettings(_Section):
    url: str = "sqlite:///./data/duban.db"
    echo: bool = False
    # PostgreSQL only (SQLite has one writer, so one connection and one thread):
    pool_size: int = Field(default=10, ge=1)
    max_overflow: int = Field(default=10, ge=0)
    threads: int = Field(default=8, ge=1)

    @field_validator("url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        try:
            url = make_url(value)
            url.get_dialect()
        except (ArgumentError, NoSuchModuleError, ValueError):
            raise ValueError(
                "not a database URL duban can use; write sqlite:///path/to/duban.db or "
                "postgresql+psycopg://user:password@host/dbname"
            ) from None
        if url.get_backend_name() not in ("sqlite", "postgresql"):
            raise ValueError(f"{url.get_backend_name()} is not supported; use SQLite or PostgreSQL")
        return value


class TimeSettings(_Section):
    timezone: str = "Asia/Shanghai"
    workday_end: time = time(18, 0)
    extra_holidays: list[date] = Field(default_factory=list)
    extra_workdays: list[date] = Field(default_factory=list)
    sweep_interval: Duration = _Duration(60, "s")
    # Reminders due between these local times wait for the morning; equal values: none.
    quiet_hours_start: time = time(21, 0)
    quiet_hours_end: time = time(8, 0)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("sweep_interval")
    @classmethod
    def _plain_interval(cls, value: _Duration) -> _Duration:
        if value.is_working_days or value.as_timedelta().total_seconds() < 1:
            raise ValueError("sweep_interval must be at least 1s and not in working days")
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class NamedUnit(_Section):
    code: str
    name_zh: str
    name_en: str

    @field_validator("code")
    @classmethod
    def _code_shape(cls, value: str) -> str:
        if not value or not value.replace("_", "").replace("-", "").isalnum() or len(value) > 32:
            raise ValueError(f"code {value!r} must be 1-32 letters, digits, '-' or '_'")
        return value


class Office(_Section):
    name_zh: str
    name_en: str


class OrganisationSettings(_Section):
    parks: list[NamedUnit] = Field(default_factory=list)
    departments: list[NamedUnit] = Field(default_factory=list)
    optimization_office: Office = Office(name_zh="县优化办", name_en="County Optimization Office")
    supervisors_office: Office = Office(
        name_zh="县纪委行政效能室", name_en="Discipline Commission Efficiency Office"
    )

    @model_validator(mode="after")
    def _unique_codes(self) -> OrganisationSettings:
        for label, units in (("parks", self.parks), ("departments", self.departments)):
            seen: set[str] = set()
            for unit in units:
                if unit.code in seen:
                    raise ValueError(f"{label}: code {unit.code!r} appears twice")
                seen.add(unit.code)
        return self


class SlaPolicy(_Section):
    """Time limits for one request category."""

    completion: Duration = _Duration(5, "wd")
    acknowledgement: Duration = _Duration(1, "wd")
    reminders: list[Duration] = Field(default_factory=lambda: [_Duration(1, "wd")])
    supervision: Duration = _Duration(3, "wd")
    points_per_miss: float = 2.0
    default_departments: list[str] = Field(default_factory=list)
    confirmation: Duration = _Duration(3, "wd")

    @field_validator("completion", "acknowledgement", "supervision", "confirmation")
    @classmethod
    def _positive(cls, value: _Duration) -> _Duration:
        return _longer_than_zero(value)

    @field_validator("points_per_miss")
    @classmethod
    def _non_negative(cls, value: float) -> float:
        if value < 0:
            raise ValueError("points_per_miss cannot be negative")
        return value


class SlaSettings(_Section):
    profile: str = "standard"
    # A missed deadline's supervision order: issued by the sweep, or drafted for a dispatcher.
    supervision_orders: Literal["auto", "draft"] = "auto"
    profiles: dict[str, dict[str, SlaPolicy]] = Field(
        default_factory=lambda: {"standard": {c: SlaPolicy() for c in CATEGORIES}}
    )

    @model_validator(mode="after")
    def _complete_profiles(self) -> SlaSettings:
        if self.profile not in self.profiles:
            raise ValueError(
                f"profile {self.profile!r} is not defined under sla.profiles "
                f"(defined: {', '.join(self.profiles) or 'none'})"
            )
        for name, policies in self.profiles.items():
            missing = [c for c in CATEGORIES if c not in policies]
            unknown = [c for c in policies if c not in CATEGORIES]
            if missing:
                raise ValueError(f"profiles.{name} lacks categories: {', '.join(missing)}")
            if unknown:
                raise ValueError(
                    f"profiles.{name} has unknown categories: {', '.join(unknown)} "
                    f"(known: {', '.join(CATEGORIES)})"
                )
        return self

    def policy(self, category: str, profile: str | None = None) -> SlaPolicy:
        return self.profiles[profile or self.profile][category]


class I18nSettings(_Section):
    default_language: Literal["zh", "en"] = "zh"


class ConversationSettings(_Section):
    timeout: Duration = _Duration(30, "m")

    @field_validator("timeout")
    @classmethod
    def _clock_timeout(cls, value: _Duration) -> _Duration:
        return _clock_interval(value)


class LimitsSettings(_Section):
    """How long an invitation stays valid and how many rows a list in the chat shows."""

    invitation_validity: Duration = _Duration(7, "d")
    cases_list: int = Field(default=20, ge=1)
    queue_list: int = Field(default=30, ge=1)
    tasks_list: int = Field(default=50, ge=1)
    # Telegram allows 100 buttons per message; fewer keep the chat readable.
    task_buttons: int = Field(default=20, ge=0, le=100)

    @field_validator("invitation_validity")
    @classmethod
    def _plain_validity(cls, value: _Duration) -> _Duration:
        if value.is_working_days or value.as_timedelta().total_seconds() < 60:
            raise ValueError("invitation_validity must be at least 1m and not in working days")
        return value


class InspectionSettings(_Section):
    """Inspection filings (涉企检查备案): what an unfiled inspection costs, how dates match."""

    unfiled_points: float = Field(2.0, ge=0)
    # A reported inspection matches a filing whose date is at most this many days away.
    match_days: int = Field(1, ge=0, le=30)


class SandboxSettings(_Section):
    host: str = "127.0.0.1"
    port: Port = 8080
    rate_limits: bool = False
    fault_rate: float = Field(0.0, ge=0.0, le=1.0)
    sla_profile: str = "drill"
    demo: bool = True


class OutboxSettings(_Section):
    batch_size: int = Field(50, ge=1)
    max_attempts: int = Field(8, ge=1)
    idle_poll: Duration = _Duration(2, "s")
    # Telegram allows about 30 messages a second per bot and one a second per chat; the outbox
    # keeps below that by itself (answers to users use the rest). Tests against the emulator
    # without its rate limits raise these.
    rate: float = Field(28.0, gt=0)
    chat_rate: float = Field(1.0, gt=0)
    chat_burst: float = Field(3.0, ge=1)
    # A chat whose next message has waited this long has fallen behind: the messages queued
    # for it then go out together, as digests (services/digests.py).
    digest_after: Duration = _Duration(5, "s")

    @field_validator("idle_poll", "digest_after")
    @classmethod
    def _clock_poll(cls, value: _Duration) -> _Duration:
        return _clock_interval(value)


class AssessmentSettings(_Section):
    """The half-year and year assessment of departments (/scoreboard)."""

    # Each department starts every half-year and year with this score; deductions come off it.
    base_score: float = Field(100.0, gt=0)
    # How many departments at the bottom of the ranking are marked (the seed publishes three).
    bottom: int = Field(3, ge=0)


ReportRole = Literal["supervisor", "dispatcher", "head", "liaison", "admin"]
ReportPeriod = Literal["month", "half", "year"]
DEFAULT_REPORT_ROLES: tuple[ReportRole, ...] = ("supervisor", "dispatcher", "head")
DEFAULT_REPORT_PERIODS: tuple[ReportPeriod, ...] = ("month", "half", "year")


class ReportSettings(_Section):
    """The reports sent by themselves after a month, a half-year and a year."""

    enabled: bool = True
    # Sent on this working day after the period ends (1: the first working day).
    workday: int = Field(1, ge=1, le=10)
    at: time = time(9, 0)  # local time on that day
    roles: list[ReportRole] = Field(default_factory=lambda: list(DEFAULT_REPORT_ROLES))
    periods: list[ReportPeriod] = Field(default_factory=lambda: list(DEFAULT_REPORT_PERIODS))


class Settings(BaseSettings):
    """Everything configurable, validated at start-up."""

    model_config = SettingsConfigDict(
        env_prefix="DUBAN_",
        env_nested_delimiter="__",
        env_file=".env",
        extra="forbid",
        frozen=True,
    )

    log_level: Annotated[
        LogLevel, BeforeValidator(lambda v: v.upper() if isinstance(v, str) else v)
    ] = "INFO"
    telegram: TelegramSettings = TelegramSettings()
    database: DatabaseSettings = DatabaseSettings()
    time: TimeSettings = TimeSettings()
    organisation: OrganisationSettings = OrganisationSettings()
    sla: SlaSettings = SlaSettings()
    i18n: I18nSettings = I18nSettings()
    conversation: ConversationSettings = ConversationSettings()
    limits: LimitsSettings = LimitsSettings()
    inspections: InspectionSettings = InspectionSettings()
    sandbox: SandboxSettings = SandboxSettings()
    outbox: OutboxSettings = OutboxSettings()
    assessment: AssessmentSettings = AssessmentSettings()
    reports: ReportSettings = ReportSettings()

    @model_validator(mode="after")
    def _departments_exist(self) -> Settings:
        if self.sandbox.sla_profile not in self.sla.profiles:
            raise ValueError(
                f"sandbox.sla_profile names profile {self.sandbox.sla_profile!r}, which is not "
                f"defined under sla.profiles (defined: {', '.join(self.sla.profiles)})"
            )
        codes = {d.code for d in self.organisation.departments}
        for name, policies in self.sla.profiles.items():
            for category, policy in policies.items():
                for code in policy.default_departments:
                    if code not in codes:
                        raise ValueError(
                            f"sla.profiles.{name}.{category}.default_departments names "
                            f"unknown department {code!r}"
                        )
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml = TomlConfigSettingsSource(settings_cls, toml_file=settings_path())
        return init_settings, env_settings, dotenv_settings, toml, file_secret_settings


def settings_path() -> Path:
    return Path(os.environ.get("DUBAN_SETTINGS", str(DEFAULT_SETTINGS_FILE)))


class SettingsError(Exception):
    """A configuration mistake, explained in one message."""


def load_settings(**overrides: Any) -> Settings:
    """Load and validate settings; raise SettingsError with every problem named by its key."""
    path = settings_path()
    if "DUBAN_SETTINGS" in os.environ and not path.is_file():
        raise SettingsError(f"settings file {path} (from DUBAN_SETTINGS) does not exist")
    if not path.is_file():
        # Built-in defaults alone have no organisation and no sandbox profile: nothing would run.
        raise SettingsError(
            f"no settings file: {path.resolve()} does not exist; run duban in the folder that "
            "holds settings.toml (the repository's) or set DUBAN_SETTINGS to its path"
        )
    _refuse_empty(path)
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            key = ".".join(str(part) for part in error["loc"])
            message = error["msg"].removeprefix("Value error, ")
            # Cross-section checks name their keys in the message itself.
            problems.append(f"  {key}: {message}" if key else f"  {message}")
        raise SettingsError(f"invalid settings in {path}:\n" + "\n".join(problems)) from None
    except SourceError as exc:  # an environment variable or .env value that is not JSON
        raise SettingsError(_source_problem(str(exc), path)) from None
    except ValueError as exc:  # TOML syntax errors surface as ValueError subclasses
        raise SettingsError(f"cannot read settings file {path}: {exc}") from None


def _refuse_empty(path: Path) -> None:
    """An empty file would silently run on built-in defaults with no organisation at all."""
    try:
        content = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise SettingsError(f"cannot read settings file {path}: {exc}") from None
    if not content:
        raise SettingsError(
            f"settings file {path} is empty; start from the repository's settings.toml"
        )


_SOURCE_ERROR = re.compile(r'field "(?P<field>[^"]+)" from source "(?P<source>\w+)"')


def _source_problem(message: str, path: Path) -> str:
    """Name the environment variable (or .env entry) whose value could not be read as JSON."""
    match = _SOURCE_ERROR.search(message)
    if match is None:
        return f"cannot read settings: {message}"
    prefix = f"DUBAN_{match['field']}".upper()
    candidates = sorted(name for name in os.environ if name.upper().startswith(prefix))
    broken = [name for name in candidates if not _is_json(os.environ[name])]
    named = ", ".join(broken or candidates)
    origin = ".env" if "DotEnv" in match["source"] else "the environment"
    if not named:
        return f"invalid settings: a {prefix}* value in {origin} is not valid JSON"
    return f"invalid settings in {origin}:\n  {named}: not valid JSON (a list or table needs JSON)"


def _is_json(value: str) -> bool:
    try:
        json.loads(value)
    except ValueError:
        return False
    return True
