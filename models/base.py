"""Helpers for declaring columns consistently, and an INSERT that can take ON CONFLICT."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Field

from models.types import UTCDateTime, utcnow


def utc_field(*, nullable: bool = True, index: bool = False, default_now: bool = False) -> Any:
    """A UTC timestamp column."""
    if default_now:
        return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False, index=index)
    return Field(default=None, sa_type=UTCDateTime, nullable=nullable, index=index)


def code_field(length: int = 24, **kwargs: Any) -> Any:
    """A short string column (enums and codes are stored as text, not native enums)."""
    return Field(sa_type=sa.String(length), **kwargs)


def text_field(**kwargs: Any) -> Any:
    return Field(sa_type=sa.Text, **kwargs)


def json_field(**kwargs: Any) -> Any:
    return Field(sa_type=sa.JSON, **kwargs)


def insert_for(dialect: str, table: sa.Table) -> Any:
    """An INSERT into ``table`` that can take ON CONFLICT, in the dialect's own form."""
    return (pg_insert if dialect == "postgresql" else sqlite_insert)(table)


__all__ = ["code_field", "datetime", "insert_for", "json_field", "text_field", "utc_field"]
