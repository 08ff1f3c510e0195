"""The organisation: parks, departments, enterprises, projects, people and their roles."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import code_field, utc_field
from models.enums import Role

MAJOR_PROJECT_YUAN = 100_000_000


class Park(SQLModel, table=True):
    __tablename__ = "parks"

    id: int | None = Field(default=None, primary_key=True)
    code: str = code_field(32, unique=True)
    name_zh: str = code_field(128)
    name_en: str = code_field(128)
    active: bool = True


class Department(SQLModel, table=True):
    __tablename__ = "departments"

    id: int | None = Field(default=None, primary_key=True)
    code: str = code_field(32, unique=True)
    name_zh: str = code_field(128)
    name_en: str = code_field(128)
    active: bool = True


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    telegram_id: int = Field(sa_type=sa.BigInteger, unique=True)
    display_name: str = code_field(128, default="")
    username: str | None = code_field(64, default=None, nullable=True)
    language: str | None = code_field(8, default=None, nullable=True)
    telegram_language: str | None = code_field(16, default=None, nullable=True)
    active: bool = True
    created_at: datetime = utc_field(default_now=True)
    # Telegram refused a message to them (403: they blocked the bot); cleared when they write.
    blocked_at: datetime | None = utc_field()


class RoleGrant(SQLModel, table=True):
    """One role of one user, with its scope; revoked grants stay for the record."""

    __tablename__ = "role_grants"
    __table_args__ = (sa.Index("ix_role_grants_active_role", "role", "revoked_at"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    role: Role = code_field(24)
    park_id: int | None = Field(default=None, foreign_key="parks.id")
    department_id: int | None = Field(default=None, foreign_key="departments.id", index=True)
    enterprise_id: int | None = Field(default=None, foreign_key="enterprises.id", index=True)
    granted_at: datetime = utc_field(default_now=True)
    granted_by_user_id: int | None = Field(default=None, foreign_key="users.id")
    revoked_at: datetime | None = utc_field()


class Enterprise(SQLModel, table=True):
    __tablename__ = "enterprises"

    id: int | None = Field(default=None, primary_key=True)
    name: str = code_field(200)
    credit_code: str = code_field(18, unique=True)  # 统一社会信用代码
    park_id: int = Field(foreign_key="parks.id", index=True)
    created_at: datetime = utc_field(default_now=True)
    created_by_user_id: int | None = Field(default=None, foreign_key="users.id")


class Project(SQLModel, table=True):
    __tablename__ = "projects"

    id: int | None = Field(default=None, primary_key=True)
    enterprise_id: int = Field(foreign_key="enterprises.id", index=True)
    name: str = code_field(200)
    investment_yuan: int = Field(default=0, sa_type=sa.BigInteger)
    is_key: bool = False  # on the county's key-project list (重点项目)
    efficiency_head_user_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = utc_field(default_now=True)

    @property
    def is_major(self) -> bool:
        """Major project (重大项目): investment of 100 million yuan or more."""
        return self.investment_yuan >= MAJOR_PROJECT_YUAN


class Invitation(SQLModel, table=True):
    """A single-use join code; only its hash is stored."""

    __tablename__ = "invitations"

    id: int | None = Field(default=None, primary_key=True)
    code_hash: str = code_field(64, unique=True)
    role: Role = code_field(24)
    park_id: int | None = Field(default=None, foreign_key="parks.id")
    department_id: int | None = Field(default=None, foreign_key="departments.id")
    enterprise_id: int | None = Field(default=None, foreign_key="enterprises.id")
    created_by_user_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = utc_field(default_now=True)
    expires_at: datetime = utc_field(nullable=False)
    used_at: datetime | None = utc_field()
    used_by_user_id: int | None = Field(default=None, foreign_key="users.id")
    revoked_at: datetime | None = utc_field()
