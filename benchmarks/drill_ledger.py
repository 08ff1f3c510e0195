"""What a finished deadline drill implies, against what the database shows it did.

Each assignment's own facts (when it was signed for, completed, its deadlines and its
supervision order's) imply which steps the sweep owed it: the sign-for reminder, each
reminder point, the overdue step (a slow-action deduction, a supervision order) and the veto
(a veto deduction, an incompetence rating per liaison and head). The ledger counts, for each
kind of step, how many were implied, done once, missing, and done more than once; audit
events are counted too, since unlike the marks and deductions nothing unique guards them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

STEPS = (
    "ack reminder",
    "reminder points",
    "overdue marks",
    "slow-action deductions",
    "supervision orders",
    "overdue audit events",
    "veto marks",
    "veto deductions",
    "incompetence ratings",
    "veto audit events",
)


@dataclass
class Ledger:
    implied: Counter[str] = field(default_factory=Counter)
    done: Counter[str] = field(default_factory=Counter)  # exactly once where implied
    missing: Counter[str] = field(default_factory=Counter)
    repeated: Counter[str] = field(default_factory=Counter)  # extra occurrences
    unexpected: Counter[str] = field(default_factory=Counter)  # done where none was implied
    groups: Counter[str] = field(default_factory=Counter)  # assignments by final stage

    def tally(self, step: str, implied: int, found: int) -> None:
        self.implied[step] += implied
        self.done[step] += min(implied, found)
        self.missing[step] += max(0, implied - found)
        if implied:
            self.repeated[step] += max(0, found - implied)
        else:
            self.unexpected[step] += found

    def rows(self) -> list[str]:
        return [
            f"  {step:<24} implied {self.implied[step]:4d}  done {self.done[step]:4d}  "
            f"missing {self.missing[step]:3d}  repeated {self.repeated[step]:3d}  "
            f"unexpected {self.unexpected[step]:3d}"
            for step in STEPS
        ]

    def summary(self) -> dict[str, Any]:
        return {
            step: {
                "implied": self.implied[step],
                "done": self.done[step],
                "missing": self.missing[step],
                "repeated": self.repeated[step],
                "unexpected": self.unexpected[step],
            }
            for step in STEPS
        } | {"assignments_by_stage": dict(self.groups)}


def _open_at(completed: datetime | None, moment: datetime) -> bool:
    return completed is None or completed > moment


def ledger(database_url: str, *, category: str, profile: str) -> Ledger:
    """The drill's implied and performed steps, read from the database after the run."""
    from sqlmodel import Session, col, select

    from bot.db import make_engine
    from bot.settings import load_settings
    from models import Assignment, AuditEvent, DeadlineMark, Deduction, SupervisionOrder
    from scheduler.durations import Duration
    from services.notify import heads_of, liaisons_of

    policy = load_settings(database={"url": database_url}).sla.profiles[profile][category]
    offsets = [Duration.parse(r).as_timedelta() for r in policy.reminders]
    engine = make_engine(database_url)
    result = Ledger()
    try:
        with Session(engine) as session:
            audit = Counter((e.action, e.entity_id) for e in session.exec(select(AuditEvent)).all())
            for a in session.exec(select(Assignment).order_by(col(Assignment.id))).all():
                marks = Counter(
                    (m.clock, m.point)
                    for m in session.exec(
                        select(DeadlineMark).where(DeadlineMark.assignment_id == a.id)
                    ).all()
                )
                kinds = Counter(
                    str(d.kind)
                    for d in session.exec(
                        select(Deduction).where(Deduction.assignment_id == a.id)
                    ).all()
                )
                orders = session.exec(
                    select(SupervisionOrder).where(SupervisionOrder.assignment_id == a.id)
                ).all()
                result.groups[a.stage] += 1
                signed_late = a.acknowledged_at is None or a.acknowledged_at > a.ack_due_at
                result.tally(
                    "ack reminder",
                    int(signed_late),
                    sum(n for (clock, _), n in marks.items() if clock == "ack"),
                )
                points = sum(_open_at(a.completed_at, a.due_at - o) for o in offsets)
                found = sum(n for (c, p), n in marks.items() if c == "done" and p != "missed")
                result.tally("reminder points", points, found)
                late = int(_open_at(a.completed_at, a.due_at))
                result.tally("overdue marks", late, marks[("done", "missed")])
                result.tally("slow-action deductions", late, kinds["slow_action"])
                result.tally("supervision orders", late, len(orders))
                result.tally("overdue audit events", late, audit[("assignment.overdue", a.id)])
                vetoed = int(any(_open_at(a.completed_at, o.due_at) for o in orders))
                people = {u.id for u in liaisons_of(session, a.department_id)}
                people |= {u.id for u in heads_of(session, a.department_id)}
                result.tally("veto marks", vetoed, marks[("supervision", "missed")])
                result.tally("veto deductions", vetoed, kinds["inaction_veto"])
                result.tally("incompetence ratings", vetoed * len(people), kinds["incompetent"])
                missed = sum(audit[("supervision.missed", o.id)] for o in orders)
                result.tally("veto audit events", vetoed, missed)
    finally:
        engine.dispose()
    return result
