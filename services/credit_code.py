"""Unified social credit codes (统一社会信用代码, GB 32100-2015), checked with python-stdnum."""

from __future__ import annotations

from stdnum.cn import uscc
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength

from services.errors import InvalidInput


def normalize_credit_code(text: str) -> str:
    """The code in canonical form, or InvalidInput saying exactly what is wrong."""
    try:
        return uscc.validate(text.strip().upper())
    except InvalidLength:
        raise InvalidInput(
            "A unified social credit code has 18 characters; {code} does not.", code=text
        ) from None
    except InvalidChecksum:
        raise InvalidInput(
            "The check character of {code} is wrong; please check the code for a typo.",
            code=text,
        ) from None
    except (InvalidFormat, InvalidComponent):
        raise InvalidInput(
            "{code} is not a unified social credit code (digits and capital letters, "
            "no I, O, S, V or Z).",
            code=text,
        ) from None
