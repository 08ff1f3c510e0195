"""Accountability: deductions, vetoes, incompetence ratings and inspection filings."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import code_field, text_field, utc_field
from models.enums import DeductionKind, InspectionStatus


class Deduction(SQLModel, table=True):
    """A point deduction or rating recorded against a department (and maybe a person)."""

    __tablename__ = "deductions"
    __table_args__ = (sa.Index("ix_deductions_year_department", "year", "department_id"),)

    id: int | None = Field(default=None, primary_key=True)
    department_id: int = Field(foreign_key="departments.id")
    user_id: int | None = Field(default=None, foreign_key="users.id")
    kind: DeductionKind = code_field(24)
    points: float = 0.0
    year: int
    half: int  # 1 or 2: the half-year assessment it counts in
    reason: str = text_field()
    assignment_id: int | None = Field(default=None, foreign_key="assignments.id")
    supervision_order_id: int | None = Field(default=None, foreign_key="supervision_orders.id")
    inspection_id: int | None = Field(default=None, foreign_key="inspections.id")
    # The same miss must never be deducted twice, whatever reruns the sweep.
    dedupe_key: str = code_field(96, unique=True)
    created_at: datetime = utc_field(default_now=True)
    created_by_user_id: int | None = Field(default=None, foreign_key="users.id")
    revoked_at: datetime | None = utc_field()
    revoked_reason: str | None = text_field(default=None, nullable=True)


class Inspection(SQLModel, table=True):
    """An inspection of a park enterprise by a department (涉企检查备案).

    A liaison's filing (status filed) or an enterprise contact's report of one that happened
    (reported, then matched to a filing, confirmed unfiled or dismissed by a supervisor).
    """

    __tablename__ = "inspections"

    id: int | None = Field(default=None, primary_key=True)
    department_id: int = Field(foreign_key="departments.id", index=True)
    enterprise_id: int = Field(foreign_key="enterprises.id", index=True)
    status: InspectionStatus = code_field(16)
    planned_on: date
    purpose: str = text_field()
    filed_by_user_id: int | None = Field(default=None, foreign_key="users.id")
    reported_by_user_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = utc_field(default_now=True)
    inspectors: str = text_field(default="")
    # A report that a filing covers points at that filing.
    matched_inspection_id: int | None = Field(default=None, foreign_key="inspections.id")
    decided_by_user_id: int | None = Field(default=None, foreign_key="users.id")
    decided_at: datetime | None = utc_field()
    dismissed_reason: str | None = text_field(default=None, nullable=True)
