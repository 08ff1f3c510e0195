"""Values typed when registering an enterprise: names and investment amounts."""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation

from bot.i18n import N_
from services.errors import InvalidInput

NAME_LIMIT = 200
MAX_YUAN = 10**15  # a thousand trillion: anything larger is a typo

_AMOUNT = re.compile(r"^(\d+(?:\.\d+)?)(亿|万)?$")
_CURRENCY = ("人民币", "rmb", "cny", "yuan", "元", "¥", "￥")


def parse_investment(text: str) -> int:
    """Whole yuan from ``8000万``, ``1.2亿``, ``120000000``, ``1,200,000,000`` and the like."""
    plain = unicodedata.normalize("NFKC", text).strip().lower()
    for noise in (",", " ", "_", "'", "\u3000"):
        plain = plain.replace(noise, "")
    for unit in _CURRENCY:
        plain = plain.removeprefix(unit).removesuffix(unit)
    match = _AMOUNT.match(plain)
    problem = N_(
        "I could not read {text} as an amount in yuan. Examples: 8000万, 1.2亿, 120000000."
    )
    if not match:
        raise InvalidInput(problem, text=text.strip())
    try:
        number = Decimal(match.group(1))
    except InvalidOperation:
        raise InvalidInput(problem, text=text.strip()) from None
    value = number * {"亿": 100_000_000, "万": 10_000, None: 1}[match.group(2)]
    if value != value.to_integral_value():
        raise InvalidInput("Please give the investment in whole yuan: {text}.", text=text.strip())
    if value > MAX_YUAN:
        raise InvalidInput("{text} yuan is more than any project invests.", text=text.strip())
    return int(value)


_YES = {"1", "yes", "y", "true", "是", "是的", "对", "重点", "key"}
_NO = {"0", "no", "n", "false", "否", "不是", "不", "非重点", ""}


def parse_flag(text: str) -> bool:
    """是/否, yes/no, 1/0 (an empty cell is no)."""
    plain = unicodedata.normalize("NFKC", text).strip().lower()
    if plain in _YES:
        return True
    if plain in _NO:
        return False
    raise InvalidInput("Answer yes or no (是/否), not {text}.", text=text.strip())


def clean_name(text: str) -> str:
    name = " ".join(unicodedata.normalize("NFKC", text).split())
    if not name:
        raise InvalidInput("The name cannot be empty.")
    if len(name) > NAME_LIMIT:
        raise InvalidInput(
            "The name is too long ({length} characters; at most {limit}).",
            length=len(name),
            limit=NAME_LIMIT,
        )
    return name
