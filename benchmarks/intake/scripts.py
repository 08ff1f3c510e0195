"""The commands each bot receives, and how to recognise their answers."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

CATEGORIES = ("permit", "utility", "land", "dispute", "other")
NUMBER_RE = r"\d{4}-\d{4,}"
RESULT = "已办结：审批已完成并告知企业。Approved and the enterprise was told."

Accept = Callable[[str], Any]
Step = tuple[str, Accept]


@dataclass
class Refusal:
    """An answer that says no (starts with the warning sign)."""

    text: str


def refusal(body: str) -> Refusal | None:
    return Refusal(body) if body.startswith("⚠️") else None


def exactly(expected: str) -> Accept:
    """Accept only ``expected``; a warning is a refusal, anything else is not the answer."""

    def accept(body: str) -> Any:
        return True if body == expected else refusal(body)

    return accept


def description(index: int, user_id: int) -> str:
    """The text of simulated case ``index`` (unique, so it can be found in the database)."""
    return (
        f"压测第{index + 1}件：项目用电增容审批进度缓慢，请协调相关部门尽快办理。"
        f"Bench case {index + 1} of user {user_id}."
    )


class Script(Protocol):
    def report(self, lang: str, category: str, description: str) -> Step: ...
    def dispatch(self, lang: str, case: str, departments: list[str]) -> Step: ...
    def ack(self, lang: str, number: str) -> Step: ...
    def done(self, lang: str, number: str, result: str) -> Step: ...


class DubanScript:
    """The duban commands and how to recognise their answers (in the user's language)."""

    def __init__(self) -> None:
        from bot.i18n import t

        self.t = t

    def _pattern(self, lang: str, msgid: str) -> re.Pattern[str]:
        parts = re.split(r"(\{number\})", self.t(lang, msgid))
        body = "".join(
            f"(?P<number>{NUMBER_RE})" if part == "{number}" else re.escape(part) for part in parts
        )
        return re.compile(body)

    def report(self, lang: str, category: str, description: str) -> Step:
        pattern = self._pattern(
            lang,
            "Your case {number} has been received. The park's efficiency office will assign it "
            "to the departments concerned; you will be told at every step.",
        )

        def accept(body: str) -> Any:
            found = pattern.search(body) if body.startswith("✅") else None
            return found.group("number") if found else refusal(body)

        return f"/report {category} {description}", accept

    def dispatch(self, lang: str, case: str, departments: list[str]) -> Step:
        head = "📨 " + self.t(lang, "Assignment orders issued:")
        numbers = re.compile(rf"^{re.escape(case)}-\d+$", re.MULTILINE)

        def accept(body: str) -> Any:
            if body.startswith(head):
                found = numbers.findall(body)
                if found:
                    return found
            return refusal(body)

        return f"/dispatch {case} {','.join(departments)}", accept

    def ack(self, lang: str, number: str) -> Step:
        expected = "✍️ " + self.t(lang, "Assignment {number} signed for.", number=number)
        return f"/ack {number}", exactly(expected)

    def done(self, lang: str, number: str, result: str) -> Step:
        expected = "✅ " + self.t(
            lang,
            "Assignment {number} is completed. The enterprise and the office have been told.",
            number=number,
        )
        return f"/done {number} {result}", exactly(expected)


class EchoScript:
    """The same texts; the echo is the answer, and the numbers are made up from it."""

    def __init__(self) -> None:
        self._cases = itertools.count(1)

    def _echo(self, text: str, result: Callable[[], Any]) -> Step:
        def accept(body: str) -> Any:
            return result() if body == text else None

        return text, accept

    def report(self, lang: str, category: str, description: str) -> Step:
        year = dt.date.today().year
        return self._echo(
            f"/report {category} {description}", lambda: f"{year}-{next(self._cases):04d}"
        )

    def dispatch(self, lang: str, case: str, departments: list[str]) -> Step:
        numbers = [f"{case}-{i}" for i in range(1, len(departments) + 1)]
        return self._echo(f"/dispatch {case} {','.join(departments)}", lambda: numbers)

    def ack(self, lang: str, number: str) -> Step:
        return self._echo(f"/ack {number}", lambda: True)

    def done(self, lang: str, number: str, result: str) -> Step:
        return self._echo(f"/done {number} {result}", lambda: True)
